package handling

import (
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
