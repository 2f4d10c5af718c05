package handling

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
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

// commandUse is where a command ID was used: kept compact (about 48 bytes
// with its key), as the index holds one per command of the history.
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

// commandIndex maps the command IDs of the history to their use. The
// handler fills it from Warm, from the aggregates it loads, from the events
// it appends and from those it observes; a use it is about to append is
// claimed first (seq 0), so that two uses of one ID racing on this engine
// cannot both be appended. Safe for concurrent use.
type commandIndex struct {
	mu sync.Mutex
	m  map[uuid.UUID]commandUse
}

// observe records a stored event's command. The first aggregate a command
// ID was used on stays its use (a history written before this check may
// hold an ID on two aggregates).
func (x *commandIndex) observe(e events.Envelope) {
	if e.CommandID == uuid.Nil {
		return
	}
	u := newUse(e.Aggregate, e.Command, e.CommandDigest)
	x.mu.Lock()
	defer x.mu.Unlock()
	old, ok := x.m[e.CommandID]
	if !ok {
		u.seq = e.Sequence
		x.m[e.CommandID] = u
		return
	}
	if !old.sameAggregate(u) {
		return
	}
	old.seq = max(old.seq, e.Sequence)
	if old.name == 0 {
		old.name = u.name
	}
	if old.digest == 0 {
		old.digest = u.digest
	}
	x.m[e.CommandID] = old
}

func (x *commandIndex) get(id uuid.UUID) (commandUse, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	u, ok := x.m[id]
	return u, ok
}

// claim records u (with seq 0) as the use of id unless id has one; it
// returns the existing use then.
func (x *commandIndex) claim(id uuid.UUID, u commandUse) (commandUse, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.m[id]; ok {
		return old, true
	}
	u.seq = 0
	x.m[id] = u
	return commandUse{}, false
}

// settle records the last sequence of a claimed use once stored.
func (x *commandIndex) settle(id uuid.UUID, u commandUse, seq uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.m[id]; ok && old.sameAggregate(u) {
		old.seq = max(old.seq, seq)
		x.m[id] = old
	}
}

// release forgets a claim whose command was not stored.
func (x *commandIndex) release(id uuid.UUID, u commandUse) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.m[id]; ok && old.seq == 0 && old.sameAggregate(u) {
		delete(x.m, id)
	}
}

// len returns the number of command IDs known.
func (x *commandIndex) len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.m)
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
