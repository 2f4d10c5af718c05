package handling

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

func TestVerdict(t *testing.T) {
	area1 := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()}
	area2 := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()}
	id := uuid.New()
	const d1, d2 = "0123456789abcdef0123456789abcdef", "fedcba98765432100123456789abcdef"
	first := newUse(area1, "CancelArea", d1)
	first.seq = 42
	legacy := newUse(area1, "", "")
	legacy.seq = 7
	for _, c := range []struct {
		name  string
		prior commandUse
		now   commandUse
		why   string // "" for a duplicate
	}{
		{"the same command", first, newUse(area1, "CancelArea", d1), ""},
		{"another payload", first, newUse(area1, "CancelArea", d2), "with another payload"},
		{"another command", first, newUse(area1, "ReduceArea", d1), "for another command"},
		{"another aggregate", first, newUse(area2, "CancelArea", d2), "on another aggregate"},
		{"the same command aimed elsewhere (a target derived from the time)", first, newUse(area2, "CancelArea", d1), ""},
		{"before digests, the same aggregate", legacy, newUse(area1, "CancelArea", d2), ""},
		{"before digests, another aggregate", legacy, newUse(area2, "CancelArea", d1), "on another aggregate"},
	} {
		err := verdict("CancelArea", id, c.now, c.prior)
		if c.why == "" {
			if err != nil {
				t.Errorf("%s: %v, want a duplicate", c.name, err)
			}
			continue
		}
		var e *domain.Error
		if !errors.As(err, &e) || e.Kind != domain.ErrConflict || e.Field() != "command_id" || !errors.Is(err, ErrCommandIDReused) {
			t.Errorf("%s: %v, want a conflict on command_id caused by ErrCommandIDReused", c.name, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.why) || !strings.Contains(msg, area1.ID.String()) || !strings.Contains(msg, id.String()) {
			t.Errorf("%s: %q does not say %q and name the first use", c.name, msg, c.why)
		}
		if c.prior.seq == 42 && !strings.Contains(msg, "CancelArea on area") || !strings.Contains(msg, "(sequence "+strconv.Itoa(int(c.prior.seq))+")") {
			t.Errorf("%s: %q does not name the first use's command and sequence", c.name, msg)
		}
	}
}

// The index keeps the first aggregate an ID was used on, learns sequences,
// and lets a claim be settled or released.
// The index keeps the first 16 hex digits of a digest; anything else is
// unknown (0).
func TestShortDigest(t *testing.T) {
	d := domain.CommandDigest(domain.WithdrawCapacity{DeploymentID: uuid.New()})
	if shortDigest(d) == 0 || shortDigest("not hex at all!!") != 0 || shortDigest("") != 0 {
		t.Fatalf("shortDigest of %q, of junk, of nothing: want non-zero, 0, 0", d)
	}
}

func TestCommandIndex(t *testing.T) {
	x := newCommandIndex(newHashKey())
	stored := map[uint64]events.Envelope{}
	x.fetch = func(_ context.Context, seq uint64) (events.Envelope, bool, error) {
		e, ok := stored[seq]
		return e, ok, nil
	}
	ctx := context.Background()
	area1 := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()}
	area2 := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()}
	id := uuid.New()
	ev := func(ref events.Ref, seq uint64) events.Envelope {
		e := events.Envelope{Aggregate: ref, Sequence: seq, CommandID: id, Command: "ReduceArea", CommandDigest: "00000000000000010000000000000000"}
		stored[seq] = e
		return e
	}
	x.observe(ev(area1, 3))
	x.observe(ev(area1, 4)) // a second event of the same command
	u, ok, err := x.get(ctx, id)
	if err != nil || !ok || u.ref() != area1 || u.seq != 4 || u.digest != 1 || commandNames[u.name-1] != "ReduceArea" {
		t.Fatalf("index holds %+v %v %v, want the use on %s up to sequence 4", u, ok, err, area1)
	}
	x.observe(events.Envelope{Aggregate: area1, Sequence: 5}) // no command ID: nothing to index
	if x.len() != 1 {
		t.Fatalf("index holds %d IDs, want 1", x.len())
	}
	// A digest found whose event is another command's (a collision) is
	// not taken for this one.
	other := uuid.New()
	x.mu.Lock()
	x.addLocked(x.key.id(other), 3)
	x.mu.Unlock()
	if u, ok, err := x.get(ctx, other); ok || err != nil {
		t.Fatalf("a digest whose event is another command's: %+v %v %v, want not found", u, ok, err)
	}
	stored[20] = events.Envelope{Aggregate: area2, Sequence: 20, CommandID: other, Command: "ReduceArea"}
	x.mu.Lock()
	x.addLocked(x.key.id(other), 20)
	x.mergeLocked(nil)
	x.mu.Unlock()
	if u, ok, _ := x.get(ctx, other); !ok || u.seq != 20 || u.ref() != area2 {
		t.Fatalf("the second command of a shared digest: %+v %v", u, ok)
	}

	fresh := uuid.New()
	mine := newUse(area2, "ReduceArea", "")
	if _, taken := x.claim(fresh, mine); taken {
		t.Fatal("a free ID was taken")
	}
	if prior, taken := x.claim(fresh, newUse(area1, "ReduceArea", "")); !taken || prior.seq != 0 || prior.ref() != area2 {
		t.Fatalf("a claimed ID: %+v %v, want the pending claim", prior, taken)
	}
	if _, ok, _ := x.stored(ctx, fresh); ok {
		t.Fatal("a claim is not a stored use")
	}
	x.release(fresh, newUse(area1, "ReduceArea", "")) // not the claimer's: kept
	if _, ok, _ := x.get(ctx, fresh); !ok {
		t.Fatal("released by another use")
	}
	x.release(fresh, mine)
	if _, ok, _ := x.get(ctx, fresh); ok {
		t.Fatal("a released claim is still there")
	}
	x.claim(fresh, mine)
	stored[12] = events.Envelope{Aggregate: area2, Sequence: 12, CommandID: fresh, Command: "ReduceArea"}
	x.settle(fresh, mine, 12)
	x.release(fresh, mine) // settled: kept
	if u, ok, _ := x.get(ctx, fresh); !ok || u.seq != 12 {
		t.Fatalf("settled claim: %+v %v", u, ok)
	}
}

// Many entries merge into the sorted array and stay found, each with the
// largest sequence seen; an entry costs 16 bytes once merged.
func TestCommandIndexMerges(t *testing.T) {
	x := newCommandIndex(newHashKey())
	ids := make([]uuid.UUID, 20_000)
	for i := range ids {
		ids[i] = uuid.New()
		x.note(ids[i], uint64(2*i+1))
		x.note(ids[i], uint64(2*i+2))
	}
	if len(x.sorted) == 0 {
		t.Fatal("nothing merged")
	}
	x.mu.Lock()
	for i, id := range ids {
		if seqs := x.seqsLocked(x.key.id(id)); len(seqs) != 1 || seqs[0] != uint64(2*i+2) {
			t.Fatalf("ID %d: sequences %v, want [%d]", i, seqs, 2*i+2)
		}
	}
	x.mu.Unlock()
	if n := x.len(); n != len(ids) {
		t.Fatalf("%d entries, want %d", n, len(ids))
	}
	if b := x.bytes(); b > 24*len(ids) {
		t.Fatalf("%d bytes for %d IDs, want at most 24 each", b, len(ids))
	}
	if n := unsafe.Sizeof(idEntry{}); n != 16 {
		t.Fatalf("an entry is %d bytes, want 16", n)
	}
}
