package handling

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/google/uuid"

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

// hashKey keys the 64-bit digests of aggregates and command IDs: random for
// each new index (kept in its snapshot), so that IDs cannot be chosen to
// collide by someone who cannot read the data dir.
type hashKey struct{ k0, k1 uint64 }

func newHashKey() hashKey { return hashKey{rand.Uint64(), rand.Uint64()} }

// mix is splitmix64's finaliser: every input bit moves every output bit.
func mix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	return z ^ z>>31
}

// id is the digest of a command ID.
func (k hashKey) id(id uuid.UUID) uint64 {
	return mix(binary.LittleEndian.Uint64(id[:8])^k.k0) ^ mix(binary.LittleEndian.Uint64(id[8:])^k.k1)
}

// subject is the digest of a subject (FNV-1a, keyed, then mixed).
func (k hashKey) subject(s string) uint64 {
	h := uint64(14695981039346656037) ^ k.k0
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h ^ k.k1)
}

// ref is the digest of an aggregate, by its subject.
func (k hashKey) ref(ref events.Ref) uint64 { return k.subject(ref.Subject()) }

// stateCache holds the current state of at most max aggregates, the least
// recently used evicted first (LRU). A miss loads the aggregate from the
// store; the store's expected-version check, not the cache, is the guard
// against a stale state, so evicting is always safe: a command in flight
// keeps the snapshot it loaded, and the state it stores afterwards goes in
// as the newest.
//
// The states live in one slice of slots linked into the LRU list by index,
// found through a map from the keyed digest of the aggregate's ID to its
// slot: about 125 bytes an aggregate besides its state, where a map keyed
// by Ref to list elements and entries took about 210 (55 MB of a 100×
// exec's heap, which peaked near its 1 GiB target). Two aggregates whose
// IDs share a digest share a slot: the one not in it misses, and loads.
//
// Beside the states, the cache keeps the 64-bit digest of every aggregate
// it knows to exist (about 8 bytes each, 4 MiB for 550,000 areas). Once
// complete (the handler's scan of the history is done, or the history was
// empty), a miss on an aggregate whose digest is not there means a new
// aggregate, answered without a round trip; a digest shared by chance
// with another aggregate only costs a load.
type stateCache struct {
	mu         sync.Mutex
	max        int
	slots      []cacheSlot
	slot       map[uint64]int32 // key.id(ref.ID) → index in slots
	free       []int32          // slots emptied by evict, to reuse
	head, tail int32            // most and least recently used; noSlot when empty
	exists     map[uint64]struct{}
	key        hashKey // the command index's
	complete   bool
	// touched, while a prefill runs (nil otherwise), holds every aggregate
	// whose state the cache learnt or lost since the prefill's watermark:
	// the prefill's older fold of it must not go in.
	touched map[events.Ref]struct{}
}

const noSlot = -1

// cacheSlot is one cached state. An area's (nearly every aggregate of a
// national history) is kept in its compact form (domain.Area.AppendCompact:
// about a third of the memory of the Go value, and nothing for the garbage
// collector to scan); other kinds as they are.
type cacheSlot struct {
	ref        events.Ref
	version    uint64
	prev, next int32        // LRU neighbours: towards the most and the least recently used
	state      domain.State // nil when packed
	packed     []byte
}

func (e *cacheSlot) snapshot() snapshot {
	if e.state != nil {
		return snapshot{state: e.state, version: e.version}
	}
	a, err := domain.DecodeCompactArea(e.packed)
	if err != nil {
		panic("handling: cached area state unreadable: " + err.Error()) // written by AppendCompact in this process
	}
	return snapshot{state: a, version: e.version}
}

func (e *cacheSlot) set(s snapshot) {
	e.version = s.version
	if a, ok := s.state.(domain.Area); ok {
		e.state, e.packed = nil, a.AppendCompact(e.packed[:0])
		return
	}
	e.state, e.packed = s.state, nil
}

func newStateCache(max int, key hashKey) stateCache {
	return stateCache{max: max, slot: make(map[uint64]int32), head: noSlot, tail: noSlot,
		exists: make(map[uint64]struct{}), key: key}
}

// find returns the slot holding ref, or noSlot.
func (c *stateCache) find(ref events.Ref) int32 {
	i, ok := c.slot[c.key.id(ref.ID)]
	if !ok || c.slots[i].ref != ref {
		return noSlot
	}
	return i
}

func (c *stateCache) unlink(i int32) {
	e := &c.slots[i]
	if e.prev != noSlot {
		c.slots[e.prev].next = e.next
	} else {
		c.head = e.next
	}
	if e.next != noSlot {
		c.slots[e.next].prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = noSlot, noSlot
}

func (c *stateCache) pushFront(i int32) {
	e := &c.slots[i]
	e.prev, e.next = noSlot, c.head
	if c.head != noSlot {
		c.slots[c.head].prev = i
	}
	c.head = i
	if c.tail == noSlot {
		c.tail = i
	}
}

func (c *stateCache) pushBack(i int32) {
	e := &c.slots[i]
	e.prev, e.next = c.tail, noSlot
	if c.tail != noSlot {
		c.slots[c.tail].next = i
	}
	c.tail = i
	if c.head == noSlot {
		c.head = i
	}
}

// remove empties slot i and keeps it for reuse.
func (c *stateCache) remove(i int32) {
	c.unlink(i)
	e := &c.slots[i]
	delete(c.slot, c.key.id(e.ref.ID))
	*e = cacheSlot{prev: noSlot, next: noSlot, packed: e.packed[:0]} // keep the buffer for the next state
	c.free = append(c.free, i)
}

// insert puts s in a free slot for ref (taking over the slot of an
// aggregate whose ID shares ref's digest), at the front or the back of the
// LRU list, and returns the slot.
func (c *stateCache) insert(ref events.Ref, s snapshot, front bool) int32 {
	i := c.newSlot(ref, front)
	c.slots[i].set(s)
	return i
}

// newSlot takes a free slot for ref, indexed and linked, its state to set.
func (c *stateCache) newSlot(ref events.Ref, front bool) int32 {
	d := c.key.id(ref.ID)
	if i, ok := c.slot[d]; ok {
		c.remove(i) // another aggregate with the same digest
	}
	var i int32
	if n := len(c.free); n > 0 {
		i, c.free = c.free[n-1], c.free[:n-1]
	} else {
		if n := len(c.slots); n == cap(c.slots) {
			// Grow by a quarter, never past the bound (plus the one slot
			// put uses before it evicts): a full cache wastes no slots.
			c.slots = slices.Grow(c.slots, max(min(n/4+1024, c.max+1-n), 1))
		}
		c.slots = append(c.slots, cacheSlot{})
		i = int32(len(c.slots) - 1)
	}
	c.slots[i].ref = ref
	c.slot[d] = i
	if front {
		c.pushFront(i)
	} else {
		c.pushBack(i)
	}
	return i
}

func (c *stateCache) get(ref events.Ref) (snapshot, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(ref)
	if i == noSlot {
		return snapshot{}, false
	}
	c.unlink(i)
	c.pushFront(i)
	return c.slots[i].snapshot(), true
}

// knownNew reports whether a miss on ref means a new aggregate: the cache
// is complete and has never heard of ref.
func (c *stateCache) knownNew(ref events.Ref) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, seen := c.exists[c.key.ref(ref)]
	return c.complete && !seen
}

// put stores s unless the cache already holds a newer version, evicting
// the least recently used states beyond the bound.
func (c *stateCache) put(ref events.Ref, s snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exists[c.key.ref(ref)] = struct{}{}
	c.touch(ref)
	if i := c.find(ref); i != noSlot {
		if e := &c.slots[i]; e.version < s.version {
			e.set(s)
		}
		c.unlink(i)
		c.pushFront(i)
		return
	}
	c.insert(ref, s, true)
	for len(c.slot) > c.max {
		c.remove(c.tail)
	}
}

// evict forgets ref's state (it exists): the next load reads the store.
func (c *stateCache) evict(ref events.Ref) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exists[c.key.ref(ref)] = struct{}{}
	c.touch(ref)
	if i := c.find(ref); i != noSlot {
		c.remove(i)
	}
}

// exist records that the aggregate of subject has a message in the store.
func (c *stateCache) exist(subject string) {
	c.mu.Lock()
	c.exists[c.key.subject(subject)] = struct{}{}
	c.mu.Unlock()
}

// observe folds e, written by someone else, into the cached state of its
// aggregate when the cache holds an older one; an aggregate not cached is
// only known to exist (its next use loads it).
func (c *stateCache) observe(e events.Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exists[c.key.ref(e.Aggregate)] = struct{}{}
	c.touch(e.Aggregate)
	i := c.find(e.Aggregate)
	if i == noSlot {
		return
	}
	ce := &c.slots[i]
	if e.Sequence <= ce.version {
		return
	}
	s := ce.snapshot()
	s.apply(e)
	ce.set(s)
}

func (c *stateCache) touch(ref events.Ref) {
	if c.touched != nil {
		c.touched[ref] = struct{}{}
	}
}

// startPrefill begins recording the aggregates touched from now on (see
// touched); call it before the prefill reads its watermark.
func (c *stateCache) startPrefill() {
	c.mu.Lock()
	c.touched = make(map[events.Ref]struct{})
	c.mu.Unlock()
}

// endPrefill adds the states a prefill folded, as the least recently used
// and only while there is room, except those the cache holds or touched
// since startPrefill (they are as new as the prefill's, or newer), and
// stops recording. states is consumed.
func (c *stateCache) endPrefill(states map[events.Ref]cacheSlot) (added int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	touched := c.touched
	c.touched = nil
	for ref, st := range states {
		delete(states, ref)
		if len(c.slot) >= c.max {
			continue // emptying the map as it goes
		}
		if _, ok := touched[ref]; ok {
			continue
		}
		if _, ok := c.slot[c.key.id(ref.ID)]; ok {
			continue // ref's state, or one whose ID shares its digest: in use
		}
		e := &c.slots[c.newSlot(ref, false)]
		e.version, e.state, e.packed = st.version, st.state, st.packed
		added++
	}
	return added
}

func (c *stateCache) setComplete() {
	c.mu.Lock()
	c.complete = true
	c.mu.Unlock()
}

func (c *stateCache) isComplete() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.complete
}

// len returns the number of states held.
func (c *stateCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.slot)
}
