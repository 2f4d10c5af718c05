package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/projections/projectiontest"
)

// Shared by the cluster_*_test.go files: a load of ReduceArea commands that
// retries a command refused as unavailable with the same command ID, and
// the checks that nothing was lost or doubled.

const clusterAreaSize = 1_000_000 // m², more than any test reduces

func openClusterEngine(t *testing.T, natsURL string) *engine {
	t.Helper()
	g := defaultGlobals()
	g.dataDir = t.TempDir()
	g.natsURL = natsURL
	eng, err := openEngine(context.Background(), g, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

func registerAreas(t *testing.T, h *handling.Handler, n int) []uuid.UUID {
	t.Helper()
	var areas []uuid.UUID
	for i := range n {
		id := uuid.Must(uuid.NewV7())
		_, err := h.Handle(context.Background(), domain.CommandEnvelope{Command: domain.RegisterSuspectedArea{
			AreaID: id, Province: "Pailin", Hazard: "AP", SizeM2: clusterAreaSize,
			RegisteredOn: events.MustDate("2020-01-15"), Source: "BLS", Village: fmt.Sprint("v", i)}})
		if err != nil {
			t.Fatal(err)
		}
		areas = append(areas, id)
	}
	return areas
}

// reduceLoad sends ReduceArea commands of 1 m² from several goroutines.
type reduceLoad struct {
	mu          sync.Mutex
	acked       map[uuid.UUID]uuid.UUID // command → area, once the handler said ok
	ackedAt     []time.Time
	unavailable int           // refusals as unavailable (each retried)
	retried     int           // commands that needed at least one retry
	slowest     time.Duration // longest single Handle call
	failures    []error       // anything else: a test failure
	stop        chan struct{}
	wg          sync.WaitGroup
}

func startReduceLoad(h *handling.Handler, areas []uuid.UUID, workers int) *reduceLoad {
	l := &reduceLoad{acked: map[uuid.UUID]uuid.UUID{}, stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				area := areas[(w+i*workers)%len(areas)]
				if err := l.send(h, area); err != nil {
					l.mu.Lock()
					l.failures = append(l.failures, err)
					l.mu.Unlock()
					return
				}
			}
		}()
	}
	return l
}

// send applies one command, retrying it with the same command ID while the
// store is unavailable (at most two minutes: a hang fails the test).
func (l *reduceLoad) send(h *handling.Handler, area uuid.UUID) error {
	env := domain.CommandEnvelope{ID: uuid.Must(uuid.NewV7()), Command: domain.ReduceArea{
		AreaID: area, On: events.MustDate("2021-03-01"), SizeM2: 1, Operator: "HALO"}}
	giveUp := time.Now().Add(2 * time.Minute)
	for attempt := 1; ; attempt++ {
		start := time.Now()
		_, err := h.Handle(context.Background(), env)
		took := time.Since(start)
		l.mu.Lock()
		l.slowest = max(l.slowest, took)
		switch {
		case err == nil:
			l.acked[env.ID] = area
			l.ackedAt = append(l.ackedAt, time.Now())
			if attempt > 1 {
				l.retried++
			}
			l.mu.Unlock()
			return nil
		case errors.Is(err, domain.ErrUnavailable):
			l.unavailable++
		}
		l.mu.Unlock()
		if !errors.Is(err, domain.ErrUnavailable) {
			return fmt.Errorf("command %s: %w", env.ID, err)
		}
		if time.Now().After(giveUp) {
			return fmt.Errorf("command %s still unavailable after %d attempts: %w", env.ID, attempt, err)
		}
		<-time.After(50 * time.Millisecond) // a client's pause before it retries
	}
}

func (l *reduceLoad) unavailableCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unavailable
}

func (l *reduceLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitFor waits until n more commands than now are acknowledged.
func (l *reduceLoad) waitFor(t *testing.T, n int, limit time.Duration, what string) {
	t.Helper()
	want := l.count() + n
	deadline := time.After(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for l.count() < want {
		select {
		case <-deadline:
			t.Fatalf("%s: %d commands acknowledged after %s, want %d", what, l.count(), limit, want)
		case <-tick.C:
		}
		l.checkFailures(t)
	}
}

// checkFailures fails the test if a command failed other than as
// unavailable.
func (l *reduceLoad) checkFailures(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	failed := slices.Clone(l.failures)
	l.mu.Unlock()
	if len(failed) > 0 {
		t.Fatalf("commands failed other than as unavailable: %v", errors.Join(failed...))
	}
}

func (l *reduceLoad) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if len(l.failures) > 0 {
		t.Fatalf("commands failed other than as unavailable: %v", errors.Join(l.failures...))
	}
}

// longestGap returns the longest time between two acknowledgements after
// from: how long the clients saw no progress.
func (l *reduceLoad) longestGap(from time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := slices.Clone(l.ackedAt)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var gap time.Duration
	prev := from
	for _, at := range times {
		if at.Before(from) {
			continue
		}
		gap = max(gap, at.Sub(prev))
		prev = at
	}
	return gap
}

// checkExactlyOnce replays the history: every acknowledged command is stored
// exactly once and nothing else was reduced; it returns the sum of m²
// reduced per area.
func checkExactlyOnce(t *testing.T, src projections.Source, acked map[uuid.UUID]uuid.UUID) map[uuid.UUID]int64 {
	t.Helper()
	stored := map[uuid.UUID]int{}
	reduced := map[uuid.UUID]int64{}
	err := src.Replay(context.Background(), 1, func(e events.Envelope) error {
		if r, ok := e.Data.(events.AreaReduced); ok {
			stored[e.CommandID]++
			reduced[r.AreaID] += r.SizeM2
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range acked {
		if stored[id] != 1 {
			t.Errorf("acknowledged command %s is stored %d times", id, stored[id])
		}
	}
	for id := range stored {
		if _, ok := acked[id]; !ok {
			t.Errorf("command %s is stored but was never acknowledged", id)
		}
	}
	var total int64
	for _, m2 := range reduced {
		total += m2
	}
	if total != int64(len(acked)) {
		t.Errorf("history reduces %d m², the clients were told %d commands of 1 m² succeeded", total, len(acked))
	}
	return reduced
}

// checkRebuildEqual rebuilds the projections from src into a fresh SQLite
// database and compares it with db.
func checkRebuildEqual(t *testing.T, db *sqlstore.Store, src projections.Source) {
	t.Helper()
	ctx := context.Background()
	fresh, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "fresh.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := projectiontest.Runner(t, fresh, 1000).Rebuild(ctx, src, nil); err != nil {
		t.Fatal(err)
	}
	a, err := db.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fresh.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("the live read model differs from a rebuild:\nlive:\n%.2000s\nrebuild:\n%.2000s", a, b)
	}
}

// waitCheckpoint waits until db's checkpoint reaches the stream's last
// sequence.
func waitCheckpoint(t *testing.T, db *sqlstore.Store, last func() (uint64, error), limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		want, err := last()
		if err == nil {
			if cp, err := db.Checkpoint(context.Background()); err == nil && cp == want {
				return
			}
		}
		select {
		case <-deadline:
			cp, _ := db.Checkpoint(context.Background())
			t.Fatalf("read model checkpoint %d, stream at %d after %s", cp, want, limit)
		case <-tick.C:
		}
	}
}
