package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies a domain error. A Kind is itself an error, so callers test
// with errors.Is(err, domain.ErrConflict) and edges map it exactly once (to an
// exit status in the CLI, to an HTTP status in the API).
type Kind int

const (
	// ErrInternal: something failed that is not the caller's fault.
	ErrInternal Kind = iota
	// ErrInvalid: the command is malformed or breaks a domain rule.
	ErrInvalid
	// ErrNotFound: the command names an aggregate that does not exist.
	ErrNotFound
	// ErrConflict: a concurrent write won, or the command contradicts what is
	// already recorded under the same identity.
	ErrConflict
	// ErrForbidden: the actor may not send this command.
	ErrForbidden
	// ErrUnavailable: the event store cannot be reached now (connection
	// lost, no stream leader). The command may or may not have been stored
	// (an acknowledgement can be lost with the connection): retry it with
	// the same command ID, which applies it once either way.
	ErrUnavailable
	// ErrTooLarge: an event the command causes is larger than the event
	// store accepts (the NATS server's max_payload). Retrying cannot help:
	// make the large field (a polygon's coordinates, a text) smaller.
	ErrTooLarge
)

func (k Kind) Error() string {
	switch k {
	case ErrInvalid:
		return "invalid"
	case ErrNotFound:
		return "not found"
	case ErrConflict:
		return "conflict"
	case ErrForbidden:
		return "forbidden"
	case ErrUnavailable:
		return "unavailable"
	case ErrTooLarge:
		return "too large"
	default:
		return "internal error"
	}
}

// Problem is one thing wrong with a command: the field (JSON name, with a
// path for nested values such as "evidence[0].kind") and why.
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Reason
	}
	return p.Field + ": " + p.Reason
}

// Error is a domain error: the operation (command name), its kind, and either
// one problem or the full list found by validation.
type Error struct {
	Op       string    // command or operation, e.g. "CancelArea"
	Kind     Kind      // what kind of failure
	Problems []Problem // every problem found; at least one for ErrInvalid
	Err      error     // underlying cause, if any
	// Malformed marks an ErrInvalid input that is not a well-formed command
	// at all (JSON syntax, a duplicate key, an unknown command or field, a
	// value of the wrong type), as opposed to a well-formed command that
	// breaks a rule. Edges that distinguish the two (HTTP 400 against 422)
	// read this, never the message.
	Malformed bool
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.Error())
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is matches the error's Kind, so errors.Is(err, ErrConflict) works.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

func (e *Error) Unwrap() error { return e.Err }

// Field returns the field of the first problem, or "".
func (e *Error) Field() string {
	if len(e.Problems) == 0 {
		return ""
	}
	return e.Problems[0].Field
}

// Errorf returns an *Error of kind k about one field.
func Errorf(k Kind, field, format string, args ...any) *Error {
	return &Error{Kind: k, Problems: []Problem{{Field: field, Reason: fmt.Sprintf(format, args...)}}}
}

// KindOf returns the Kind of err: the Kind of the first *Error in its chain,
// ErrInternal otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var k Kind
	if errors.As(err, &k) {
		return k
	}
	return ErrInternal
}

// Problems collects validation problems; a nil *Problems is not usable.
type Problems []Problem

// Add records a problem.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns nil when there are no problems, else an ErrInvalid *Error.
func (p Problems) Err(op string) error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Op: op, Kind: ErrInvalid, Problems: p}
}
