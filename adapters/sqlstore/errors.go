package sqlstore

import (
	"errors"
	"sort"
	"strings"
)

// Kinds of Open failure, for errors.Is: the CLI maps each to its advice and
// exit status once.
var (
	// ErrNotReadModel: the file or database is not a landrelease read model
	// (not a database at all, or one that holds someone else's tables).
	ErrNotReadModel = errors.New("not a landrelease read model")
	// ErrSchemaTooNew: a newer build wrote the read model.
	ErrSchemaTooNew = errors.New("read model schema newer than this build")
	// ErrUnreachable: the database server did not answer.
	ErrUnreachable = errors.New("database unreachable")
	// ErrCheckpointBehind: a commit would move the checkpoint back, which
	// means another writer committed to the same read model.
	ErrCheckpointBehind = errors.New("checkpoint would move back")
)

// Error is a store failure of a known kind: Msg says what is wrong, Err is
// the driver's cause if any, Hint what to do; Kind classifies it.
type Error struct {
	Kind error
	Msg  string
	Err  error
	Hint string
}

func (e *Error) Error() string {
	s := "sqlstore: " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the driver's cause.
func (e *Error) Unwrap() error { return e.Err }

// sample names a few of the tables found, for the foreign-database message.
func sample(names map[string]bool) string {
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	if len(list) > 3 {
		list = append(list[:3], "…")
	}
	return strings.Join(list, ", ")
}
