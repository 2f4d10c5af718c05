package domain

import (
	"context"

	"github.com/landrelease/landrelease/events"
)

// Write is what one command appends to one aggregate: its events, and the
// version its decision was made on (the stream sequence of the aggregate's
// last event, 0 for a new aggregate).
type Write struct {
	Aggregate events.Ref
	Expected  uint64
	Events    []events.Envelope
}

// EventStore is the port to the event history. Implementations: the
// JetStream store (the real one) and the in-memory store (tests, scenario
// forks). Both pass domain/storetest.
type EventStore interface {
	// Load returns every event of one aggregate in stream order and the
	// aggregate's version (0 and no events if it has none).
	Load(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error)

	// Append stores the events of all writes as one atomic unit, in the order
	// given, and returns the stream sequence of the first event; the others
	// follow contiguously. For each aggregate, the Expected version of its
	// first write is checked against the store: if any check fails nothing is
	// stored and the error is ErrConflict. Appending events whose IDs are
	// already stored (a retry after a lost acknowledgement) stores nothing new
	// and is not an error: Append then returns sequence 0, and the caller
	// reloads the aggregate to see what was stored.
	// Safe for concurrent use.
	Append(ctx context.Context, writes []Write) (uint64, error)

	// Replay calls fn, in stream order, for every event with a sequence of at
	// least from, up to the last event stored when Replay was called. It stops
	// at the first error fn returns and returns it.
	Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error

	// LastSequence returns the sequence of the last stored event (0 if none).
	LastSequence(ctx context.Context) (uint64, error)
}

// QuarantineReplayer is an EventStore whose history may hold messages that
// are not events (events.Quarantined: written by something other than the
// engine, or by a newer one), skipped by Replay and reported by
// ReplayQuarantine in stream order between the events. Such a message still
// counts for its aggregate's version (Load returns it as the version): the
// handler's Warm uses ReplayQuarantine to know it, and without it the first
// command on such an aggregate meets one conflict and reloads.
type QuarantineReplayer interface {
	ReplayQuarantine(ctx context.Context, from uint64, fn func(events.Envelope) error, skipped func(events.Quarantined) error) error
}
