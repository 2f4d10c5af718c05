// Package storetest is the conformance suite every domain.EventStore passes:
// the in-memory store, the JetStream store on an embedded server, and on an
// external server. It imports only the standard library, uuid, events and
// domain, so it can run against any implementation.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// Run runs the suite. newStore must return an empty store for each call.
func Run(t *testing.T, newStore func(t *testing.T) domain.EventStore) {
	t.Run("AppendThenLoad", func(t *testing.T) { testAppendThenLoad(t, newStore(t)) })
	t.Run("EnvelopeRoundTrip", func(t *testing.T) { testEnvelopeRoundTrip(t, newStore(t)) })
	t.Run("ExpectedVersionConflict", func(t *testing.T) { testConflict(t, newStore(t)) })
	t.Run("AtomicBatchAllOrNothing", func(t *testing.T) { testAtomic(t, newStore(t)) })
	t.Run("ContiguousSequences", func(t *testing.T) { testContiguous(t, newStore(t)) })
	t.Run("RetryIsIdempotent", func(t *testing.T) { testRetry(t, newStore(t)) })
	t.Run("ReplayFromSequence", func(t *testing.T) { testReplay(t, newStore(t)) })
	t.Run("ConcurrentWritersOneWins", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("ManyEventsOneAggregate", func(t *testing.T) { testLongAggregate(t, newStore(t)) })
	t.Run("EventOverSizeLimitRefused", func(t *testing.T) { testTooLarge(t, newStore(t)) })
}

var day = events.MustDate("2021-03-01")

func areaRef() events.Ref {
	return events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
}

func envelope(ref events.Ref, data events.Event) events.Envelope {
	cmd := uuid.Must(uuid.NewV7())
	return events.Envelope{
		ID: uuid.Must(uuid.NewV7()), Type: data.EventType(), Schema: data.SchemaVersion(), Aggregate: ref,
		OccurredOn: day, RecordedAt: time.Date(2021, 3, 2, 10, 0, 0, 123000000, time.UTC), Actor: "tester",
		CommandID: cmd, CorrelationID: cmd, CausationID: cmd, Data: data,
	}
}

func registered(ref events.Ref, size int64) events.Envelope {
	return envelope(ref, events.AreaRegistered{AreaID: ref.ID, Province: "Battambang", Hazard: "AP",
		Classification: events.SHA, SizeM2: size, RegisteredOn: day, Source: "BLS"})
}

func cleared(ref events.Ref, size int64) events.Envelope {
	return envelope(ref, events.AreaCleared{AreaID: ref.ID, On: day, SizeM2: size, Operator: "CMAC"})
}

func mustAppend(t *testing.T, s domain.EventStore, writes ...domain.Write) uint64 {
	t.Helper()
	first, err := s.Append(context.Background(), writes)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if first == 0 {
		t.Fatalf("Append returned sequence 0 for new events")
	}
	return first
}

func last(t *testing.T, s domain.EventStore) uint64 {
	t.Helper()
	n, err := s.LastSequence(context.Background())
	if err != nil {
		t.Fatalf("LastSequence: %v", err)
	}
	return n
}

func testAppendThenLoad(t *testing.T, s domain.EventStore) {
	ctx := context.Background()
	ref := areaRef()
	evs, v, err := s.Load(ctx, ref)
	if err != nil || len(evs) != 0 || v != 0 {
		t.Fatalf("Load of a new aggregate = %d events, version %d, %v; want none, 0, nil", len(evs), v, err)
	}
	seq := mustAppend(t, s, domain.Write{Aggregate: ref, Expected: 0, Events: []events.Envelope{registered(ref, 5000)}})
	seq2 := mustAppend(t, s, domain.Write{Aggregate: ref, Expected: seq, Events: []events.Envelope{cleared(ref, 1000)}})
	if seq2 <= seq {
		t.Fatalf("second append got sequence %d, not after %d", seq2, seq)
	}
	evs, v, err = s.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || v != seq2 || evs[0].Sequence != seq || evs[1].Sequence != seq2 {
		t.Fatalf("Load = %d events, version %d; want 2 events at %d,%d", len(evs), v, seq, seq2)
	}
	if c, ok := evs[1].Data.(events.AreaCleared); !ok || c.SizeM2 != 1000 {
		t.Fatalf("second event = %#v, want AreaCleared of 1000 m²", evs[1].Data)
	}
}

func testEnvelopeRoundTrip(t *testing.T, s domain.EventStore) {
	ref := areaRef()
	want := registered(ref, 1234)
	want.Data = events.AreaRegistered{AreaID: ref.ID, Province: "Pailin", District: "Sala Krau", Hazard: "MIXED",
		Classification: events.CHA, SizeM2: 1234, RegisteredOn: day, Source: "NTS", LandUse: "AGRICULTURE",
		CasualtiesLast5y: 2, CommunityRequest: true,
		Evidence: []events.Evidence{{Kind: "ACCIDENT", ObservedOn: day, Description: "cow killed", Reference: "R-1"}}}
	seq := mustAppend(t, s, domain.Write{Aggregate: ref, Events: []events.Envelope{want}})
	got, _, err := s.Load(context.Background(), ref)
	if err != nil || len(got) != 1 {
		t.Fatalf("Load: %d events, %v", len(got), err)
	}
	want.Sequence, want.BatchEnd = seq, true // a lone event ends its own append
	if g := fmt.Sprintf("%+v", got[0]); g != fmt.Sprintf("%+v", want) {
		t.Fatalf("round trip changed the envelope:\n got %s\nwant %+v", g, want)
	}
}

func testConflict(t *testing.T, s domain.EventStore) {
	ref := areaRef()
	seq := mustAppend(t, s, domain.Write{Aggregate: ref, Events: []events.Envelope{registered(ref, 5000)}})
	before := last(t, s)
	for _, expected := range []uint64{0, seq + 1, seq - 1} {
		_, err := s.Append(context.Background(), []domain.Write{{Aggregate: ref, Expected: expected, Events: []events.Envelope{cleared(ref, 1)}}})
		if !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("append expecting version %d of an aggregate at %d: err = %v, want ErrConflict", expected, seq, err)
		}
	}
	if after := last(t, s); after != before {
		t.Fatalf("a refused append stored events: last sequence %d -> %d", before, after)
	}
}

func testAtomic(t *testing.T, s domain.EventStore) {
	a, b := areaRef(), areaRef()
	seqB := mustAppend(t, s, domain.Write{Aggregate: b, Events: []events.Envelope{registered(b, 100)}})
	before := last(t, s)
	// The first write is fine; the second (a stale expectation) must fail,
	// and take the first with it.
	_, err := s.Append(context.Background(), []domain.Write{
		{Aggregate: a, Expected: 0, Events: []events.Envelope{registered(a, 10), cleared(a, 5)}},
		{Aggregate: b, Expected: seqB + 7, Events: []events.Envelope{cleared(b, 1)}},
	})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("batch with a stale second write: err = %v, want ErrConflict", err)
	}
	if after := last(t, s); after != before {
		t.Fatalf("refused batch stored %d events", after-before)
	}
	if evs, _, _ := s.Load(context.Background(), a); len(evs) != 0 {
		t.Fatalf("aggregate of the refused batch's first write has %d events, want 0", len(evs))
	}
	// The same batch with a true expectation is stored whole.
	first := mustAppend(t, s,
		domain.Write{Aggregate: a, Expected: 0, Events: []events.Envelope{registered(a, 10), cleared(a, 5)}},
		domain.Write{Aggregate: b, Expected: seqB, Events: []events.Envelope{cleared(b, 1)}},
	)
	if first != before+1 || last(t, s) != before+3 {
		t.Fatalf("batch stored at %d..%d, want %d..%d", first, last(t, s), before+1, before+3)
	}
}

func testContiguous(t *testing.T, s domain.EventStore) {
	var writes []domain.Write
	for i := 0; i < 50; i++ {
		r := areaRef()
		writes = append(writes, domain.Write{Aggregate: r, Events: []events.Envelope{registered(r, int64(100+i)), cleared(r, 1)}})
	}
	first := mustAppend(t, s, writes...)
	seq := first
	for _, w := range writes {
		evs, v, err := s.Load(context.Background(), w.Aggregate)
		if err != nil || len(evs) != 2 {
			t.Fatalf("Load %s: %d events, %v", w.Aggregate, len(evs), err)
		}
		if evs[0].Sequence != seq || evs[1].Sequence != seq+1 || v != seq+1 {
			t.Fatalf("events of %s at %d,%d (version %d), want %d,%d", w.Aggregate, evs[0].Sequence, evs[1].Sequence, v, seq, seq+1)
		}
		lastOfAppend := w.Aggregate == writes[len(writes)-1].Aggregate
		if evs[0].BatchEnd || evs[1].BatchEnd != lastOfAppend {
			t.Fatalf("BatchEnd of %s = %v,%v; want it only on the append's last event", w.Aggregate, evs[0].BatchEnd, evs[1].BatchEnd)
		}
		seq += 2
	}
}

func testRetry(t *testing.T, s domain.EventStore) {
	ref := areaRef()
	one := []domain.Write{{Aggregate: ref, Events: []events.Envelope{registered(ref, 100)}}}
	mustAppend(t, s, one...)
	before := last(t, s)
	first, err := s.Append(context.Background(), one)
	if err != nil && !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("retrying a stored single event: %v", err)
	}
	if err == nil && first != 0 {
		t.Fatalf("retrying a stored single event returned new sequence %d", first)
	}
	r2 := areaRef()
	multi := []domain.Write{{Aggregate: r2, Events: []events.Envelope{registered(r2, 100), cleared(r2, 10)}}}
	mustAppend(t, s, multi...)
	before = last(t, s)
	first, err = s.Append(context.Background(), multi)
	if err != nil && !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("retrying a stored batch: %v", err)
	}
	if err == nil && first != 0 {
		t.Fatalf("retrying a stored batch returned new sequence %d", first)
	}
	if after := last(t, s); after != before {
		t.Fatalf("retry stored %d more events", after-before)
	}
}

func testReplay(t *testing.T, s domain.EventStore) {
	var refs []events.Ref
	for i := 0; i < 30; i++ {
		r := areaRef()
		refs = append(refs, r)
		mustAppend(t, s, domain.Write{Aggregate: r, Events: []events.Envelope{registered(r, int64(i+1))}})
	}
	n := last(t, s)
	var seqs []uint64
	err := s.Replay(context.Background(), n-9, func(e events.Envelope) error {
		seqs = append(seqs, e.Sequence)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 10 || seqs[0] != n-9 || seqs[9] != n {
		t.Fatalf("Replay from %d saw %v", n-9, seqs)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("Replay out of order: %v", seqs)
		}
	}
	stop := errors.New("stop")
	count := 0
	err = s.Replay(context.Background(), 1, func(events.Envelope) error {
		count++
		if count == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || count != 3 {
		t.Fatalf("Replay did not stop at the callback's error: err %v after %d events", err, count)
	}
	count = 0
	if err := s.Replay(context.Background(), n+1, func(events.Envelope) error { count++; return nil }); err != nil || count != 0 {
		t.Fatalf("Replay past the end: %d events, %v", count, err)
	}
}

func testConcurrent(t *testing.T, s domain.EventStore) {
	ref := areaRef()
	seq := mustAppend(t, s, domain.Write{Aggregate: ref, Events: []events.Envelope{registered(ref, 1000)}})
	const writers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(context.Background(), []domain.Write{{Aggregate: ref, Expected: seq, Events: []events.Envelope{cleared(ref, 1)}}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, domain.ErrConflict):
				conflicts++
			default:
				t.Errorf("concurrent append: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != writers-1 {
		t.Fatalf("%d writers from the same version: %d won, %d conflicts; want exactly 1 winner", writers, wins, conflicts)
	}
	if evs, _, _ := s.Load(context.Background(), ref); len(evs) != 2 {
		t.Fatalf("aggregate has %d events, want 2", len(evs))
	}
}

func testLongAggregate(t *testing.T, s domain.EventStore) {
	ref := areaRef()
	v := mustAppend(t, s, domain.Write{Aggregate: ref, Events: []events.Envelope{registered(ref, 1_000_000)}})
	for i := 0; i < 600; i++ {
		other := areaRef() // interleave other subjects
		mustAppend(t, s, domain.Write{Aggregate: other, Events: []events.Envelope{registered(other, 5)}})
		v = mustAppend(t, s, domain.Write{Aggregate: ref, Expected: v, Events: []events.Envelope{cleared(ref, 1)}})
	}
	evs, version, err := s.Load(context.Background(), ref)
	if err != nil || len(evs) != 601 || version != v {
		t.Fatalf("Load: %d events, version %d, %v; want 601 events at version %d", len(evs), version, err, v)
	}
}

// An event over the store's size limit (MaxEventBytes when the store says,
// else the 1 MiB default of nats-server's max_payload) is refused before
// anything is stored, even inside a batch, with ErrTooLarge naming the
// large field; the rest of the batch can then be stored alone.
func testTooLarge(t *testing.T, s domain.EventStore) {
	limit := int64(1 << 20)
	if l, ok := s.(interface{ MaxEventBytes() int64 }); ok {
		limit = l.MaxEventBytes()
	}
	if limit <= 0 {
		t.Skip("the store has no event size limit")
	}
	a, b := areaRef(), areaRef()
	big := registered(b, 100)
	reg := big.Data.(events.AreaRegistered)
	reg.Geometry = bigPolygon(int(limit) + 64<<10)
	big.Data = reg
	before := last(t, s)
	_, err := s.Append(context.Background(), []domain.Write{
		{Aggregate: a, Events: []events.Envelope{registered(a, 10)}},
		{Aggregate: b, Events: []events.Envelope{big}},
	})
	if !errors.Is(err, domain.ErrTooLarge) {
		t.Fatalf("batch with a polygon over the %d-byte limit: err = %v, want ErrTooLarge", limit, err)
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Field() != "geometry.coordinates[0]" {
		t.Errorf("too large names field %q, want geometry.coordinates[0] (err %v)", de.Field(), err)
	}
	if after := last(t, s); after != before {
		t.Fatalf("refused batch stored %d events", after-before)
	}
	if first := mustAppend(t, s, domain.Write{Aggregate: a, Events: []events.Envelope{registered(a, 10)}}); first != before+1 {
		t.Fatalf("the other write stored at %d, want %d", first, before+1)
	}
}

// bigPolygon returns a GeoJSON Polygon of at least n bytes.
func bigPolygon(n int) []byte {
	b := []byte(`{"type":"Polygon","coordinates":[[[102.5,12.8]`)
	for len(b) < n {
		b = append(b, `,[102.512345678,12.812345678]`...)
	}
	return append(b, `,[102.5,12.8]]]}`...)
}

// GroupCommit returns a group commit over store with the default
// configuration but for minBatch (0 keeps the default), closed when the
// test ends. minBatch 1 also keeps one append in flight at a time, so that
// every group of commands that wait together goes as one atomic batch.
func GroupCommit(t testing.TB, store domain.EventStore, minBatch int) *handling.GroupCommit {
	t.Helper()
	cfg := handling.DefaultGroupCommitConfig()
	if minBatch != 0 {
		cfg.MinBatch = minBatch
	}
	if minBatch == 1 {
		cfg.MaxInFlight = 1
	}
	g, err := handling.NewGroupCommit(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g
}
