package jetstream

import (
	"hash/maphash"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
)

// nats-server checks Nats-Expected-Last-Subject-Sequence by loading the
// subject's last message (LoadLastMsg in server/stream.go), which reads
// that message's whole block (up to 8 MiB) into the file store's block
// cache. A bulk append whose aggregates lie all over the history (exec of
// a national register) thereby keeps every block of the store in memory:
// a 10× exec peaked at 588 MiB, 190 MB of it block buffers.
//
// The stream-wide check, Nats-Expected-Last-Sequence, costs the server no
// read: it compares with the stream's last sequence. The store uses it
// instead when its own appends tell it every aggregate's last sequence:
// while the stream has grown only by the store's own appends since an
// append whose subjects it recorded (each acknowledgement's first sequence
// follows the last one it saw), the last sequence of each subject it
// wrote since is known, and of any other subject too if that run of
// appends began with the stream's first message (it had none). An append
// whose every aggregate it knows, with no other of its appends in flight,
// then expects the stream's last sequence: stored only if nothing was
// written since, by anyone, so the aggregates' versions are still the
// ones it checked. Anything else (a subject it does not know, a version
// that differs, another append in flight, another writer) goes with the
// per-subject check as before; a stream-wide check that fails (another
// writer got in) ends the run and the append is sent again with the
// per-subject check, which tells a real conflict from a harmless write
// elsewhere (and the next tailCooldown appends take it directly). The server still refuses every stale write: it is a
// stronger check, answered from a counter.
//
// Such an append carries the expected sequence of each aggregate's first
// event in headerPreviousSeq instead, so a load can still walk back
// (loadback.go). Its name starts with Nats-Expected- so mirrors and
// sources strip it as they strip the server's own checks (their sequences
// may differ from the origin's).
const (
	headerPreviousSeq  = "Nats-Expected-Lr-Previous-Sequence"
	headerExpectedLast = "Nats-Expected-Last-Sequence"
)

// streamWideCheck turns the stream-wide check on; the benchmarks that
// compare the two checks turn it off (SetStreamWideCheck).
var streamWideCheck = true

// maxTailSubjects bounds the subjects a run remembers (16 bytes and the
// map's overhead each, about 40 bytes; a 100× history has 550,000
// aggregates): past it the run ends and a new one starts with the next
// append.
const maxTailSubjects = 1 << 20

// tail is what the store knows of the stream's end from its own appends.
// Subjects are kept as keyed 64-bit digests: two subjects with the same
// digest share an entry, which can only make a known version look
// different (the entry holds a sequence of the other subject's message,
// never one of this subject's), so the append takes the per-subject check.
type tail struct {
	mu       sync.Mutex
	seed     maphash.Seed
	run      bool              // last and subjects describe the stream
	last     uint64            // the stream's last sequence: the end of the run
	fromZero bool              // the run began with the stream's first message
	subjects map[uint64]uint64 // digest of a subject written in the run → its last sequence
	inflight int               // appends sent and not answered
	cooldown int               // appends to send with the per-subject check before trying again
}

// tailCooldown is how many appends take the per-subject check after a
// stream-wide check failed: with other writers on the stream (engine
// replicas) a failed check costs a round trip, at most once per this many
// appends.
const tailCooldown = 64

func newTail() *tail { return &tail{seed: maphash.MakeSeed()} }

func (t *tail) key(subject string) uint64 { return maphash.String(t.seed, subject) }

// begin counts an append in flight and says whether it may expect the
// stream's last sequence (fast, with that sequence) instead of checking
// each aggregate's. msgs are built with the per-subject check: each
// aggregate's first message carries its expected sequence.
func (t *tail) begin(msgs []*nats.Msg) (last uint64, fast bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inflight++
	if t.cooldown > 0 {
		t.cooldown--
		return 0, false
	}
	if !streamWideCheck || !t.run || t.inflight > 1 {
		return 0, false
	}
	for _, m := range msgs {
		v := m.Header[HeaderExpectedSeq]
		if len(v) == 0 {
			continue
		}
		want, err := strconv.ParseUint(v[0], 10, 64)
		if err != nil {
			return 0, false
		}
		seq, ok := t.subjects[t.key(m.Subject)]
		if !ok && t.fromZero {
			seq, ok = 0, true
		}
		if !ok || seq != want {
			return 0, false
		}
	}
	return t.last, true
}

// done records an append's answer: first > 0 when msgs were stored from
// sequence first on (contiguous, as a publish or an atomic batch is);
// first == 0 leaves the run as it is (nothing stored, or a duplicate).
func (t *tail) done(msgs []*nats.Msg, first uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inflight--
	if first == 0 {
		return
	}
	end := first + uint64(len(msgs)) - 1
	switch {
	case t.run && first == t.last+1:
		// The run goes on.
	case t.run && end <= t.last:
		return // an older append answered late: the run already counts past it
	default:
		// Something else may have been stored before first: start a run
		// from this append.
		t.run, t.fromZero = true, first == 1
		clear(t.subjects)
	}
	if t.subjects == nil {
		t.subjects = make(map[uint64]uint64)
	}
	if len(t.subjects)+len(msgs) > maxTailSubjects {
		t.run = false
		clear(t.subjects)
		return
	}
	for i, m := range msgs {
		t.subjects[t.key(m.Subject)] = first + uint64(i)
	}
	t.last = end
}

// lost ends the run: a stream-wide check failed, the stream moved in a
// way the store did not see.
func (t *tail) lost() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.run, t.cooldown = false, tailCooldown
	clear(t.subjects)
}

// expectStreamRoom is what expectStream may add to the first message:
// the stream-wide check's header with a 20-digit sequence.
const expectStreamRoom = int64(len(headerExpectedLast) + len(": \r\n") + 20)

// expectStream turns msgs (built with the per-subject check) into an
// append that expects the stream's last sequence last: the first message
// carries the stream-wide check, each aggregate's first message its
// expected sequence in headerPreviousSeq.
func expectStream(msgs []*nats.Msg, last uint64) {
	for _, m := range msgs {
		if v := m.Header[HeaderExpectedSeq]; len(v) > 0 {
			m.Header[headerPreviousSeq] = v
			delete(m.Header, HeaderExpectedSeq)
		}
	}
	msgs[0].Header[headerExpectedLast] = []string{strconv.FormatUint(last, 10)}
}

// expectSubjects undoes expectStream.
func expectSubjects(msgs []*nats.Msg) {
	for _, m := range msgs {
		if v := m.Header[headerPreviousSeq]; len(v) > 0 {
			m.Header[HeaderExpectedSeq] = v
			delete(m.Header, headerPreviousSeq)
		}
	}
	delete(msgs[0].Header, headerExpectedLast)
}
