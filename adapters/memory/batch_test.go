package memory_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// hookedStore runs hook once, before the first Append after it is set: a
// write by another replica, or an outage, between a batch's decisions and
// its write.
type hookedStore struct {
	*memory.Store // all its methods (Version, the scans), Append hooked
	mu            sync.Mutex
	hook          func() error
}

func (s *hookedStore) Append(ctx context.Context, writes []domain.Write) (uint64, error) {
	s.mu.Lock()
	hook := s.hook
	s.hook = nil
	s.mu.Unlock()
	if hook != nil {
		if err := hook(); err != nil {
			return 0, err
		}
	}
	return s.Store.Append(ctx, writes)
}

// A batch whose write does not go through decides again every command it
// had decided on the pending state, the refused ones too: a refusal that
// rested on a pending event that was never stored must not stand.
//
// Area of 100,000 m²; the batch cancels 60,000 m² (pending) and then
// 50,000 m² (refused: only 40,000 remain on the pending state). Another
// replica cancels 45,000 m² in between: the batch's write conflicts, the
// 60,000 are now refused (55,000 remain) and the 50,000 applied. If the
// store fails instead, neither is decided: both get the store's error.
func TestBatchDecidesAgainWhatRestedOnAnUnstoredWrite(t *testing.T) {
	ctx := context.Background()
	cancel := func(area uuid.UUID, size int64) domain.CommandEnvelope {
		return domain.CommandEnvelope{ID: uuid.New(), Command: domain.CancelArea{AreaID: area, On: events.MustDate("2024-03-12"),
			Method: events.CancelByDeskAnalysis, Reason: "desk assessment", SizeM2: size}}
	}
	for _, outage := range []bool{false, true} {
		inner := memory.New()
		store := &hookedStore{Store: inner}
		a, other := newWarm(t, store), newWarm(t, inner)
		area := uuid.New()
		if _, err := a.Handle(ctx, domain.CommandEnvelope{ID: uuid.New(), Command: domain.RegisterSuspectedArea{AreaID: area,
			Province: "Pailin", Hazard: "AP", SizeM2: 100_000, RegisteredOn: events.MustDate("2024-01-10"), Source: "BLS", Classification: "SHA"}}); err != nil {
			t.Fatal(err)
		}
		store.mu.Lock()
		store.hook = func() error {
			if outage {
				return &domain.Error{Op: "append", Kind: domain.ErrUnavailable, Problems: []domain.Problem{{Reason: "no stream leader"}}}
			}
			_, err := other.Handle(ctx, cancel(area, 45_000))
			return err
		}
		store.mu.Unlock()
		outs := a.HandleBatch(ctx, []domain.CommandEnvelope{cancel(area, 60_000), cancel(area, 50_000)}, nil)
		if outage {
			for i, o := range outs {
				if domain.KindOf(o.Err) != domain.ErrUnavailable {
					t.Errorf("store down: command %d: %+v %v, want the store's error (not decided)", i, o.Result, o.Err)
				}
			}
			continue
		}
		var de *domain.Error
		if !errors.As(outs[0].Err, &de) || de.Field() != "size_m2" {
			t.Errorf("60,000 m² after another replica's 45,000: %+v %v, want refused on size_m2", outs[0].Result, outs[0].Err)
		}
		if outs[1].Err != nil || len(outs[1].Events) != 1 {
			t.Fatalf("50,000 m², refused on the pending state only: %v, want applied", outs[1].Err)
		}
		if c, ok := outs[1].Events[0].Data.(events.AreaCancelled); !ok || c.RemainingM2 != 5_000 {
			t.Errorf("50,000 m² applied as %+v, want 5,000 m² remaining", outs[1].Events[0].Data)
		}
	}
}
