package synth_test

import (
	"context"
	"testing"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// apply runs envs through a Handler on an in-memory store.
func apply(t *testing.T, envs []domain.CommandEnvelope) *memory.Store {
	t.Helper()
	store := memory.New()
	h, err := handling.NewHandler(store, handling.DefaultHandlerConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range h.HandleBatch(context.Background(), envs, nil) {
		if o.Err != nil {
			t.Fatalf("generated command %d (%s) refused: %v", i, o.Command, o.Err)
		}
	}
	return store
}

// Over random histories the statistics keep the accounting identity:
// registered + corrections − cancelled − reduced − cleared + reopened equals
// the remaining area of the register, nationally and per area.
func TestStatisticsKeepTheAccountingIdentity(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 200; seed++ {
		store := apply(t, synth.Mixed(synth.DefaultConfig(seed, 300)))
		n, err := projections.Replay(ctx, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		var fromStats, remaining int64
		for k, s := range n.Stats {
			switch k.Method {
			case projections.MethodRegistered, projections.MethodCorrection, projections.MethodReopened:
				fromStats += s.AreaM2
			case projections.MethodNTS, projections.MethodDeskAnalysis, projections.MethodTS, projections.MethodClearance:
				fromStats -= s.AreaM2
			}
		}
		for _, a := range n.Areas {
			remaining += a.RemainingM2
			if got := a.SizeM2 - a.CancelledNTSM2 - a.CancelledDeskM2 - a.ReducedM2 - a.ClearedM2 + a.ReopenedM2; got != a.RemainingM2 || a.RemainingM2 < 0 {
				t.Fatalf("seed %d: area %s breaks the identity: %+v", seed, a.ID, a)
			}
			if (a.Status == "RELEASED") != (a.RemainingM2 == 0) {
				t.Fatalf("seed %d: area %s status %s with %d m² remaining", seed, a.ID, a.Status, a.RemainingM2)
			}
		}
		if fromStats != remaining {
			t.Fatalf("seed %d: statistics say %d m² remain, the register %d", seed, fromStats, remaining)
		}
		// The register agrees with the domain's own state of each area.
		for id, a := range n.Areas {
			evs, _, _ := store.Load(ctx, events.Ref{Country: "KH", Kind: events.KindArea, ID: id})
			var data []events.Event
			for _, e := range evs {
				data = append(data, e.Data)
			}
			d := domain.Fold(events.KindArea, data).(domain.Area)
			if d.RemainingM2 != a.RemainingM2 || string(d.Status()) != a.Status || d.EvidenceCount != a.EvidenceCount {
				t.Fatalf("seed %d: register row %+v disagrees with domain state %+v", seed, a, d)
			}
		}
	}
}

// As-of replays only what had happened by the date: the middle of the
// history differs from now and equals a fold of exactly those events.
func TestAsOfMiddleOfHistory(t *testing.T) {
	ctx := context.Background()
	store := apply(t, synth.Mixed(synth.DefaultConfig(42, 2000)))
	mid := events.MustDate("2020-01-01")
	asOf, err := projections.Replay(ctx, store, projections.AsOf(mid))
	if err != nil {
		t.Fatal(err)
	}
	now, _ := projections.Replay(ctx, store, nil)
	manual := projections.NewNational()
	store.Replay(ctx, 1, func(e events.Envelope) error {
		if !e.OccurredOn.After(mid) {
			manual.Apply(e)
		}
		return nil
	})
	a, b, c := projections.Summarize(asOf).National, projections.Summarize(manual).National, projections.Summarize(now).National
	if a != b {
		t.Fatalf("as-of %s = %+v, fold of the events up to then = %+v", mid, a, b)
	}
	if a == c || a.Areas >= c.Areas {
		t.Fatalf("as-of the middle of the history equals now: %+v", a)
	}
	for _, ar := range asOf.Areas {
		if ar.RegisteredOn.After(mid) {
			t.Fatalf("area registered on %s appears as of %s", ar.RegisteredOn, mid)
		}
	}
}

// National at 1× has the size of the Cambodia demo, and Stream yields the
// commands Mixed returns, in the same order.
func TestNationalHasTheDemoSize(t *testing.T) {
	cfg := synth.National(3, 1)
	want := synth.Mixed(cfg)
	i, areas := 0, 0
	err := synth.Stream(cfg, func(env domain.CommandEnvelope) error {
		if env.ID != want[i].ID {
			t.Fatalf("command %d: Stream gave %s, Mixed %s", i, env.ID, want[i].ID)
		}
		if _, ok := env.Command.(domain.RegisterSuspectedArea); ok {
			areas++
		}
		i++
		return nil
	})
	if err != nil || i != synth.DemoCommands || len(want) != synth.DemoCommands {
		t.Fatalf("Stream gave %d commands (%v), Mixed %d; want %d", i, err, len(want), synth.DemoCommands)
	}
	if lo, hi := synth.DemoAreas*9/10, synth.DemoAreas*11/10; areas < lo || areas > hi {
		t.Errorf("1× registers %d areas; want %d–%d", areas, lo, hi)
	}
}
