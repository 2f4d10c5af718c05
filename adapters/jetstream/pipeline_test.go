package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// replayed is what a replay hands over, in order.
type replayed struct {
	env *events.Envelope
	q   *events.Quarantined
}

func replayAll(t *testing.T, st *lrjs.Store, from uint64, parallel bool) []replayed {
	t.Helper()
	defer lrjs.SetParallelReplay(parallel)()
	var out []replayed
	err := st.ReplayQuarantine(context.Background(), from, func(e events.Envelope) error {
		out = append(out, replayed{env: &e})
		return nil
	}, func(q events.Quarantined) error {
		out = append(out, replayed{q: &q})
		return nil
	})
	if err != nil {
		t.Fatalf("replay (parallel %v): %v", parallel, err)
	}
	return out
}

// A replay long enough to decode on several cores hands over exactly what
// a serial replay does, in the same order: every event, and every foreign
// message's quarantine record between them, from any starting sequence.
// An error from fn ends it at once and is returned as is.
func TestParallelReplayIsTheSerialReplay(t *testing.T) {
	ctx := context.Background()
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	st := jetstreamtest.MustStore(t, nc)
	on := events.MustDate("2024-01-02")
	var writes []domain.Write
	for i := range 1500 {
		ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
		ev := events.AreaRegistered{AreaID: ref.ID, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: int64(100 + i),
			RegisteredOn: on, Source: "BLS"}
		writes = append(writes, domain.Write{Aggregate: ref, Events: []events.Envelope{{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(),
			Schema: ev.SchemaVersion(), Aggregate: ref, OccurredOn: on, RecordedAt: time.Now(), Data: ev}}})
		if len(writes) == 100 {
			if _, err := st.Append(ctx, writes); err != nil {
				t.Fatal(err)
			}
			writes = writes[:0]
		}
		if i%97 == 0 { // a foreign message now and then, some in mid-batch
			other := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
			m := nats.NewMsg(other.Subject())
			m.Header.Set(lrjs.HeaderEventType, "AreaTeleported")
			m.Data = []byte(fmt.Sprintf(`{"n":%d}`, i))
			if _, err := st.JetStream().PublishMsg(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, from := range []uint64{1, 2, 700} {
		serial, parallel := replayAll(t, st, from, false), replayAll(t, st, from, true)
		if len(serial) < 800 {
			t.Fatalf("from %d: the serial replay read %d messages", from, len(serial))
		}
		if !reflect.DeepEqual(serial, parallel) {
			t.Fatalf("from %d: the parallel replay differs from the serial one (%d and %d messages)", from, len(serial), len(parallel))
		}
		quarantined := 0
		for _, r := range parallel {
			if r.q != nil {
				quarantined++
			}
		}
		if quarantined == 0 {
			t.Fatalf("from %d: no foreign message quarantined", from)
		}
	}

	stop := errors.New("enough")
	n := 0
	err := st.Replay(ctx, 1, func(events.Envelope) error {
		n++
		if n == 600 {
			return stop
		}
		return nil
	})
	if err != stop || n != 600 {
		t.Fatalf("fn failing at the 600th event: %d calls, %v; want 600 and its error as is", n, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	n = 0
	err = st.Replay(cctx, 1, func(events.Envelope) error {
		if n++; n == 300 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("replay after its context ended: %v, want context.Canceled", err)
	}
}
