package jetstream_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/storetest"
	"github.com/landrelease/landrelease/events"
)

// A foreign message on an aggregate's subject is left out of its events but
// is its version, so the next append expecting that version succeeds (and
// one expecting the last event's sequence is a conflict, as JetStream
// says). Replay and Follow skip it; their Quarantine forms report it, in
// order, with when it was stored.
func TestForeignMessageSkippedButCounted(t *testing.T) {
	ctx := context.Background()
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	st := jetstreamtest.MustStore(t, nc)
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
	on := events.MustDate("2024-01-02")
	env := func(ev events.Event) events.Envelope {
		return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(), Schema: ev.SchemaVersion(), Aggregate: ref,
			OccurredOn: on, RecordedAt: time.Now(), Data: ev}
	}
	first, err := st.Append(ctx, []domain.Write{{Aggregate: ref, Events: []events.Envelope{env(events.AreaRegistered{AreaID: ref.ID,
		Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 100, RegisteredOn: on, Source: "BLS"})}}})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := st.JetStream().Publish(ctx, ref.Subject(), []byte("not an event")) // a plain client's publish
	if err != nil {
		t.Fatal(err)
	}
	foreign := ack.Sequence
	evs, version, err := st.Load(ctx, ref)
	if err != nil || len(evs) != 1 || evs[0].Sequence != first || version != foreign {
		t.Fatalf("Load: %d events, version %d, %v; want the registration at %d and version %d", len(evs), version, err, first, foreign)
	}
	cleared := env(events.AreaCleared{AreaID: ref.ID, On: on, SizeM2: 10, Operator: "CMAC"})
	if _, err := st.Append(ctx, []domain.Write{{Aggregate: ref, Expected: first, Events: []events.Envelope{cleared}}}); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("append expecting the last event, not the last message: %v, want a conflict", err)
	}
	seq, err := st.Append(ctx, []domain.Write{{Aggregate: ref, Expected: version, Events: []events.Envelope{cleared}}})
	if err != nil || seq != foreign+1 {
		t.Fatalf("append expecting the loaded version: sequence %d, %v", seq, err)
	}

	var seen []uint64
	if err := st.Replay(ctx, 1, func(e events.Envelope) error { seen = append(seen, e.Sequence); return nil }); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if !slices.Equal(seen, []uint64{first, seq}) {
		t.Fatalf("Replay saw %v", seen)
	}
	seen = nil
	var skipped []events.Quarantined
	err = st.ReplayQuarantine(ctx, 1, func(e events.Envelope) error { seen = append(seen, e.Sequence); return nil },
		func(q events.Quarantined) error {
			seen = append(seen, q.Sequence)
			skipped = append(skipped, q)
			return nil
		})
	if err != nil || !slices.Equal(seen, []uint64{first, foreign, seq}) || len(skipped) != 1 ||
		skipped[0].Subject != ref.Subject() || skipped[0].Reason == "" || skipped[0].StoredAt.IsZero() {
		t.Fatalf("ReplayQuarantine: order %v, skipped %+v, %v", seen, skipped, err)
	}

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen = nil
	err = st.FollowQuarantine(fctx, 1, func(e events.Envelope, _ uint64) error {
		seen = append(seen, e.Sequence)
		if e.Sequence == seq {
			cancel()
		}
		return nil
	}, func(q events.Quarantined, pending uint64) error {
		seen = append(seen, q.Sequence)
		if pending != 1 {
			t.Errorf("pending after the foreign message: %d, want 1", pending)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || !slices.Equal(seen, []uint64{first, foreign, seq}) {
		t.Fatalf("FollowQuarantine: order %v, %v", seen, err)
	}
}

// A handler warmed on a history whose last message on an area is foreign
// decides the next command on that area, and on an area that has only a
// foreign message, at the right version the first time: no conflict;
// whether the commands come while the warm-up runs in the background or
// after it (the cache prefilled by a fold of the history, which must count
// the foreign message as the area's version).
func TestWarmKnowsVersionsPastForeignMessages(t *testing.T) {
	for _, wait := range []bool{false, true} {
		ctx := context.Background()
		nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
		st := jetstreamtest.MustStore(t, nc)
		store := storetest.GroupCommit(t, st, 0) // as the engine wires it
		on := events.MustDate("2024-01-02")
		reg, err := newHandler(t, store).Handle(ctx, domain.CommandEnvelope{Command: domain.RegisterSuspectedArea{
			Province: "Pailin", Hazard: "AP", SizeM2: 1000, RegisteredOn: on, Source: "BLS"}})
		if err != nil {
			t.Fatal(err)
		}
		fresh := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
		for _, subject := range []string{reg.Aggregate.Subject(), fresh.Subject()} {
			if _, err := st.JetStream().Publish(ctx, subject, []byte("not an event")); err != nil {
				t.Fatal(err)
			}
		}
		h := newHandler(t, store)
		if err := h.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		if wait {
			if err := h.WaitWarm(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, cmd := range []domain.Command{
			domain.RecordEvidence{AreaID: reg.Aggregate.ID, Kind: "WITNESS", ObservedOn: on},
			domain.RegisterSuspectedArea{AreaID: fresh.ID, Province: "Pailin", Hazard: "AP", SizeM2: 1000, RegisteredOn: on, Source: "BLS"},
		} {
			if _, err := h.Handle(ctx, domain.CommandEnvelope{Command: cmd}); err != nil {
				t.Fatalf("%s on a poisoned area (after the warm-up: %v): %v", cmd.CommandName(), wait, err)
			}
		}
		if n := h.Conflicts(); n != 0 {
			t.Errorf("after the warm-up: %v: %d conflicts: the warm cache did not know the versions", wait, n)
		}
	}
}
