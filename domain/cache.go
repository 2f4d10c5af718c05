package domain

import (
	"sync"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// applied remembers that a command's events end at a sequence.
type applied struct {
	command uuid.UUID
	lastSeq uint64
}

// snapshot is the cached current state of one aggregate.
type snapshot struct {
	state    State
	version  uint64    // stream sequence of the aggregate's last event
	commands []applied // every command applied to the aggregate, oldest first
}

func (s *snapshot) find(id uuid.UUID) (applied, bool) {
	for i := len(s.commands) - 1; i >= 0; i-- {
		if s.commands[i].command == id {
			return s.commands[i], true
		}
	}
	return applied{}, false
}

// with returns a copy of s after envs (already sequenced); s is left as it
// was (snapshots in the cache are shared with readers).
func (s snapshot) with(envs []events.Envelope) snapshot {
	s.commands = s.commands[:len(s.commands):len(s.commands)]
	for _, e := range envs {
		s.apply(e)
	}
	return s
}

// apply folds one event into s in place: for a snapshot nobody else holds
// yet (Warm builds them so, without keeping the history in memory).
func (s *snapshot) apply(e events.Envelope) {
	s.state = s.state.Evolve(e.Data)
	if e.Sequence > s.version {
		s.version = e.Sequence
	}
	if n := len(s.commands); n > 0 && s.commands[n-1].command == e.CommandID {
		s.commands[n-1].lastSeq = e.Sequence
	} else {
		s.commands = append(s.commands, applied{command: e.CommandID, lastSeq: e.Sequence})
	}
}

func fold(kind events.AggregateKind, envs []events.Envelope) snapshot {
	return snapshot{state: NewState(kind)}.with(envs)
}

// stateCache holds the current state of aggregates. When complete, it holds
// every aggregate up to its watermark, so a miss means "new aggregate"; the
// store's expected-version check catches any aggregate written elsewhere.
type stateCache struct {
	mu       sync.RWMutex
	m        map[events.Ref]snapshot
	complete bool
}

func (c *stateCache) get(ref events.Ref) (snapshot, bool) {
	c.mu.RLock()
	s, ok := c.m[ref]
	c.mu.RUnlock()
	return s, ok
}

// put stores s unless the cache already holds a newer version.
func (c *stateCache) put(ref events.Ref, s snapshot) {
	c.mu.Lock()
	if old, ok := c.m[ref]; !ok || old.version < s.version {
		c.m[ref] = s
	}
	c.mu.Unlock()
}

func (c *stateCache) evict(ref events.Ref) {
	c.mu.Lock()
	delete(c.m, ref)
	c.mu.Unlock()
}

func (c *stateCache) isComplete() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.complete
}
