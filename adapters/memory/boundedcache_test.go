package memory_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// countingStore counts what a handler asks of the store, and scans its
// history as the JetStream store does (handling.CommandScanner), so that a
// replay of the whole history shows as one.
type countingStore struct {
	*memory.Store
	fullReplays, loads, scans atomic.Int64
	scannedFrom               atomic.Uint64
}

func (s *countingStore) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	if from <= 1 {
		s.fullReplays.Add(1)
	}
	return s.Store.Replay(ctx, from, fn)
}

func (s *countingStore) Load(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error) {
	s.loads.Add(1)
	return s.Store.Load(ctx, ref)
}

func (s *countingStore) ScanCommands(ctx context.Context, from, upTo uint64, fn func(uint64, string, uuid.UUID) error) error {
	s.scans.Add(1)
	s.scannedFrom.Store(from)
	return s.Store.Replay(ctx, from, func(e events.Envelope) error {
		if e.Sequence > upTo {
			return context.Canceled // past the end
		}
		return fn(e.Sequence, e.Aggregate.Subject(), e.CommandID)
	})
}

// storedArea folds the area id as the store holds it, and returns the
// sequence of its last event.
func storedArea(t *testing.T, store *memory.Store, id uuid.UUID) (domain.Area, uint64) {
	t.Helper()
	envs, _, err := store.Load(context.Background(), events.Ref{Country: "KH", Kind: events.KindArea, ID: id})
	if err != nil || len(envs) == 0 {
		t.Fatalf("load area %s: %d events, %v", id, len(envs), err)
	}
	var s domain.State = domain.NewState(events.KindArea)
	for _, e := range envs {
		s = s.Evolve(e.Data)
	}
	return s.(domain.Area), envs[len(envs)-1].Sequence
}

func smallCacheHandler(t *testing.T, store domain.EventStore) *handling.Handler {
	t.Helper()
	cfg := handling.DefaultHandlerConfig()
	cfg.CacheSize = 4
	cfg.PrefillEvents = 0 // the states load on demand (TestWarmPrefillsTheCache has the prefill)
	h, err := handling.NewHandler(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

// A handler whose cache holds 4 states decides on 30 areas in turn, each
// follow-up on a state evicted long before: it reloads it from the store,
// and every command lands on the right version. A handler started later on
// the same history replays nothing before its first command: it loads the
// one area the command needs, and still knows every command ID of the
// history (a retry is a duplicate, a reuse on another area is refused),
// from its scan of the history.
func TestBoundedCacheAndColdStart(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	a := smallCacheHandler(t, mem)
	const n = 30
	areas := make([]uuid.UUID, n)
	regs := make([]domain.CommandEnvelope, n)
	seqs := make([]uint64, n)
	for i := range areas {
		areas[i] = uuid.New()
		regs[i] = domain.CommandEnvelope{ID: uuid.New(), Command: domain.RegisterSuspectedArea{AreaID: areas[i], Province: "Pailin", Hazard: "AP",
			SizeM2: 10_000, RegisteredOn: events.MustDate("2021-01-01"), Source: "BLS"}}
		res, err := a.Handle(ctx, regs[i])
		if err != nil {
			t.Fatal(err)
		}
		seqs[i] = res.Sequence
	}
	reduce := func(h *handling.Handler, i int, size int64) domain.Result {
		t.Helper()
		res, err := h.Handle(ctx, domain.CommandEnvelope{ID: uuid.New(), Command: domain.ReduceArea{AreaID: areas[i],
			On: events.MustDate("2022-01-01"), SizeM2: size, Operator: "CMAC"}})
		if err != nil {
			t.Fatalf("reduce area %d: %v", i, err)
		}
		return res
	}
	for round := range 2 {
		for i := range areas {
			reduce(a, i, int64(1_000*(round+1)))
		}
	}
	// The bulk path, over more areas than the cache holds.
	var bulk []domain.CommandEnvelope
	for i := range areas {
		bulk = append(bulk, domain.CommandEnvelope{ID: uuid.New(), Command: domain.ReduceArea{AreaID: areas[i],
			On: events.MustDate("2022-02-01"), SizeM2: 500, Operator: "CMAC"}})
	}
	for i, o := range a.HandleBatch(ctx, bulk, nil) {
		if o.Err != nil {
			t.Fatalf("bulk line %d: %v", i, o.Err)
		}
	}
	// Two reductions and a bulk one on each: 3,500 m² of 10,000 left 6,500.
	for i, id := range areas {
		if a, _ := storedArea(t, mem, id); a.RemainingM2 != 6_500 {
			t.Fatalf("area %d: %d m² remain, want 6,500", i, a.RemainingM2)
		}
	}

	store := &countingStore{Store: mem}
	b := smallCacheHandler(t, store)
	reduce(b, 7, 100)
	if r, l := store.fullReplays.Load(), store.loads.Load(); r != 0 || l > 2 {
		t.Fatalf("before its first command the new handler replayed the history %d times and loaded %d aggregates; want 0 and the command's own", r, l)
	}
	if err := b.WaitWarm(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := b.Handle(ctx, regs[3])
	if err != nil || !again.Duplicate || again.Sequence != seqs[3] || again.Aggregate.ID != areas[3] {
		t.Fatalf("a retry of a command of the history: %+v %v; want a duplicate at %d on area 3", again, err, seqs[3])
	}
	reused := regs[5]
	reused.Command = domain.RegisterSuspectedArea{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP",
		SizeM2: 10_000, RegisteredOn: events.MustDate("2021-01-01"), Source: "BLS"}
	_, err = b.Handle(ctx, reused)
	if !errors.Is(err, handling.ErrCommandIDReused) {
		t.Fatalf("a command ID of the history reused on a new area: %v, want ErrCommandIDReused", err)
	}
	out := b.HandleBatch(ctx, []domain.CommandEnvelope{regs[9], reused}, nil)
	if out[0].Err != nil || !out[0].Duplicate || out[0].Sequence != seqs[9] || !errors.Is(out[1].Err, handling.ErrCommandIDReused) {
		t.Fatalf("bulk: %+v / %v; want a duplicate at %d, then ErrCommandIDReused", out[0], out[1].Err, seqs[9])
	}
}

// A handler started on a history of at most PrefillEvents events folds it
// into its cache in the background after the scan: once WaitWarm returns,
// commands on every aggregate of the history decide without loading it
// (with a cache smaller than the history, at most one load each), and
// on the right version: each case reduces every area by 1,000 m² more. Above the bound nothing is prefilled.
func TestWarmPrefillsTheCache(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	const n = 40
	areas := make([]uuid.UUID, n)
	seed, err := handling.NewHandler(mem, handling.DefaultHandlerConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := range areas {
		areas[i] = uuid.New()
		if _, err := seed.Handle(ctx, domain.CommandEnvelope{Command: domain.RegisterSuspectedArea{AreaID: areas[i], Province: "Pailin", Hazard: "AP",
			SizeM2: 10_000, RegisteredOn: events.MustDate("2021-01-01"), Source: "BLS"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := seed.Handle(ctx, domain.CommandEnvelope{Command: domain.ReduceArea{AreaID: areas[i],
			On: events.MustDate("2022-01-01"), SizeM2: 2_000, Operator: "CMAC"}}); err != nil {
			t.Fatal(err)
		}
	}
	for k, c := range []struct {
		name                     string
		cache                    int
		above                    bool // the bound one event below the history
		minLoads, maxLoads, runs int64
	}{
		{"whole history in the cache", 100, false, 0, 0, 1},
		// the 4 prefilled states are the least recently used: the first loads evict them
		{"a cache of 4 states", 4, false, n - 4, n, 1},
		{"a history above the bound", 100, true, n, n, 0},
	} {
		store := &countingStore{Store: mem}
		cfg := handling.DefaultHandlerConfig()
		last, _ := mem.LastSequence(ctx) // each case adds n events
		cfg.CacheSize, cfg.PrefillEvents = c.cache, last
		if c.above {
			cfg.PrefillEvents--
		}
		h, err := handling.NewHandler(store, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		if err := h.WaitWarm(ctx); err != nil {
			t.Fatal(err)
		}
		if r := store.fullReplays.Load(); r != c.runs {
			t.Fatalf("%s: %d replays of the history, want %d", c.name, r, c.runs)
		}
		for i, id := range areas {
			res, err := h.Handle(ctx, domain.CommandEnvelope{Command: domain.ReduceArea{AreaID: id,
				On: events.MustDate("2023-01-01"), SizeM2: 1_000, Operator: "CMAC"}})
			if err != nil {
				t.Fatalf("%s: area %d: %v", c.name, i, err)
			}
			a, last := storedArea(t, mem, id)
			if got, want := a.RemainingM2, int64(7_000-1_000*k); got != want || res.Sequence != last {
				t.Fatalf("%s: area %d: %d m² remain after the reduction at %d, want %d", c.name, i, got, res.Sequence, want)

			}
		}
		if l := store.loads.Load(); l < c.minLoads || l > c.maxLoads {
			t.Fatalf("%s: %d aggregates loaded from the store, want %d to %d", c.name, l, c.minLoads, c.maxLoads)
		}
	}
}

// memIndex is an IndexStore in memory. The test reads and sets data only
// once the handlers' scans (and their writes) are done (WaitWarm).
type memIndex struct {
	mu   sync.Mutex
	data []byte
}

func (m *memIndex) Read() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data, nil
}

func (m *memIndex) Write(data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = slices.Clone(data)
	return nil
}

// A handler that saved its index snapshot lets the next one start without
// scanning the history it covers: only what was stored after it. Both
// still know every command ID of the history. A snapshot of another format
// version, a damaged one, or one of another history is ignored: the
// history is scanned again, and a new snapshot written.
func TestIndexSnapshot(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	snap := &memIndex{}
	start := func(store domain.EventStore) *handling.Handler {
		t.Helper()
		cfg := handling.DefaultHandlerConfig()
		cfg.CacheSize = 4
		cfg.PrefillEvents = 0 // only the scan replays
		h, err := handling.NewHandler(store, cfg)
		if err != nil {
			t.Fatal(err)
		}
		h.UseIndexStore(snap)
		if err := h.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		if err := h.WaitWarm(ctx); err != nil {
			t.Fatal(err)
		}
		return h
	}
	register := func(h *handling.Handler, id uuid.UUID) domain.Result {
		t.Helper()
		res, err := h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: domain.RegisterSuspectedArea{AreaID: uuid.New(), Province: "Pailin",
			Hazard: "AP", SizeM2: 10_000, RegisteredOn: events.MustDate("2021-01-01"), Source: "BLS"}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := start(mem)
	var ids []uuid.UUID
	for range 10 {
		id := uuid.New()
		register(a, id)
		ids = append(ids, id)
	}
	last, _ := mem.LastSequence(ctx)
	if err := a.SaveIndex(last); err != nil {
		t.Fatal(err)
	}
	after := uuid.New()
	register(a, after) // stored after the snapshot

	check := func(name string, h *handling.Handler) {
		t.Helper()
		for _, id := range []uuid.UUID{ids[0], ids[9], after} {
			_, err := h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: domain.RegisterSuspectedArea{AreaID: uuid.New(), Province: "Pailin",
				Hazard: "AP", SizeM2: 10_000, RegisteredOn: events.MustDate("2021-01-01"), Source: "BLS"}})
			if !errors.Is(err, handling.ErrCommandIDReused) {
				t.Fatalf("%s: command ID %s of the history reused on a new area: %v, want ErrCommandIDReused", name, id, err)
			}
		}
	}
	store := &countingStore{Store: mem}
	b := start(store)
	if store.scans.Load() != 1 || store.scannedFrom.Load() != last+1 || store.fullReplays.Load() != 0 {
		t.Fatalf("with a snapshot up to %d: %d scans from %d, %d replays; want one scan of what came after", last, store.scans.Load(), store.scannedFrom.Load(), store.fullReplays.Load())
	}
	check("from the snapshot", b)

	good := slices.Clone(snap.data)
	for name, bad := range map[string][]byte{
		"another format version": func() []byte { d := slices.Clone(good); d[4]++; return d }(),
		"damaged":                func() []byte { d := slices.Clone(good); d[len(d)/2] ^= 1; return d }(),
		"cut short":              good[:len(good)/2],
	} {
		snap.data = bad
		store := &countingStore{Store: mem}
		h := start(store)
		if store.scans.Load() != 1 || store.scannedFrom.Load() != 1 {
			t.Fatalf("%s: %d scans from %d; want the whole history scanned", name, store.scans.Load(), store.scannedFrom.Load())
		}
		check(name, h)
		if bytes.Equal(snap.data, bad) {
			t.Fatalf("%s: no new snapshot written after the scan", name)
		}
	}
	// Another history's snapshot: its check event is not in this one.
	other := memory.New()
	snap.data = nil
	o := start(other)
	register(o, uuid.New())
	register(o, uuid.New())
	register(o, uuid.New())
	olast, _ := other.LastSequence(ctx)
	if err := o.SaveIndex(olast); err != nil {
		t.Fatal(err)
	}
	store = &countingStore{Store: mem}
	check("another history's snapshot", start(store))
	if store.scannedFrom.Load() != 1 {
		t.Fatalf("another history's snapshot was used: scanned from %d", store.scannedFrom.Load())
	}
}
