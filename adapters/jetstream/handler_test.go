package jetstream_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

func newHandler(t *testing.T, store domain.EventStore) *handling.Handler {
	t.Helper()
	cfg := handling.DefaultHandlerConfig()
	h, err := handling.NewHandler(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// 50 goroutines, spread over 5 engines that share one JetStream store (so
// their caches go stale and real conflicts happen), clear parts of the same
// area at once. Every accepted command is in the history exactly once, and the
// area's remaining size is the arithmetic of the accepted commands.
func TestConcurrentCommandsOnOneArea(t *testing.T) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	store := jetstreamtest.MustStore(t, nc)
	ctx := context.Background()
	engines := make([]*handling.Handler, 5)
	for i := range engines {
		engines[i] = newHandler(t, store)
	}
	const size = 10_000
	reg, err := engines[0].Handle(ctx, domain.CommandEnvelope{Command: domain.RegisterSuspectedArea{
		Province: "Battambang", Hazard: "AP", SizeM2: size, RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"}})
	if err != nil {
		t.Fatal(err)
	}
	areaID := reg.Aggregate.ID
	type result struct {
		id   uuid.UUID
		size int64
		err  error
	}
	results := make(chan result, 50)
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			size := int64(100 + 17*g) // 50 commands ask for 30,825 m² in all: some must be refused
			env := domain.CommandEnvelope{ID: uuid.Must(uuid.NewV7()), Command: domain.ClearArea{
				AreaID: areaID, On: events.MustDate("2021-01-01"), SizeM2: size, Operator: "CMAC"}}
			_, err := engines[g%len(engines)].Handle(ctx, env)
			results <- result{env.ID, size, err}
		}(g)
	}
	wg.Wait()
	close(results)
	accepted := map[uuid.UUID]int64{}
	var clearedSum int64
	for r := range results {
		switch {
		case r.err == nil:
			accepted[r.id] = r.size
			clearedSum += r.size
		case errors.Is(r.err, domain.ErrInvalid), errors.Is(r.err, domain.ErrConflict):
			// more than remains, or lost every retry: refused, nothing written
		default:
			t.Errorf("command %s: unexpected error %v", r.id, r.err)
		}
	}
	if len(accepted) == 0 {
		t.Fatal("no command was accepted")
	}
	evs, _, err := store.Load(ctx, reg.Aggregate)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uuid.UUID]int{}
	var fromHistory int64
	for _, e := range evs[1:] {
		c, ok := e.Data.(events.AreaCleared)
		if !ok {
			t.Fatalf("unexpected event %s", e.Type)
		}
		seen[e.CommandID]++
		fromHistory += c.SizeM2
		if accepted[e.CommandID] != c.SizeM2 {
			t.Errorf("history holds command %s (%d m²) that was not reported accepted with that size", e.CommandID, c.SizeM2)
		}
	}
	for id := range accepted {
		if seen[id] != 1 {
			t.Errorf("accepted command %s is in the history %d times", id, seen[id])
		}
	}
	area := domain.Fold(events.KindArea, payloads(evs)).(domain.Area)
	if fromHistory != clearedSum || area.RemainingM2 != size-clearedSum || area.RemainingM2 < 0 {
		t.Fatalf("remaining %d m², cleared in history %d, accepted %d: want remaining = %d − accepted", area.RemainingM2, fromHistory, clearedSum, size)
	}
	var conflicts int64
	for _, e := range engines {
		conflicts += e.Conflicts()
	}
	t.Logf("%d of 50 accepted, %d m² cleared, %d m² remain; %d conflicts decided again", len(accepted), clearedSum, area.RemainingM2, conflicts)
}

func payloads(envs []events.Envelope) []events.Event {
	out := make([]events.Event, len(envs))
	for i, e := range envs {
		out[i] = e.Data
	}
	return out
}

// A command retried with the same command ID (a client that lost the reply)
// is applied once, also through another engine with a cold cache.
func TestRetriedCommandAppliedOnce(t *testing.T) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	store := jetstreamtest.MustStore(t, nc)
	ctx := context.Background()
	a, b := newHandler(t, store), newHandler(t, store)
	env := domain.CommandEnvelope{ID: uuid.Must(uuid.NewV7()), Command: domain.DeployCapacity{
		Operator: "HALO Trust", Province: "Pailin", Method: "MANUAL", Deminers: 30, From: events.MustDate("2021-01-01")}}
	first, err := a.Handle(ctx, env)
	if err != nil || first.Duplicate {
		t.Fatalf("first: %+v %v", first, err)
	}
	for _, h := range []*handling.Handler{a, b} {
		again, err := h.Handle(ctx, env)
		if err != nil || !again.Duplicate || again.Sequence != first.Sequence {
			t.Fatalf("retry: %+v %v; want a duplicate at sequence %d", again, err, first.Sequence)
		}
	}
	if n, _ := store.LastSequence(ctx); n != first.Sequence {
		t.Fatalf("stream holds %d events, want %d", n, first.Sequence)
	}
	// A new command on a stale cache still decides on the true state.
	w := domain.CommandEnvelope{Command: domain.WithdrawCapacity{DeploymentID: first.Aggregate.ID, On: events.MustDate("2021-06-01")}}
	if _, err := b.Handle(ctx, w); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Handle(ctx, domain.CommandEnvelope{Command: domain.WithdrawCapacity{DeploymentID: first.Aggregate.ID, On: events.MustDate("2021-07-01")}}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("withdrawing twice through a stale engine: err = %v, want ErrInvalid", err)
	}
}
