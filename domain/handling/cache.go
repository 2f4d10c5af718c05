package handling

import (
	"sync"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// snapshot is the cached current state of one aggregate. The commands
// applied to it are in the handler's command index, not here.
type snapshot struct {
	state   domain.State
	version uint64 // stream sequence of the aggregate's last event
}

// with returns s after envs (already sequenced); s is a value, so the
// snapshot in the cache is left as it was.
func (s snapshot) with(envs []events.Envelope) snapshot {
	for _, e := range envs {
		s.apply(e)
	}
	return s
}

// apply folds one event into s in place.
func (s *snapshot) apply(e events.Envelope) {
	s.state = s.state.Evolve(e.Data)
	if e.Sequence > s.version {
		s.version = e.Sequence
	}
}

func fold(kind events.AggregateKind, envs []events.Envelope) snapshot {
	return snapshot{state: domain.NewState(kind)}.with(envs)
}

// stateCache holds the current state of aggregates. When complete, it holds
// every aggregate up to its watermark except those evicted (after a
// conflict, their state is read again from the store), so a miss on an
// aggregate never evicted means "new aggregate"; the store's expected-version
// check catches any aggregate written elsewhere.
type stateCache struct {
	mu       sync.RWMutex
	m        map[events.Ref]snapshot
	evicted  map[events.Ref]struct{}
	complete bool
}

func newStateCache() stateCache {
	return stateCache{m: make(map[events.Ref]snapshot), evicted: make(map[events.Ref]struct{})}
}

func (c *stateCache) get(ref events.Ref) (snapshot, bool) {
	c.mu.RLock()
	s, ok := c.m[ref]
	c.mu.RUnlock()
	return s, ok
}

// known reports whether a miss on ref means a new aggregate: the cache is
// complete and ref was never evicted.
func (c *stateCache) knownNew(ref events.Ref) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, gone := c.evicted[ref]
	return c.complete && !gone
}

// put stores s unless the cache already holds a newer version.
func (c *stateCache) put(ref events.Ref, s snapshot) {
	c.mu.Lock()
	if old, ok := c.m[ref]; !ok || old.version < s.version {
		c.m[ref] = s
	}
	delete(c.evicted, ref)
	c.mu.Unlock()
}

// evict forgets ref's state: the next load reads it from the store.
func (c *stateCache) evict(ref events.Ref) {
	c.mu.Lock()
	delete(c.m, ref)
	c.evicted[ref] = struct{}{}
	c.mu.Unlock()
}

// observe folds e, written by someone else, into the cached state of its
// aggregate: a cached aggregate older than e, or a new one (the cache is
// complete and never evicted it). An aggregate evicted stays so: its next
// load reads the store.
func (c *stateCache) observe(e events.Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[e.Aggregate]
	if !ok {
		if _, gone := c.evicted[e.Aggregate]; gone || !c.complete {
			return
		}
		s = snapshot{state: domain.NewState(e.Aggregate.Kind)}
	}
	if e.Sequence <= s.version {
		return
	}
	s.apply(e)
	c.m[e.Aggregate] = s
}

func (c *stateCache) isComplete() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.complete
}
