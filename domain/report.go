package domain

import (
	"errors"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// kindCodes are the stable wire codes of the error kinds: what exec --json,
// the API and the command bus say. Part of the contract (docs/contract.md):
// never rename one.
var kindCodes = [...]struct {
	kind Kind
	code string
}{
	{ErrInternal, "internal"},
	{ErrInvalid, "invalid"},
	{ErrNotFound, "not_found"},
	{ErrConflict, "conflict"},
	{ErrForbidden, "forbidden"},
	{ErrUnavailable, "unavailable"},
	{ErrTooLarge, "too_large"},
}

// Kinds lists every error kind, in the order of their codes.
func Kinds() []Kind {
	out := make([]Kind, len(kindCodes))
	for i, c := range kindCodes {
		out[i] = c.kind
	}
	return out
}

// Code is the kind's stable wire code ("not_found", "too_large", ...).
func (k Kind) Code() string {
	for _, c := range kindCodes {
		if c.kind == k {
			return c.code
		}
	}
	return "internal"
}

// KindOfCode returns the kind of a wire code; a code this build does not
// know (a newer replica's) is ErrInternal.
func KindOfCode(code string) Kind {
	for _, c := range kindCodes {
		if c.code == code {
			return c.kind
		}
	}
	return ErrInternal
}

// Statuses of a CommandReport.
const (
	StatusOK             = "ok"
	StatusAlreadyApplied = "already-applied"
	StatusRefused        = "refused"

	// A provincial office's commands (docs/operations.md, "Provincial
	// office"): validated on its mirror of the national history and held in
	// its outbox until the national engine decides them.
	StatusPending          = "pending"            // in the outbox, not decided yet
	StatusApplied          = "applied"            // decided nationally: applied, with its sequence
	StatusRefusedAfterSync = "refused-after-sync" // decided nationally: refused, with the reason
)

// CommandReport is what happened to one command, in the one shape every face
// uses: a line of 'landrelease exec --json', an element of the API's
// results, the same fields in exec's text lines.
type CommandReport struct {
	Line      int          `json:"line"`
	Command   string       `json:"command,omitempty"`
	CommandID string       `json:"command_id,omitempty"`
	Status    string       `json:"status"` // ok, already-applied or refused; on a provincial office pending, applied or refused-after-sync
	Sequence  uint64       `json:"sequence,omitempty"`
	EventIDs  []string     `json:"event_ids,omitempty"`
	Error     *ErrorReport `json:"error,omitempty"`
}

// ErrorReport is a refusal on the wire: the kind's code, a message for
// people, the field at fault (the first problem's) and every problem.
type ErrorReport struct {
	Kind     string    `json:"kind"`
	Message  string    `json:"message"`
	Field    string    `json:"field,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
}

// ReportError is the wire form of err.
func ReportError(err error) *ErrorReport {
	var de *Error
	if errors.As(err, &de) {
		return &ErrorReport{Kind: de.Kind.Code(), Message: de.Error(), Field: de.Field(), Problems: de.Problems}
	}
	return &ErrorReport{Kind: KindOf(err).Code(), Message: err.Error()}
}

// Report is the report of the command env on input line line, given its
// outcome (o.Err set when it was refused, or when it did not even decode).
func Report(line int, env CommandEnvelope, o Outcome) CommandReport {
	r := CommandReport{Line: line}
	if env.Command != nil {
		r.Command = env.Command.CommandName()
	}
	if o.CommandID != uuid.Nil {
		r.CommandID = o.CommandID.String()
	} else if env.ID != uuid.Nil {
		r.CommandID = env.ID.String()
	}
	if o.Err != nil {
		r.Status, r.Error = StatusRefused, ReportError(o.Err)
		return r
	}
	r.Sequence = o.Sequence
	if o.Duplicate {
		r.Status = StatusAlreadyApplied
		return r
	}
	r.Status = StatusOK
	r.EventIDs = make([]string, len(o.Events))
	for i, e := range o.Events {
		r.EventIDs[i] = e.ID.String()
	}
	return r
}

// Result says what a command did.
type Result struct {
	CommandID uuid.UUID
	Command   string
	Aggregate events.Ref
	Events    []events.Envelope // the events appended, with sequences; nil for a duplicate
	Duplicate bool              // the command was applied before: nothing was written now
	Sequence  uint64            // stream sequence of the command's last event
}

// Outcome is the result of one command of a batch: a Result, or Err.
type Outcome struct {
	Result
	Err error
}
