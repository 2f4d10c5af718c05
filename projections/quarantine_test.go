package projections

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// mixedSource is a history of events and quarantined messages, reported by
// ReplayQuarantine and skipped unseen by Replay.
type mixedSource struct {
	items []any // events.Envelope or events.Quarantined, in sequence order
}

func (s *mixedSource) ReplayQuarantine(ctx context.Context, from uint64, fn func(events.Envelope) error, skipped func(events.Quarantined) error) error {
	for _, it := range s.items {
		switch v := it.(type) {
		case events.Envelope:
			if v.Sequence >= from {
				if err := fn(v); err != nil {
					return err
				}
			}
		case events.Quarantined:
			if v.Sequence >= from {
				if err := skipped(v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *mixedSource) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	return s.ReplayQuarantine(ctx, from, fn, func(events.Quarantined) error { return nil })
}

// plainSource hides ReplayQuarantine: a Source that skips unseen.
type plainSource struct{ s *mixedSource }

func (p plainSource) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	return p.s.Replay(ctx, from, fn)
}

// quarantineStore is a memStore that also keeps the quarantine list.
type quarantineStore struct {
	*memStore
	listed []uint64
}

func (q *quarantineStore) Load(ctx context.Context) (State, error) {
	st, err := q.memStore.Load(ctx)
	st.Quarantined = len(q.listed)
	return st, err
}

func (q *quarantineStore) Commit(ctx context.Context, c Changes) error {
	if err := q.memStore.Commit(ctx, c); err != nil {
		return err
	}
	for _, r := range c.Quarantined {
		q.listed = append(q.listed, r.Sequence)
	}
	return nil
}

func (q *quarantineStore) Rebuild(ctx context.Context, fill func(commit func(Changes) error) error) error {
	var listed []uint64
	err := q.memStore.Rebuild(ctx, func(commit func(Changes) error) error {
		return fill(func(c Changes) error {
			for _, r := range c.Quarantined {
				listed = append(listed, r.Sequence)
			}
			return commit(c)
		})
	})
	if err == nil {
		q.listed = listed
	}
	return err
}

// The runner moves its checkpoint past quarantined messages, hands each to
// the store once with the rows, counts them across a restart and a
// rebuild; a Source that does not report them leaves the checkpoint at the
// last event. As-of replays list them.
func TestRunnerRecordsQuarantined(t *testing.T) {
	ctx := context.Background()
	area := uuid.Must(uuid.NewV7())
	env := func(seq uint64, e events.Event) events.Envelope {
		return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: e.EventType(), Schema: e.SchemaVersion(), Sequence: seq,
			Aggregate: events.Ref{Country: "KH", Kind: events.KindArea, ID: area}, OccurredOn: events.MustDate("2021-03-01"),
			RecordedAt: time.Unix(1_600_000_000, 0).UTC(), BatchEnd: true, Data: e}
	}
	q := func(seq uint64) events.Quarantined {
		return events.Quarantined{Sequence: seq, Subject: "lr.kh.area.x", Reason: "not an event"}
	}
	src := &mixedSource{items: []any{env(1, registered(area)), q(2), env(3, reduced(area)), q(4)}}

	plain := &quarantineStore{memStore: newMemStore()}
	if err := mustRunner(t, plain, 2).CatchUp(ctx, plainSource{src}, nil); err != nil {
		t.Fatal(err)
	}
	if st := plain.state(); st.Sequence != 3 || len(plain.listed) != 0 {
		t.Fatalf("without reports: checkpoint %d, listed %v; want 3 and none", st.Sequence, plain.listed)
	}

	store := &quarantineStore{memStore: newMemStore()}
	r := mustRunner(t, store, 2)
	if err := r.CatchUp(ctx, src, nil); err != nil {
		t.Fatal(err)
	}
	if st := store.state(); st.Sequence != 4 || !slices.Equal(store.listed, []uint64{2, 4}) || r.Fold().Quarantined != 2 {
		t.Fatalf("checkpoint %d, listed %v, counted %d; want 4, [2 4], 2", st.Sequence, store.listed, r.Fold().Quarantined)
	}
	src.items = append(src.items, q(5), env(6, reduced(area)))
	again := mustRunner(t, store, 100) // a restart: count from the store
	if err := again.CatchUp(ctx, src, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(store.listed, []uint64{2, 4, 5}) || again.Fold().Quarantined != 3 || store.state().Sequence != 6 {
		t.Fatalf("after a restart: listed %v, counted %d, checkpoint %d", store.listed, again.Fold().Quarantined, store.state().Sequence)
	}
	if err := again.Rebuild(ctx, src, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(store.listed, []uint64{2, 4, 5}) || again.Fold().Quarantined != 3 {
		t.Fatalf("after a rebuild: listed %v, counted %d", store.listed, again.Fold().Quarantined)
	}
	fold, err := Replay(ctx, src, AsOf(events.MustDate("2000-01-01")))
	if err != nil || fold.Quarantined != 3 || len(fold.QuarantineLog) != 3 || len(fold.Areas) != 0 {
		t.Fatalf("as-of replay: %d quarantined, %d listed, %d areas, %v", fold.Quarantined, len(fold.QuarantineLog), len(fold.Areas), err)
	}
}
