package memory_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/storetest"
	"github.com/landrelease/landrelease/events"
)

// watched is the in-memory store with a count of the appends inside it:
// in all and per aggregate.
type watched struct {
	*memory.Store
	mu        sync.Mutex
	inside    int
	most      int                // most appends inside at once
	perAgg    map[events.Ref]int // appends inside, by aggregate
	twice     []events.Ref       // aggregates seen with two appends inside
	allInside chan struct{}      // closed once want appends are inside together
	opened    bool               // allInside is closed
	want      int
}

func (w *watched) Append(ctx context.Context, writes []domain.Write) (uint64, error) {
	w.mu.Lock()
	w.inside++
	w.most = max(w.most, w.inside)
	for _, wr := range writes {
		w.perAgg[wr.Aggregate]++
		if w.perAgg[wr.Aggregate] > 1 {
			w.twice = append(w.twice, wr.Aggregate)
		}
	}
	if w.inside == w.want && !w.opened {
		w.opened = true // later appends pass at once
		close(w.allInside)
	}
	w.mu.Unlock()
	// Hold the append until the others are in flight too (or a while has
	// passed: then the test fails on w.most).
	select {
	case <-w.allInside:
	case <-time.After(5 * time.Second):
	}
	defer func() {
		w.mu.Lock()
		w.inside--
		for _, wr := range writes {
			w.perAgg[wr.Aggregate]--
		}
		w.mu.Unlock()
	}()
	return w.Store.Append(ctx, writes)
}

func appendOne(ctx context.Context, s domain.EventStore, ref events.Ref, expected uint64) error {
	cmd := uuid.Must(uuid.NewV7())
	day := events.MustDate("2021-03-01")
	data := events.AreaCleared{AreaID: ref.ID, On: day, SizeM2: 10, Operator: "CMAC"}
	_, err := s.Append(ctx, []domain.Write{{Aggregate: ref, Expected: expected, Events: []events.Envelope{{
		ID: uuid.Must(uuid.NewV7()), Type: data.EventType(), Schema: data.SchemaVersion(), Aggregate: ref,
		OccurredOn: day, RecordedAt: time.Now().UTC(), Actor: "tester",
		CommandID: cmd, CorrelationID: cmd, CausationID: cmd, Data: data}}}})
	return err
}

// Group commit pipelines appends on distinct aggregates (they are in the
// store together, none waits for another's answer) and never has two
// appends of one aggregate in flight: the second waits for the first's
// answer, then meets its expected-version check.
func TestGroupCommitPipelinesOneInFlightPerAggregate(t *testing.T) {
	const aggregates, perAggregate = 8, 3
	w := &watched{Store: memory.New(), perAgg: map[events.Ref]int{}, allInside: make(chan struct{}), want: aggregates}
	gc := storetest.GroupCommit(t, w, 0)
	refs := make([]events.Ref, aggregates)
	for i := range refs {
		refs[i] = events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored, conflicts := 0, 0
	for _, ref := range refs {
		for range perAggregate {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := appendOne(ctx, gc, ref, 0) // all but one per aggregate conflict
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					stored++
				case errors.Is(err, domain.ErrConflict):
					conflicts++
				default:
					t.Errorf("append: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	if w.most < aggregates {
		t.Errorf("at most %d appends were in flight at once, want %d (one per aggregate)", w.most, aggregates)
	}
	if len(w.twice) > 0 {
		t.Errorf("two appends of %s were in flight at once", w.twice[0])
	}
	if stored != aggregates || conflicts != aggregates*(perAggregate-1) {
		t.Errorf("%d stored and %d conflicts, want %d and %d: each aggregate's first append wins, the others meet its version",
			stored, conflicts, aggregates, aggregates*(perAggregate-1))
	}
	if appends, writes := gc.Stats(); appends != writes {
		t.Errorf("%d writes in %d appends: groups below the break-even should go as single appends", writes, appends)
	}
}

// Appends racing with Close all return: each is stored, or fails as closed
// and is not in the store. (One that slipped into the queue as the appender
// stopped used to wait forever.)
func TestGroupCommitCloseAnswersEveryAppend(t *testing.T) {
	for round := range 50 {
		store := memory.New()
		gc := storetest.GroupCommit(t, store, 0)
		ctx := context.Background()
		const appenders = 64
		refs := make([]events.Ref, appenders)
		errs := make([]error, appenders)
		var wg sync.WaitGroup
		for i := range appenders {
			refs[i] = events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = appendOne(ctx, gc, refs[i], 0)
			}()
		}
		gc.Close()
		wg.Wait() // a lost answer hangs here until the test binary's timeout
		for i, err := range errs {
			evs, _, lerr := store.Load(ctx, refs[i])
			if lerr != nil {
				t.Fatal(lerr)
			}
			switch {
			case err == nil && len(evs) != 1:
				t.Fatalf("round %d: append %d answered ok but %d events stored", round, i, len(evs))
			case err != nil && len(evs) != 0:
				t.Fatalf("round %d: append %d failed (%v) but its event is stored", round, i, err)
			case err != nil && !strings.Contains(err.Error(), "closed"):
				t.Fatalf("round %d: append %d: %v, want closed", round, i, err)
			}
		}
	}
}
