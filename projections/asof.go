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
