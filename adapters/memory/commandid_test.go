package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

func newWarm(t *testing.T, store domain.EventStore) *handling.Handler {
	t.Helper()
	h, err := handling.NewHandler(store, handling.DefaultHandlerConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

// Events stored before commands carried a digest (no Lr-Command, no
// Lr-Command-Digest) are read leniently: the same ID on the same aggregate
// is taken for a retry, as it always was; on another aggregate it is
// refused.
func TestCommandIDBeforeDigests(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	area, id := uuid.New(), uuid.New()
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: area}
	old := events.Envelope{ID: uuid.New(), Type: "AreaRegistered", Schema: 1, Aggregate: ref, CommandID: id,
		Data: events.AreaRegistered{AreaID: area, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 10_000,
			RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"}}
	if _, err := store.Append(ctx, []domain.Write{{Aggregate: ref, Events: []events.Envelope{old}}}); err != nil {
		t.Fatal(err)
	}
	h := newWarm(t, store)
	res, err := h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: domain.RegisterSuspectedArea{AreaID: area, Province: "Pailin",
		Hazard: "AP", SizeM2: 20_000, RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"}})
	if err != nil || !res.Duplicate || res.Sequence != 1 {
		t.Fatalf("same aggregate: %+v %v, want a duplicate at 1", res, err)
	}
	_, err = h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: domain.RegisterSuspectedArea{AreaID: uuid.New(), Province: "Pailin",
		Hazard: "AP", SizeM2: 20_000, RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"}})
	if !errors.Is(err, handling.ErrCommandIDReused) {
		t.Fatalf("another aggregate: %v, want ErrCommandIDReused", err)
	}
}

// Two replicas on one store: B warmed before A wrote. What A writes reaches
// B through Observe (as the engine's ordered consumer delivers it): B's role
// checks see the area's province at once, and B refuses a reuse of A's
// command ID. Without Observe, B still never refuses wrongly: a refusal on
// cached state is decided again on the store's state.
func TestReplicaDecidesOnCurrentState(t *testing.T) {
	ctx := context.Background()
	for _, observe := range []bool{true, false} {
		store := memory.New()
		a, b := newWarm(t, store), newWarm(t, store)
		id, area := uuid.New(), uuid.New()
		reg := domain.RegisterSuspectedArea{AreaID: area, Province: "Pailin", Hazard: "AP", SizeM2: 10_000,
			RegisteredOn: events.MustDate("2024-01-02"), Source: "BLS", Classification: "CHA"}
		res, err := a.Handle(ctx, domain.CommandEnvelope{ID: id, Command: reg})
		if err != nil {
			t.Fatal(err)
		}
		written := res.Events
		// HALO is deployed in Pailin and tasked to the area through A, so
		// the MAPU may credit it with results there.
		dep := uuid.New()
		for _, c := range []domain.Command{
			domain.DeployCapacity{DeploymentID: dep, Operator: "HALO", Province: "Pailin", Method: "MANUAL", Deminers: 20, From: events.MustDate("2024-01-01")},
			domain.AssignTask{AreaID: area, DeploymentID: dep, On: events.MustDate("2024-01-03"), Task: "TS"},
		} {
			r, err := a.Handle(ctx, domain.CommandEnvelope{Command: c})
			if err != nil {
				t.Fatal(err)
			}
			written = append(written, r.Events...)
		}
		if observe {
			for _, e := range written {
				b.Observe(e)
			}
		}
		mapu := &domain.Principal{Name: "pailin", Role: domain.Role{Kind: domain.RoleMAPU, Scope: "Pailin"}}
		if _, err := b.Handle(ctx, domain.CommandEnvelope{Principal: mapu, Command: domain.ReduceArea{AreaID: area,
			On: events.MustDate("2024-02-01"), SizeM2: 1_000, Operator: "HALO"}}); err != nil {
			t.Fatalf("observe=%v: the MAPU of the area's province on B: %v", observe, err)
		}
		other := reg
		other.AreaID = uuid.New()
		if _, err := b.Handle(ctx, domain.CommandEnvelope{ID: id, Command: other}); !errors.Is(err, handling.ErrCommandIDReused) {
			t.Fatalf("observe=%v: A's command ID reused on B: %v, want ErrCommandIDReused", observe, err)
		}
		out := b.HandleBatch(ctx, []domain.CommandEnvelope{{Principal: mapu, Command: domain.ReduceArea{AreaID: area,
			On: events.MustDate("2024-02-02"), SizeM2: 1_000, Operator: "HALO"}}}, nil)
		if out[0].Err != nil {
			t.Fatalf("observe=%v: bulk path on B: %v", observe, out[0].Err)
		}
		// The wrong province is still refused.
		bmb := &domain.Principal{Name: "bmb", Role: domain.Role{Kind: domain.RoleMAPU, Scope: "Battambang"}}
		if _, err := b.Handle(ctx, domain.CommandEnvelope{Principal: bmb, Command: domain.ReduceArea{AreaID: area,
			On: events.MustDate("2024-02-03"), SizeM2: 1_000, Operator: "HALO"}}); !errors.Is(err, domain.ErrForbidden) {
			t.Fatalf("observe=%v: another province's MAPU: %v, want ErrForbidden", observe, err)
		}
	}
}
