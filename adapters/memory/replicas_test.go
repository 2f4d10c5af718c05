package memory_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// TestWarmReplicaSeesAreasOfAnother: two engine replicas share one store.
// Replica A warmed its cache before replica B registered an area; A must
// still act on that area (it asks the store before answering "not found"),
// on the single path and on the bulk path.
func TestWarmReplicaSeesAreasOfAnother(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	a, err := handling.NewHandler(store, handling.DefaultHandlerConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := handling.NewHandler(store, handling.DefaultHandlerConfig())
	if err := a.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	register := func(id uuid.UUID) {
		t.Helper()
		if _, err := b.Handle(ctx, domain.CommandEnvelope{Command: domain.RegisterSuspectedArea{AreaID: id, Province: "Pailin",
			Hazard: "AP", SizeM2: 10_000, RegisteredOn: events.MustDate("2024-01-02"), Source: "BLS"}}); err != nil {
			t.Fatal(err)
		}
	}
	cancel := func(id uuid.UUID) domain.CommandEnvelope {
		return domain.CommandEnvelope{Command: domain.CancelArea{AreaID: id, On: events.MustDate("2024-02-01"), Method: "NTS", Reason: "no evidence", SizeM2: 1000}}
	}
	one, two := uuid.New(), uuid.New()
	register(one)
	register(two)
	if _, err := a.Handle(ctx, cancel(one)); err != nil {
		t.Fatalf("single path: %v", err)
	}
	out := a.HandleBatch(ctx, []domain.CommandEnvelope{cancel(two)}, nil)
	if out[0].Err != nil {
		t.Fatalf("bulk path: %v", out[0].Err)
	}
	// An area nobody registered is still refused as not found.
	if _, err := a.Handle(ctx, cancel(uuid.New())); !errorsIs(err, domain.ErrNotFound) {
		t.Fatalf("unknown area: %v", err)
	}
}

func errorsIs(err error, k domain.Kind) bool { return domain.KindOf(err) == k && err != nil }
