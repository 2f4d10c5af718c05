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
// a fresh in-memory National (nothing is written anywhere). Messages that
// are not events are skipped and, when src reports them, listed in the
// fold's QuarantineLog whatever keep says: they are about the history, not
// about a date.
func Replay(ctx context.Context, src Source, keep func(events.Envelope) bool) (*National, error) {
	n := NewNational()
	n.KeepAudit, n.Untracked = true, true
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
