package handling

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// ErrCommandIDReused is the cause (wrapped in an domain.ErrConflict *domain.Error) of a
// refusal because the command ID already names another command: one with
// another name or payload, or the same on another aggregate. Such a command
// is refused at once, never retried.
var ErrCommandIDReused = errors.New("a command ID names one command")

// shortDigest is the part of a digest the index keeps; 0 means unknown (an
// event stored before digests, or a header that is not one).
func shortDigest(d string) uint64 {
	if len(d) < 16 {
		return 0
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(d[:16])); err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(b[:])
}

var aggregateKinds = []events.AggregateKind{events.KindArea, events.KindDeployment, events.KindFunding, events.KindArticle5, events.KindWorkPlan}

// commandNames are the names the index can hold (position+1); fixed at start.
var commandNames = domain.CommandNames()

func indexOf[T comparable](list []T, v T) uint8 {
	for i, x := range list {
		if x == v {
			return uint8(i + 1)
		}
	}
	return 0
}

// commandUse is where a command ID was used, as a lookup in the index
// reads it back from the stored event.
type commandUse struct {
	agg     uuid.UUID // the aggregate's ID
	country [2]byte
	kind    uint8  // position+1 in aggregateKinds
	name    uint8  // position+1 in commandNames; 0: unknown
	digest  uint64 // shortDigest; 0: unknown
	seq     uint64 // sequence of the command's last event; 0 while being applied
}

func newUse(ref events.Ref, name, digest string) commandUse {
	u := commandUse{agg: ref.ID, kind: indexOf(aggregateKinds, ref.Kind), name: indexOf(commandNames, name), digest: shortDigest(digest)}
	copy(u.country[:], ref.Country)
	return u
}

// ref returns the aggregate of the use.
func (u commandUse) ref() events.Ref {
	r := events.Ref{Country: string(u.country[:]), ID: u.agg}
	if u.kind > 0 {
		r.Kind = aggregateKinds[u.kind-1]
	}
	return r
}

func (u commandUse) sameAggregate(v commandUse) bool {
	return u.agg == v.agg && u.kind == v.kind && u.country == v.country
}

// describe names the use for a refusal: command, aggregate and sequence.
func (u commandUse) describe() string {
	name := "a command"
	if u.name > 0 {
		name = commandNames[u.name-1]
	}
	kind := events.AggregateKind("aggregate")
	if u.kind > 0 {
		kind = aggregateKinds[u.kind-1]
	}
	where := fmt.Sprintf("%s on %s %s", name, kind, u.agg)
	if u.seq == 0 {
		return where + " (being applied now)"
	}
	return fmt.Sprintf("%s (sequence %d)", where, u.seq)
}

// commandIndex knows every command ID of the history without keeping the
// IDs: a sorted array of 16-byte entries (a 64-bit digest of the ID keyed
// with a per-process seed, and the sequence of the command's last event),
// plus a small map of the entries learnt since the last merge: about 16 to
// 24 bytes per command (35 MiB for the 2.2 million commands of a 100×
// history, where a map of every ID and its use took about 56 bytes each). A
// lookup that finds the digest reads the stored event at that sequence (one
// direct get) and compares its command ID; its subject, Lr-Command and
// Lr-Command-Digest are the use. Two IDs that share a digest (about one
// chance in 10⁷ in a history of 2 million commands) keep an entry each,
// since a command's events are contiguous in the stream and theirs are not,
// and are told apart by that comparison: the index answers exactly.
//
// The handler fills it from its scan of the history (Warm), from Observe,
// its loads and its appends. A use it is about to append is claimed first
// (in an exact map of the commands in flight on this engine, seq 0), so
// that two uses of one ID racing on this engine cannot both be appended.
// While the scan runs, a lookup that finds nothing waits for it: an ID not
// found is only new once the whole history has been looked at.
// Safe for concurrent use.
type commandIndex struct {
	mu     sync.Mutex
	sorted []idEntry                // by digest; one entry per digest
	recent map[uint64]uint64        // digest → last sequence, since the last merge
	spill  []idEntry                // recent entries a later command of the same digest displaced
	claims map[uuid.UUID]commandUse // in flight on this engine
	key    hashKey
	// fetch reads the stored event at a sequence; ok is false when there
	// is no event there (a message that is not one).
	fetch func(ctx context.Context, seq uint64) (e events.Envelope, ok bool, err error)
	// scanning is closed when the scan of the history ends (nil: none was
	// started: the index trusts what it knows); scanErr says how it ended.
	scanning chan struct{}
	scanErr  error
}

type idEntry struct{ h, seq uint64 }

func newCommandIndex(key hashKey) commandIndex {
	return commandIndex{recent: make(map[uint64]uint64), claims: make(map[uuid.UUID]commandUse), key: key}
}

// seqsLocked returns the sequences recorded for digest h, ascending: one
// per command whose ID has that digest (almost always one).
func (x *commandIndex) seqsLocked(h uint64) []uint64 {
	var out []uint64
	i, _ := slices.BinarySearchFunc(x.sorted, h, func(e idEntry, h uint64) int { return cmp.Compare(e.h, h) })
	for ; i < len(x.sorted) && x.sorted[i].h == h; i++ {
		out = append(out, x.sorted[i].seq)
	}
	for _, e := range x.spill {
		if e.h == h {
			out = append(out, e.seq)
		}
	}
	if seq, ok := x.recent[h]; ok {
		out = append(out, seq)
	}
	slices.Sort(out)
	// One command's entries, split by a merge between its events, are one.
	n := 0
	for i, seq := range out {
		if i > 0 && (seq == out[n-1] || seq == out[n-1]+1) {
			out[n-1] = seq
			continue
		}
		out[n] = seq
		n++
	}
	return out[:n]
}

// addLocked records seq for digest h. A command's events are stored
// contiguously, so a sequence right after the one recorded for h extends
// that command's entry; any later one is another command (another ID with
// the same digest, or an ID a history from before the check used on two
// aggregates), whose entry is kept beside it. The recent entries merge into
// the sorted array once they are a sixteenth of it (amortised: each entry
// is copied about 16 times over its life).
func (x *commandIndex) addLocked(h, seq uint64) {
	old, ok := x.recent[h]
	switch {
	case !ok || seq == old+1:
		x.recent[h] = seq
	case seq > old+1:
		x.spill = append(x.spill, idEntry{h, old})
		x.recent[h] = seq
	}
	if len(x.recent) >= max(4096, len(x.sorted)/16) {
		add := make([]idEntry, 0, len(x.recent)+len(x.spill))
		for h, seq := range x.recent {
			add = append(add, idEntry{h, seq})
		}
		add = append(add, x.spill...)
		x.mergeLocked(add)
		clear(x.recent)
		x.spill = nil
	}
}

// mergeLocked merges entries (in any order, digests possibly repeated)
// into the sorted array, ordered by digest then sequence; entries of one
// digest whose sequences follow each other (one command's events, or an
// event seen twice) become one, with the last sequence.
func (x *commandIndex) mergeLocked(add []idEntry) {
	order := func(a, b idEntry) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	}
	slices.SortFunc(add, order)
	out := make([]idEntry, 0, len(x.sorted)+len(add))
	push := func(e idEntry) {
		if n := len(out); n > 0 && out[n-1].h == e.h && (e.seq == out[n-1].seq || e.seq == out[n-1].seq+1) {
			out[n-1].seq = e.seq
			return
		}
		out = append(out, e)
	}
	i, j := 0, 0
	for i < len(x.sorted) || j < len(add) {
		if j == len(add) || (i < len(x.sorted) && order(x.sorted[i], add[j]) <= 0) {
			push(x.sorted[i])
			i++
		} else {
			push(add[j])
			j++
		}
	}
	x.sorted = slices.Clip(out)
}

// observe records a stored event's command.
func (x *commandIndex) observe(e events.Envelope) {
	if e.CommandID == uuid.Nil {
		return
	}
	x.note(e.CommandID, e.Sequence)
}

// note records that the command id has an event at seq.
func (x *commandIndex) note(id uuid.UUID, seq uint64) {
	x.mu.Lock()
	x.addLocked(x.key.id(id), seq)
	x.mu.Unlock()
}

// startScan makes lookups that find nothing wait for finishScan.
func (x *commandIndex) startScan() {
	x.mu.Lock()
	x.scanning = make(chan struct{})
	x.mu.Unlock()
}

// finishScan adds what the scan found and wakes the lookups waiting.
func (x *commandIndex) finishScan(found []idEntry, err error) {
	x.mu.Lock()
	if err == nil {
		x.mergeLocked(found)
	}
	x.scanErr = err
	close(x.scanning)
	x.mu.Unlock()
}

// get returns the use of id: a claim in flight on this engine (seq 0), or
// the stored event of its last known sequence, read from the store.
func (x *commandIndex) get(ctx context.Context, id uuid.UUID) (commandUse, bool, error) {
	return x.lookup(ctx, id, true)
}

// stored returns the stored use of id, ignoring a claim in flight.
func (x *commandIndex) stored(ctx context.Context, id uuid.UUID) (commandUse, bool, error) {
	return x.lookup(ctx, id, false)
}

func (x *commandIndex) lookup(ctx context.Context, id uuid.UUID, claims bool) (commandUse, bool, error) {
	for waited := false; ; waited = true {
		x.mu.Lock()
		h := x.key.id(id)
		if u, ok := x.claims[id]; ok && claims {
			x.mu.Unlock()
			return u, true, nil
		}
		seqs := x.seqsLocked(h)
		scanning, scanErr := x.scanning, x.scanErr
		x.mu.Unlock()
		for _, seq := range seqs { // the first use of the ID is its use
			u, ok, err := x.resolve(ctx, id, seq)
			if ok || err != nil {
				return u, ok, err
			}
		}
		if len(seqs) > 0 && (scanning == nil || waited) {
			return commandUse{}, false, nil
		}
		if scanning == nil || waited {
			return commandUse{}, false, nil
		}
		select {
		case <-scanning:
		case <-ctx.Done():
			return commandUse{}, false, ctx.Err()
		}
		x.mu.Lock()
		scanErr = x.scanErr
		x.mu.Unlock()
		if scanErr != nil {
			return commandUse{}, false, fmt.Errorf("the scan of the history for command IDs failed: %w", scanErr)
		}
	}
}

// scanDoneLocked says whether no scan of the history runs (none started,
// or finished).
func (x *commandIndex) scanDoneLocked() bool {
	if x.scanning == nil {
		return true
	}
	select {
	case <-x.scanning:
		return true
	default:
		return false
	}
}

// prefetchReads bounds the reads of prefetch in flight at once.
const prefetchReads = 16

// prefetch reads back, up to prefetchReads at a time, the stored uses of
// those of ids the index knows, so that a batch of retries (a file run
// again, the demo loaded twice) does not wait for one read after the other.
// What it cannot read, or an ID it does not know, is looked up the usual way
// (get); while the scan of the history runs it reads nothing.
func (x *commandIndex) prefetch(ctx context.Context, ids []uuid.UUID) map[uuid.UUID]commandUse {
	if x.fetch == nil || len(ids) < 2 {
		return nil
	}
	type job struct {
		id   uuid.UUID
		seqs []uint64
	}
	var jobs []job
	x.mu.Lock()
	if !x.scanDoneLocked() {
		x.mu.Unlock()
		return nil
	}
	for _, id := range ids {
		if _, ok := x.claims[id]; ok {
			continue
		}
		if seqs := x.seqsLocked(x.key.id(id)); len(seqs) > 0 {
			jobs = append(jobs, job{id, seqs})
		}
	}
	x.mu.Unlock()
	if len(jobs) < 2 {
		return nil
	}
	out := make(map[uuid.UUID]commandUse, len(jobs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, prefetchReads)
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, seq := range j.seqs { // the first use of the ID is its use
				u, ok, err := x.resolve(ctx, j.id, seq)
				if err != nil {
					return
				}
				if ok {
					mu.Lock()
					out[j.id] = u
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// resolve reads the event at seq and tells whether it is id's.
func (x *commandIndex) resolve(ctx context.Context, id uuid.UUID, seq uint64) (commandUse, bool, error) {
	if x.fetch == nil {
		return commandUse{}, false, nil
	}
	e, ok, err := x.fetch(ctx, seq)
	if err != nil {
		return commandUse{}, false, fmt.Errorf("read the use of command ID %s at sequence %d: %w", id, seq, err)
	}
	if !ok || e.CommandID != id {
		return commandUse{}, false, nil // another ID with the same digest
	}
	u := newUse(e.Aggregate, e.Command, e.CommandDigest)
	u.seq = seq
	return u, true, nil
}

// claim records u (with seq 0) as the use of id in flight on this engine
// unless another is; it returns that one then. The caller has looked id up
// in the history just before (get); a use stored in between by another
// command of this engine or another replica is caught by the store's
// deduplication of event IDs, as is any race between replicas.
func (x *commandIndex) claim(id uuid.UUID, u commandUse) (commandUse, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.claims[id]; ok {
		return old, true
	}
	u.seq = 0
	x.claims[id] = u
	return commandUse{}, false
}

// settle records the last sequence of a claimed use once stored.
func (x *commandIndex) settle(id uuid.UUID, u commandUse, seq uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.claims[id]; ok && old.sameAggregate(u) {
		delete(x.claims, id)
	}
	x.addLocked(x.key.id(id), seq)
}

// release forgets a claim whose command was not stored.
func (x *commandIndex) release(id uuid.UUID, u commandUse) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.claims[id]; ok && old.sameAggregate(u) {
		delete(x.claims, id)
	}
}

// len returns the number of command digests known.
func (x *commandIndex) len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := len(x.sorted)
	for h := range x.recent {
		if _, found := slices.BinarySearchFunc(x.sorted, h, func(e idEntry, h uint64) int { return cmp.Compare(e.h, h) }); !found {
			n++
		}
	}
	return n
}

// bytes returns the memory the index's entries take.
func (x *commandIndex) bytes() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return 16*cap(x.sorted) + 24*len(x.recent)
}

// verdict compares a command (use u of id) with the recorded use of its ID:
// a retry of the same command is a duplicate (nil error); anything else is
// an domain.ErrConflict that names the first use.
//
// The same name and payload is the same command even if its target differs:
// a target derived from a command ID that is not a UUIDv7 also depends on
// the time it was handled (events.DerivedID), so a retry of such a command
// can aim at another aggregate; it is answered as the duplicate it is.
// Events stored before digests existed carry no name or digest: a command
// on the same aggregate is then taken for a retry, as before, and one on
// another aggregate is refused.
func verdict(op string, id uuid.UUID, u, prior commandUse) error {
	if prior.digest != 0 && prior.name == u.name && prior.digest == u.digest {
		return nil
	}
	if prior.digest == 0 && prior.sameAggregate(u) && (prior.name == 0 || prior.name == u.name) {
		return nil
	}
	var why string
	switch {
	case prior.name != 0 && prior.name != u.name:
		why = "for another command"
	case !prior.sameAggregate(u):
		why = "on another aggregate"
	default:
		why = "with another payload"
	}
	return reusedError(op, fmt.Sprintf("command ID %s was first used by %s and is reused here %s; send this command with a new ID", id, prior.describe(), why))
}

func reusedError(op, reason string) error {
	return &domain.Error{Op: op, Kind: domain.ErrConflict, Problems: []domain.Problem{{Field: "command_id", Reason: reason}}, Err: ErrCommandIDReused}
}
