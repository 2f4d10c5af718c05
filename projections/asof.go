package projections

import (
	"context"
	"time"

	"github.com/landrelease/landrelease/events"
)

// AsOf keeps the events that had happened on the ground by date (occurred-on
// on or before it), whenever they were recorded: "what was there on that
// date, as we know it now".
func AsOf(date events.Date) func(events.Envelope) bool {
	return func(e events.Envelope) bool { return !e.OccurredOn.After(date) }
}

// AsRecorded keeps the events recorded by instant t: "what did the database
// say then". Migrated history carries its original entry time.
func AsRecorded(t time.Time) func(events.Envelope) bool {
	return func(e events.Envelope) bool { return !e.RecordedAt.After(t) }
}

// KnownAt keeps what was known on date asOf, as recorded by instant
// recorded (zero: everything recorded): the field facts (registrations,
// evidence, releases, reclassifications, corrections, reopenings) that
// occurred by asOf, and the plans on record (deployments with their dates,
// withdrawals, pledges, shortfalls, work plans, deadlines and milestones)
// whatever their start date, since a plan is known before it starts. A
// deadline whose decision date is stated and after asOf had not been decided
// yet. This is what a forecast or a backtest "as of" a date folds.
func KnownAt(asOf events.Date, recorded time.Time) func(events.Envelope) bool {
	return func(e events.Envelope) bool {
		if !recorded.IsZero() && e.RecordedAt.After(recorded) {
			return false
		}
		switch d := e.Data.(type) {
		case events.Article5DeadlineSet:
			return d.DecidedOn.IsZero() || !d.DecidedOn.After(asOf)
		case events.CapacityDeployed, events.CapacityWithdrawn, events.FundingPledged, events.FundingShortfallRecorded,
			events.WorkPlanApproved, events.WorkPlanEndorsed:
			return true
		}
		return !e.OccurredOn.After(asOf)
	}
}

// Replay folds the whole history, keeping only the events keep accepts, into
// a fresh in-memory National (nothing is written anywhere) that holds every
// audit row (Audit) and every geometry. Messages that are not events are
// skipped and, when src reports them, listed in the fold's QuarantineLog
// whatever keep says: they are about the history, not about a date.
// A question that needs neither the audit trail nor the shapes asks
// ReplayWith for less: at 550,000 areas the audit rows alone are most of
// the fold's memory.
func Replay(ctx context.Context, src Source, keep func(events.Envelope) bool) (*National, error) {
	return ReplayWith(ctx, src, ReplayOptions{Keep: keep, KeepAudit: true, Geometry: true})
}

// ReplayOptions say what a replay folds and what its fold holds besides the
// register, the statistics, capacity, funding, deadlines and work plans.
type ReplayOptions struct {
	// Keep selects the events folded (nil: all of them).
	Keep func(events.Envelope) bool
	// KeepAudit keeps every audit row in the fold's Audit.
	KeepAudit bool
	// Audit, when set, is given each audit row as the fold makes it, in
	// sequence order: a question about part of the trail reads it as it
	// comes instead of holding all of it.
	Audit func(AuditRow)
	// Geometry keeps the areas' geometries (the quality checks read them).
	Geometry bool
}

// ReplayWith is Replay holding what o says. The fold's QuarantineLog lists
// the messages skipped, as Replay's does.
func ReplayWith(ctx context.Context, src Source, o ReplayOptions) (*National, error) {
	n := NewNational()
	n.KeepAudit, n.OnAudit, n.NoGeometry, n.Untracked = o.KeepAudit, o.Audit, !o.Geometry, true
	keep := o.Keep
	err := replay(ctx, src, 1, func(e events.Envelope) error {
		if keep == nil || keep(e) {
			n.Apply(e)
		}
		return nil
	}, func(q events.Quarantined) error {
		n.Quarantine(q)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
