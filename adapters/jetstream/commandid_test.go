package jetstream_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/domain/storetest"
	"github.com/landrelease/landrelease/events"
)

func registerArea(size int64) domain.RegisterSuspectedArea {
	return domain.RegisterSuspectedArea{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP", SizeM2: size, Source: "BLS",
		RegisteredOn: events.MustDate("2021-01-01")}
}

func warmHandler(t *testing.T, store domain.EventStore) *handling.Handler {
	t.Helper()
	h := newHandler(t, store)
	if err := h.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

// wantReused checks a refusal for a reused command ID that names where the
// ID was first used.
func wantReused(t *testing.T, what string, err error, names ...string) {
	t.Helper()
	if !errors.Is(err, domain.ErrConflict) || !errors.Is(err, handling.ErrCommandIDReused) {
		t.Fatalf("%s: err = %v, want a conflict caused by ErrCommandIDReused", what, err)
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Field() != "command_id" {
		t.Fatalf("%s: err = %v, want a problem on command_id", what, err)
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Fatalf("%s: %v does not name %s", what, err, n)
		}
	}
}

// eventIDsOnce replays the history and fails if an event ID is stored twice;
// it returns the number of events.
func eventIDsOnce(t *testing.T, store domain.EventStore) int {
	t.Helper()
	seen := map[uuid.UUID]uint64{}
	err := store.Replay(context.Background(), 1, func(e events.Envelope) error {
		if at, ok := seen[e.ID]; ok {
			t.Errorf("event ID %s stored twice: sequences %d and %d", e.ID, at, e.Sequence)
		}
		seen[e.ID] = e.Sequence
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(seen)
}

// A command ID reused on another aggregate, with another payload or by
// another command is refused at once with a conflict that names the first
// use: by a warmed handler (its index), by a cold one (the store's
// deduplication says where the event ID is stored), and through group
// commit. Racing uses of one ID store exactly one.
func TestCommandIDReuseRefused(t *testing.T) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	store := jetstreamtest.MustStore(t, nc)
	gc := storetest.GroupCommit(t, store, 1) // groups of two or more go as one atomic batch
	ctx := context.Background()
	a := warmHandler(t, gc)

	id := uuid.New()
	first := registerArea(1_000)
	res, err := a.Handle(ctx, domain.CommandEnvelope{ID: id, Command: first})
	if err != nil {
		t.Fatal(err)
	}
	firstSeq := res.Sequence
	if again, err := a.Handle(ctx, domain.CommandEnvelope{ID: id, Command: first}); err != nil || !again.Duplicate || again.Sequence != firstSeq {
		t.Fatalf("the same command again: %+v %v, want a duplicate at %d", again, err, firstSeq)
	}
	other := first
	other.SizeM2 = 2_000
	_, err = a.Handle(ctx, domain.CommandEnvelope{ID: id, Command: other})
	wantReused(t, "another payload", err, "RegisterSuspectedArea", first.AreaID.String(), "another payload")
	_, err = a.Handle(ctx, domain.CommandEnvelope{ID: id, Command: domain.RecordEvidence{AreaID: first.AreaID, Kind: "WITNESS", ObservedOn: events.MustDate("2021-02-01")}})
	wantReused(t, "another command", err, "RegisterSuspectedArea", first.AreaID.String(), "another command")
	_, err = a.Handle(ctx, domain.CommandEnvelope{ID: id, Command: registerArea(1_000)})
	wantReused(t, "another aggregate", err, "RegisterSuspectedArea", first.AreaID.String(), "another aggregate")
	// Engines that never saw the first use: the store knows the event ID.
	for name, h := range map[string]*handling.Handler{"cold": newHandler(t, store), "cold through group commit": newHandler(t, gc)} {
		_, err = h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: registerArea(1_000)})
		wantReused(t, name+", another aggregate", err, first.AreaID.String())
	}

	// One new ID on eight areas at once, through one engine and through
	// engines that know nothing of each other: one is stored.
	for name, handlers := range map[string][]*handling.Handler{
		"one engine":    {a},
		"eight engines": {newHandler(t, gc), newHandler(t, gc), newHandler(t, gc), newHandler(t, gc), newHandler(t, store), newHandler(t, store), newHandler(t, store), newHandler(t, store)},
	} {
		id := uuid.New()
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := handlers[i%len(handlers)].Handle(ctx, domain.CommandEnvelope{ID: id, Command: registerArea(1_000)})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		stored := 0
		for err := range errs {
			if err == nil {
				stored++
				continue
			}
			if !errors.Is(err, handling.ErrCommandIDReused) {
				t.Fatalf("%s: %v, want ErrCommandIDReused", name, err)
			}
		}
		if stored != 1 {
			t.Fatalf("%s: %d of 8 uses of one command ID stored, want 1", name, stored)
		}
	}
	if n := eventIDsOnce(t, store); n != 3 {
		t.Fatalf("history holds %d events, want 3 (one per command ID)", n)
	}
}

// The bulk path: two lines with one ID on two areas, and a known ID with
// another payload: the reuses are refused, naming the first use; the rest
// is stored.
func TestCommandIDReuseInBatch(t *testing.T) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	store := jetstreamtest.MustStore(t, nc)
	ctx := context.Background()
	h := warmHandler(t, store)
	known := uuid.New()
	first := registerArea(1_000)
	if _, err := h.Handle(ctx, domain.CommandEnvelope{ID: known, Command: first}); err != nil {
		t.Fatal(err)
	}
	changed := first
	changed.SizeM2 = 5_000
	twice := uuid.New()
	a1, a2 := registerArea(100), registerArea(200)
	out := h.HandleBatch(ctx, []domain.CommandEnvelope{
		{ID: twice, Command: a1},
		{ID: twice, Command: a2},
		{ID: known, Command: changed},
		{ID: twice, Command: a1}, // a repeat of line 1 in the same batch
		{ID: known, Command: first},
	}, nil)
	if out[0].Err != nil || out[0].Sequence == 0 {
		t.Fatalf("line 1: %+v", out[0])
	}
	wantReused(t, "line 2, the same ID on another area", out[1].Err, a1.AreaID.String(), "another aggregate")
	wantReused(t, "line 3, a known ID with another payload", out[2].Err, first.AreaID.String(), "another payload")
	if !out[3].Duplicate || out[3].Err != nil {
		t.Fatalf("line 4, a repeat of line 1: %+v", out[3])
	}
	if !out[4].Duplicate || out[4].Err != nil {
		t.Fatalf("line 5, the known command again: %+v", out[4])
	}
	if n := eventIDsOnce(t, store); n != 2 {
		t.Fatalf("history holds %d events, want 2", n)
	}
}

// windowClock tells when JetStream has forgotten the message IDs stored
// before it was made: a scratch stream with the same duplicate window, on
// the same server, holds one marker message. JetStream forgets message IDs
// in the order they came, each once the window has passed since it was
// stored; so when a publish of the marker's ID is stored again instead of
// being answered "duplicate", every ID stored before the marker, in any
// stream with that window, has been forgotten too.
type windowClock struct {
	t      *testing.T
	js     jetstream.JetStream
	marker *nats.Msg
}

func newWindowClock(t *testing.T, js jetstream.JetStream, window time.Duration) *windowClock {
	t.Helper()
	ctx := context.Background()
	// The engine's identity may publish under lrcmd. (the command work
	// queue's prefix; no bus runs on this test's server).
	const subject = "lrcmd.windowclock"
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WINDOW_CLOCK", Subjects: []string{subject},
		Storage: jetstream.MemoryStorage, Duplicates: window}); err != nil {
		t.Fatal(err)
	}
	c := &windowClock{t: t, js: js, marker: &nats.Msg{Subject: subject, Header: nats.Header{}}}
	c.marker.Header.Set(lrjs.HeaderMsgID, uuid.NewString())
	if !c.expired() {
		t.Fatal("the first marker was taken for a duplicate")
	}
	if c.expired() {
		t.Fatal("JetStream forgot the marker at once: the window clock would prove nothing")
	}
	return c
}

// expired publishes the marker: true when it was stored (its ID forgotten).
func (c *windowClock) expired() bool {
	c.t.Helper()
	ack, err := c.js.PublishMsg(context.Background(), c.marker)
	if err != nil {
		c.t.Fatal(err)
	}
	return !ack.Duplicate
}

// After the JetStream duplicate window has expired, a reused command ID is
// still refused, by the engine that used it and by one started later: no
// event ID is ever stored twice.
func TestCommandIDReuseAfterDuplicateWindow(t *testing.T) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	cfg := lrjs.DefaultConfig()
	cfg.DuplicateWindow = time.Second
	store, err := lrjs.Open(context.Background(), nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := warmHandler(t, store)
	id := uuid.New()
	first := registerArea(1_000)
	res, err := a.Handle(ctx, domain.CommandEnvelope{ID: id, Command: first})
	if err != nil {
		t.Fatal(err)
	}
	clock := newWindowClock(t, store.JetStream(), cfg.DuplicateWindow) // after the first use
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for deadline := time.Now().Add(20 * time.Second); !clock.expired(); <-poll.C {
		if time.Now().After(deadline) {
			t.Fatal("JetStream still remembers a message ID 20 s after a 1 s duplicate window")
		}
	}
	b := warmHandler(t, store) // started after the window
	other := first
	other.SizeM2 = 9_000
	for name, h := range map[string]*handling.Handler{"the engine that used it": a, "an engine started later": b} {
		_, err := h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: registerArea(1_000)})
		wantReused(t, name+", another aggregate", err, first.AreaID.String())
		_, err = h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: other})
		wantReused(t, name+", another payload", err, first.AreaID.String())
		out := h.HandleBatch(ctx, []domain.CommandEnvelope{{ID: id, Command: registerArea(1_000)}}, nil)
		wantReused(t, name+", bulk, another aggregate", out[0].Err, first.AreaID.String())
		again, err := h.Handle(ctx, domain.CommandEnvelope{ID: id, Command: first})
		if err != nil || !again.Duplicate || again.Sequence != res.Sequence {
			t.Fatalf("%s, the same command: %+v %v", name, again, err)
		}
	}
	if n := eventIDsOnce(t, store); n != 1 {
		t.Fatalf("history holds %d events, want 1", n)
	}
}
