package queries

import (
	"context"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// History is the event history as the read side reads it: replays (for the
// state as of a date, forecasts and scenarios), one aggregate's events, and
// the last sequence stored.
type History interface {
	projections.Source
	// Load returns the events of one aggregate, oldest first, and its last
	// sequence.
	Load(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error)
	// LastSequence returns the last sequence in the history.
	LastSequence(ctx context.Context) (uint64, error)
}

// Register is the SQL read model: the areas and the audit trail.
type Register interface {
	// Areas returns the areas that match f, in the register's order.
	Areas(ctx context.Context, f AreaFilter) ([]projections.AreaRow, error)
	// Area returns one area, or a domain.ErrNotFound error.
	Area(ctx context.Context, id uuid.UUID) (projections.AreaRow, error)
	// Audit returns the audit entries that match f, oldest first.
	Audit(ctx context.Context, f AuditFilter) ([]projections.AuditRow, error)
	// Quarantine returns the first n (0: all) messages of the history that
	// are not events, in sequence order.
	Quarantine(ctx context.Context, n int) ([]events.Quarantined, error)
}

// Fold is the projections' live fold, read under the runner's lock:
// fn must not keep n or anything it points to.
type Fold interface {
	View(fn func(n *projections.National))
}

// AreaFilter selects areas of the register.
type AreaFilter struct {
	Province string // canonical gazetteer name; "" all
	Status   string // SHA, CHA or RELEASED; "" all
	Limit    int    // 0: no limit
	Offset   int
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	AreaID   uuid.UUID
	From, To events.Date // occurred on or after, on or before (zero: open)
	Action   string
	Flag     string // FlagQuarantined lists the quarantined messages instead
	Limit    int    // 0: all
	// Brief fills only what a count of entries needs (sequence, province,
	// action, occurred on, classes, size), read from an index: the annual
	// report reads a year's entries of three actions this way.
	Brief bool
}

// MapRegister is a Register that reads just what a map draws: the areas
// with a polygon, of a province ("" all), with ID, province, status,
// classification, hazard, last operator, remaining m², geometry and the
// restriction's start filled (the rest zero). Reads.MapAreas uses it when
// the Register has it, and Areas otherwise.
type MapRegister interface {
	MapAreas(ctx context.Context, province string) ([]projections.AreaRow, error)
}
