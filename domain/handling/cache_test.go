package handling

import (
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// The cache holds at most its bound, evicts the least recently used state,
// never replaces a state by an older one, and knows which aggregates exist
// (a miss on one of them loads; on any other, once complete, it is new).
func TestStateCacheBound(t *testing.T) {
	c := newStateCache(2, newHashKey())
	ref := func() events.Ref { return events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()} }
	a, b, d, never := ref(), ref(), ref(), ref()
	snap := func(v uint64) snapshot { return snapshot{state: domain.NewState(events.KindArea), version: v} }
	c.put(a, snap(3))
	c.put(b, snap(4))
	if _, ok := c.get(a); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.put(d, snap(5))
	if _, ok := c.get(b); ok || c.len() != 2 {
		t.Fatalf("b should be evicted (least recently used); %d states held", c.len())
	}
	c.put(a, snap(2))
	if s, _ := c.get(a); s.version != 3 {
		t.Fatalf("a at version %d, want 3 (an older state never replaces a newer one)", s.version)
	}
	c.observe(events.Envelope{Aggregate: a, Sequence: 9, Data: events.EvidenceRecorded{AreaID: a.ID}})
	if s, _ := c.get(a); s.version != 9 {
		t.Fatalf("an observed event did not reach the cached state: version %d", s.version)
	}
	if c.knownNew(never) {
		t.Fatal("new before the cache is complete")
	}
	c.setComplete()
	if c.knownNew(b) || c.knownNew(a) || !c.knownNew(never) {
		t.Fatal("an evicted or cached aggregate taken for new, or an unknown one not")
	}
	c.exist(never.Subject())
	if c.knownNew(never) {
		t.Fatal("an aggregate seen in the history taken for new")
	}
}

// A prefill's fold goes into the cache only for aggregates the cache did
// not learn about meanwhile (a state loaded or put, an event observed, an
// eviction after a conflict: each as new as the prefill's or newer), only
// while there is room, and behind what the cache already holds.
func TestStateCachePrefill(t *testing.T) {
	c := newStateCache(3, newHashKey())
	ref := func() events.Ref { return events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()} }
	loaded, observed, evicted, fresh, more := ref(), ref(), ref(), ref(), ref()
	snap := func(v uint64) *snapshot { return &snapshot{state: domain.NewState(events.KindArea), version: v} }
	slot := func(v uint64) cacheSlot {
		var s cacheSlot
		s.set(*snap(v))
		return s
	}
	c.startPrefill()
	c.put(loaded, *snap(12))
	c.observe(events.Envelope{Aggregate: observed, Sequence: 11, Data: events.EvidenceRecorded{AreaID: observed.ID}})
	c.evict(evicted)
	states := map[events.Ref]cacheSlot{loaded: slot(5), observed: slot(6), evicted: slot(7), fresh: slot(8)}
	if added := c.endPrefill(states); added != 1 || len(states) != 0 {
		t.Fatalf("%d prefilled states added, %d left in the map; want 1 (the untouched one), none left", added, len(states))
	}
	if s, ok := c.get(loaded); !ok || s.version != 12 {
		t.Fatalf("a state loaded during the prefill replaced by the prefill's: %+v", s)
	}
	for name, r := range map[string]events.Ref{"observed": observed, "evicted": evicted} {
		if _, ok := c.get(r); ok {
			t.Fatalf("the prefill's older state of an aggregate %s during it went in", name)
		}
	}
	if s, ok := c.get(fresh); !ok || s.version != 8 {
		t.Fatalf("an untouched aggregate's prefilled state missing: %+v %v", s, ok)
	}
	c.put(observed, *snap(11)) // full now: 3 states
	c.startPrefill()
	if added := c.endPrefill(map[events.Ref]cacheSlot{more: slot(9)}); added != 0 {
		t.Fatal("a prefill added a state to a full cache, evicting one in use")
	}
	c.observe(events.Envelope{Aggregate: more, Sequence: 13, Data: events.EvidenceRecorded{AreaID: more.ID}})
	c.endPrefill(nil) // after a prefill, nothing is recorded
	if c.touched != nil {
		t.Fatal("aggregates still recorded after the prefill ended")
	}
}

// The cache agrees with a plain LRU list, operation by operation, over a
// random mix of puts, gets and evictions of more aggregates than it holds.
func TestStateCacheMatchesAnLRUList(t *testing.T) {
	const bound, aggregates = 8, 40
	c := newStateCache(bound, newHashKey())
	refs := make([]events.Ref, aggregates)
	for i := range refs {
		refs[i] = events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()}
	}
	type held struct {
		ref     events.Ref
		version uint64
	}
	var model []held // most recently used first
	at := func(ref events.Ref) int {
		for i, h := range model {
			if h.ref == ref {
				return i
			}
		}
		return -1
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 20_000 {
		ref := refs[rng.IntN(aggregates)]
		i := at(ref)
		switch op := rng.IntN(10); {
		case op < 5: // put
			v := uint64(rng.IntN(100))
			c.put(ref, snapshot{state: domain.NewState(events.KindArea), version: v})
			h := held{ref, v}
			if i >= 0 {
				h.version = max(v, model[i].version)
				model = append(model[:i], model[i+1:]...)
			}
			model = append([]held{h}, model...)
			if len(model) > bound {
				model = model[:bound]
			}
		case op < 9: // get
			s, ok := c.get(ref)
			if ok != (i >= 0) || ok && s.version != model[i].version {
				t.Fatalf("step %d: get = version %d, %v; the list holds it at %d", step, s.version, ok, i)
			}
			if i >= 0 {
				h := model[i]
				model = append([]held{h}, append(model[:i:i], model[i+1:]...)...)
			}
		default:
			c.evict(ref)
			if i >= 0 {
				model = append(model[:i], model[i+1:]...)
			}
		}
		if c.len() != len(model) {
			t.Fatalf("step %d: the cache holds %d states, the list %d", step, c.len(), len(model))
		}
	}
	if len(c.slots) > bound+1 {
		t.Fatalf("%d slots for a bound of %d", len(c.slots), bound)
	}
}

// Two aggregates whose IDs share a digest share a slot (the one not in it
// misses), and an aggregate of another kind with the same ID is another
// aggregate.
func TestStateCacheDigestCollision(t *testing.T) {
	c := newStateCache(10, hashKey{7, 7}) // k0 == k1: swapping an ID's halves keeps its digest
	var a, b uuid.UUID
	for i := range 16 {
		a[i] = byte(i + 1)
	}
	copy(b[:8], a[8:])
	copy(b[8:], a[:8])
	if c.key.id(a) != c.key.id(b) {
		t.Fatal("the IDs were meant to collide")
	}
	ra, rb := events.Ref{Country: "KH", Kind: events.KindArea, ID: a}, events.Ref{Country: "KH", Kind: events.KindArea, ID: b}
	other := events.Ref{Country: "KH", Kind: events.KindDeployment, ID: a}
	c.put(ra, snapshot{state: domain.NewState(events.KindArea), version: 3})
	if _, ok := c.get(rb); ok {
		t.Fatal("an aggregate sharing a digest found another's state")
	}
	if _, ok := c.get(other); ok {
		t.Fatal("another kind with the same ID found the area's state")
	}
	c.put(rb, snapshot{state: domain.NewState(events.KindArea), version: 5})
	if s, ok := c.get(rb); !ok || s.version != 5 {
		t.Fatalf("the second of two colliding aggregates: %+v %v", s, ok)
	}
	if _, ok := c.get(ra); ok || c.len() != 1 {
		t.Fatalf("both colliding states held (%d states)", c.len())
	}
}
