package jetstream_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

func tailEvent(ref events.Ref, n int) events.Envelope {
	on := events.MustDate("2024-01-02")
	var ev events.Event = events.EvidenceRecorded{AreaID: ref.ID, Evidence: events.Evidence{Kind: "WITNESS", ObservedOn: on,
		Description: "seen " + strconv.Itoa(n)}}
	if n == 0 {
		ev = events.AreaRegistered{AreaID: ref.ID, Province: "Pailin", Hazard: "AP", Classification: "SHA",
			SizeM2: 1000, RegisteredOn: on, Source: "BLS"}
	}
	return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(), Schema: ev.SchemaVersion(), Aggregate: ref,
		OccurredOn: on, RecordedAt: time.Now(), Data: ev}
}

func isConflict(err error) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Kind == domain.ErrConflict
}

// A store whose own appends are the only ones since it began expects the
// stream's last sequence instead of each aggregate's (the server answers
// that without reading the aggregate's last message back). Two stores
// writing the same stream, as two engines do, still refuse every stale
// write and accept every current one, whichever check each append took.
func TestStreamWideCheckKeepsConflicts(t *testing.T) {
	ctx := context.Background()
	srv := jetstreamtest.MustEmbedded(t)
	a := jetstreamtest.MustStore(t, jetstreamtest.MustConnect(t, srv))
	b := jetstreamtest.MustStore(t, jetstreamtest.MustConnect(t, srv))
	stream, err := a.JetStream().Stream(ctx, lrjs.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	newRef := func() events.Ref {
		return events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
	}
	write := func(st *lrjs.Store, ref events.Ref, expected uint64, n int) (uint64, error) {
		return st.Append(ctx, []domain.Write{{Aggregate: ref, Expected: expected, Events: []events.Envelope{tailEvent(ref, n)}}})
	}
	must := func(seq uint64, err error) uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	checkLoad := func(st *lrjs.Store, ref events.Ref, version uint64, n int) {
		t.Helper()
		got, v, err := st.Load(ctx, ref)
		if err != nil || v != version || len(got) != n {
			t.Fatalf("Load(%s) = %d events, version %d, %v; want %d events, version %d", ref.ID, len(got), v, err, n, version)
		}
	}

	x, y := newRef(), newRef()
	x1 := must(write(a, x, 0, 0)) // the stream's first message: a's run starts
	x2 := must(write(a, x, x1, 1))
	raw, err := stream.GetMsg(ctx, x2)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get(lrjs.HeaderExpectedSeq) != "" || raw.Header.Get("Nats-Expected-Lr-Previous-Sequence") != strconv.FormatUint(x1, 10) {
		t.Fatalf("a's second append on its own stream: headers %v, want the stream-wide check with the previous sequence %d", raw.Header, x1)
	}
	y1 := must(write(a, y, 0, 0)) // a new aggregate: a knows the stream had no message on it
	if _, err := write(a, x, x1, 2); !isConflict(err) {
		t.Fatalf("append on a stale version of x in a's own run: err = %v, want a conflict", err)
	}

	// b writes x: a's state of x is stale and a's run is over.
	x3 := must(write(b, x, x2, 2))
	if _, err := write(a, x, x2, 3); !isConflict(err) {
		t.Fatalf("a's append on x after b wrote it: err = %v, want a conflict", err)
	}
	// b wrote elsewhere: a's current version of y is still good.
	z := newRef()
	must(write(b, z, 0, 0))
	y2 := must(write(a, y, y1, 1))
	// b creates an aggregate a knows nothing of.
	w := newRef()
	w1 := must(write(b, w, 0, 0))
	if _, err := write(a, w, 0, 0); !isConflict(err) {
		t.Fatalf("a's append creating w after b created it: err = %v, want a conflict", err)
	}
	x4 := must(write(a, x, x3, 3))
	checkLoad(a, x, x4, 4)
	checkLoad(b, y, y2, 2)
	checkLoad(a, w, w1, 1)

	// Concurrent appends from both stores: on each aggregate exactly one
	// of two appends with the same expected version is stored.
	refs := make([]events.Ref, 40)
	for i := range refs {
		refs[i] = newRef()
	}
	versions := make([]uint64, len(refs))
	for round := range 3 {
		var wg sync.WaitGroup
		stored := make([][2]uint64, len(refs))
		for i, ref := range refs {
			for k, st := range []*lrjs.Store{a, b} {
				wg.Go(func() {
					seq, err := write(st, ref, versions[i], round)
					switch {
					case err == nil:
						stored[i][k] = seq
					case !isConflict(err):
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		for i, s := range stored {
			if (s[0] == 0) == (s[1] == 0) {
				t.Fatalf("round %d, aggregate %d: stored at %v; want exactly one of the two appends", round, i, s)
			}
			versions[i] = max(s[0], s[1])
		}
	}
	for i, ref := range refs {
		checkLoad(a, ref, versions[i], 3)
	}

	// Alone again, a goes back to the stream-wide check after a while.
	v := versions[0]
	for n := range 100 {
		v = must(write(a, refs[0], v, 3+n))
	}
	raw, err = stream.GetMsg(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get(lrjs.HeaderExpectedSeq) != "" || raw.Header.Get("Nats-Expected-Lr-Previous-Sequence") != strconv.FormatUint(v-1, 10) {
		t.Fatalf("a's 100th append alone after b's writes: headers %v, want the stream-wide check with the previous sequence %d", raw.Header, v-1)
	}
	checkLoad(b, refs[0], v, 103)
}
