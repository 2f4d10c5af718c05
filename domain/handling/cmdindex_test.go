package handling

import (
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
	x := commandIndex{m: map[uuid.UUID]commandUse{}}
	area1 := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()}
	area2 := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()}
	id := uuid.New()
	ev := func(ref events.Ref, seq uint64) events.Envelope {
		return events.Envelope{Aggregate: ref, Sequence: seq, CommandID: id, Command: "ReduceArea", CommandDigest: "00000000000000010000000000000000"}
	}
	x.observe(ev(area1, 3))
	x.observe(ev(area1, 4)) // a second event of the same command
	x.observe(ev(area2, 9)) // a history written before the check
	u, ok := x.get(id)
	if !ok || u.ref() != area1 || u.seq != 4 || u.digest != 1 || commandNames[u.name-1] != "ReduceArea" {
		t.Fatalf("index holds %+v, want the first use on %s up to sequence 4", u, area1)
	}
	x.observe(events.Envelope{Aggregate: area1, Sequence: 5}) // no command ID: nothing to index
	if x.len() != 1 {
		t.Fatalf("index holds %d IDs, want 1", x.len())
	}

	fresh := uuid.New()
	mine := newUse(area2, "ReduceArea", "")
	if _, taken := x.claim(fresh, mine); taken {
		t.Fatal("a free ID was taken")
	}
	if prior, taken := x.claim(fresh, newUse(area1, "ReduceArea", "")); !taken || prior.seq != 0 || prior.ref() != area2 {
		t.Fatalf("a claimed ID: %+v %v, want the pending claim", prior, taken)
	}
	x.release(fresh, newUse(area1, "ReduceArea", "")) // not the claimer's: kept
	if _, ok := x.get(fresh); !ok {
		t.Fatal("released by another use")
	}
	x.release(fresh, mine)
	if _, ok := x.get(fresh); ok {
		t.Fatal("a released claim is still there")
	}
	x.claim(fresh, mine)
	x.settle(fresh, mine, 12)
	x.release(fresh, mine) // settled: kept
	if u, ok := x.get(fresh); !ok || u.seq != 12 {
		t.Fatalf("settled claim: %+v %v", u, ok)
	}
	// One entry costs its key and 40 bytes (issue 17 counts them).
	if n := unsafe.Sizeof(commandUse{}); n > 40 {
		t.Fatalf("commandUse is %d bytes, want at most 40", n)
	}
}
