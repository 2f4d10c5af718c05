package jetstream_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/domain/storetest"
	"github.com/landrelease/landrelease/events"
)

// 16 concurrent clients write to 8 overlapping areas through one engine with
// group commit: no lost update, no doubled event, every refused command has
// its own error, and commands really shared appends.
func TestGroupCommitSixteenClients(t *testing.T) {
	t.Run("AtomicBatches", func(t *testing.T) { sixteenClients(t, 1) })
	t.Run("ConcurrentSingles", func(t *testing.T) { sixteenClients(t, handling.DefaultMinBatch) })
}

func sixteenClients(t *testing.T, minBatch int) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	store := jetstreamtest.MustStore(t, nc)
	gc := storetest.GroupCommit(t, store, minBatch)
	h := newHandler(t, gc)
	ctx := context.Background()
	const areas, size = 8, 50_000
	refs := make([]events.Ref, areas)
	for i := range refs {
		res, err := h.Handle(ctx, domain.CommandEnvelope{Command: domain.RegisterSuspectedArea{
			Province: "Pailin", Hazard: "AP", SizeM2: size, RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"}})
		if err != nil {
			t.Fatal(err)
		}
		refs[i] = res.Aggregate
	}
	appends0, writes0 := gc.Stats()
	type ok struct {
		area events.Ref
		size int64
	}
	var mu sync.Mutex
	accepted := map[uuid.UUID]ok{}
	refused := 0
	var wg sync.WaitGroup
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 99))
			for i := 0; i < 60; i++ {
				ref := refs[rng.IntN(areas)]
				sz := int64(1 + rng.IntN(1500))
				id := uuid.Must(uuid.NewV7())
				_, err := h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: domain.ClearArea{
					AreaID: ref.ID, On: events.MustDate("2021-05-01"), SizeM2: sz, Operator: "MAG"}})
				mu.Lock()
				switch {
				case err == nil:
					accepted[id] = ok{ref, sz}
				case errors.Is(err, domain.ErrInvalid), errors.Is(err, domain.ErrConflict):
					refused++
				default:
					t.Errorf("client %d: %v", c, err)
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	want := map[events.Ref]int64{}
	for _, a := range accepted {
		want[a.area] += a.size
	}
	for _, ref := range refs {
		evs, _, err := store.Load(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		var cleared int64
		seen := map[uuid.UUID]bool{}
		for _, e := range evs[1:] {
			if seen[e.CommandID] {
				t.Fatalf("command %s stored twice", e.CommandID)
			}
			seen[e.CommandID] = true
			a, found := accepted[e.CommandID]
			if !found || a.area != ref {
				t.Fatalf("history of %s holds command %s that no client saw accepted", ref, e.CommandID)
			}
			cleared += e.Data.(events.AreaCleared).SizeM2
		}
		area := domain.Fold(events.KindArea, payloads(evs)).(domain.Area)
		if cleared != want[ref] || area.RemainingM2 != size-want[ref] {
			t.Fatalf("%s: history cleared %d, clients saw %d accepted, remaining %d", ref, cleared, want[ref], area.RemainingM2)
		}
	}
	appends, writes := gc.Stats()
	appends, writes = appends-appends0, writes-writes0
	if int(writes) < len(accepted) {
		t.Fatalf("%d writes appended for %d accepted commands", writes, len(accepted))
	}
	t.Logf("%d accepted, %d refused; %d writes in %d appends (%.1f per append), %d conflicts",
		len(accepted), refused, writes, appends, float64(writes)/float64(appends), h.Conflicts())
}

// When the store cannot be reached, a group of commands fails at once with
// ErrUnavailable: the group is tried once, not again write by write (each
// of which would wait out the same outage), and a retry after the outage
// with the same command IDs applies each command once.
func TestGroupCommitFailsAGroupAtOnceWhenUnavailable(t *testing.T) {
	cluster := jetstreamtest.MustCluster(t, 3)
	nc, err := lrjs.Dial(cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	cfg := lrjs.DefaultConfig()
	cfg.RetryFor = time.Second
	store, err := lrjs.Open(context.Background(), nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	gc := storetest.GroupCommit(t, store, 2)
	h := newHandler(t, gc)
	ctx := context.Background()
	const clients = 30
	areas := make([]uuid.UUID, clients)
	for i := range areas {
		areas[i] = uuid.New()
		if _, err := h.Handle(ctx, domain.CommandEnvelope{Command: domain.RegisterSuspectedArea{AreaID: areas[i],
			Province: "Pailin", Hazard: "AP", SizeM2: 10_000, RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"}}); err != nil {
			t.Fatal(err)
		}
	}
	cmds := make([]domain.CommandEnvelope, clients)
	for i := range cmds {
		cmds[i] = domain.CommandEnvelope{ID: uuid.Must(uuid.NewV7()), Command: domain.ReduceArea{AreaID: areas[i],
			On: events.MustDate("2020-02-01"), SizeM2: 100, Operator: "HALO"}}
	}
	for i := range cluster.Size() {
		cluster.Stop(i)
	}
	_, writes0 := gc.Stats()
	var wg sync.WaitGroup
	errs := make([]error, clients)
	for i := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.Handle(ctx, cmds[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("command %d during the outage: %v, want unavailable", i, err)
		}
	}
	if _, writes := gc.Stats(); writes-writes0 > clients {
		t.Fatalf("%d writes tried for %d commands: a failed group was retried write by write", writes-writes0, clients)
	}
	for i := range cluster.Size() {
		cluster.Start(i)
	}
	cluster.WaitReady()
	for i, c := range cmds {
		var err error
		for try := 0; try < 50; try++ {
			if _, err = h.Handle(ctx, c); !errors.Is(err, domain.ErrUnavailable) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("command %d after the outage: %v", i, err)
		}
	}
	for i, id := range areas {
		envs, _, err := store.Load(ctx, events.Ref{Country: "KH", Kind: events.KindArea, ID: id})
		if err != nil || len(envs) != 2 {
			t.Fatalf("area %d: %d events (%v), want registration and one reduction", i, len(envs), err)
		}
	}
}
