package jetstream_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// BenchmarkLoad loads random aggregates of a stored history of 20,000 areas
// (one to four events each, interleaved as commands would leave them) with
// Store.Load, each way it can read: walking back from the last message
// ("backward", the default), batched gets from the first message on the
// store's shared reply subscription ("forward"), and batched gets with
// jetstreamext.GetBatch, a subscription per request ("getbatch", before).
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	st := jetstreamtest.MustStore(b, jetstreamtest.MustConnect(b, jetstreamtest.MustEmbedded(b)))
	on := events.MustDate("2020-03-01")
	const areas = 20_000
	refs := make([]events.Ref, areas)
	want := make([]int, areas)
	rng := rand.New(rand.NewPCG(1, 2))
	ver := make([]uint64, areas)
	var writes []domain.Write
	var idx []int
	flush := func() {
		if len(writes) == 0 {
			return
		}
		first, err := st.Append(ctx, writes)
		if err != nil {
			b.Fatal(err)
		}
		for k, i := range idx {
			ver[i] = first + uint64(k)
		}
		writes, idx = writes[:0], idx[:0]
	}
	env := func(ref events.Ref, data events.Event) events.Envelope {
		cmd := uuid.Must(uuid.NewV7())
		return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: data.EventType(), Schema: data.SchemaVersion(), Aggregate: ref,
			OccurredOn: on, RecordedAt: time.Now(), Actor: "mapu:Pailin", CommandID: cmd, CorrelationID: cmd, Data: data}
	}
	for i := range refs {
		refs[i] = events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
		writes = append(writes, domain.Write{Aggregate: refs[i], Events: []events.Envelope{env(refs[i], events.AreaRegistered{
			AreaID: refs[i].ID, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 10_000, RegisteredOn: on, Source: "BLS"})}})
		want[i] = 1
		idx = append(idx, i)
		if len(writes) == 100 {
			flush()
		}
	}
	flush()
	// Follow-ups on random areas, each its own write, so an aggregate's
	// events lie apart in the stream.
	for range areas * 14 / 10 {
		i := rng.IntN(areas)
		writes = append(writes, domain.Write{Aggregate: refs[i], Expected: ver[i], Events: []events.Envelope{env(refs[i], events.EvidenceRecorded{
			AreaID: refs[i].ID, Evidence: events.Evidence{Kind: "WITNESS", ObservedOn: on, Description: "seen"}})}})
		want[i]++
		idx = append(idx, i)
		if len(writes) == 100 {
			flush()
		}
	}
	flush()
	for _, mode := range []struct {
		name string
		path int
	}{{"backward", lrjs.LoadBackward}, {"forward", lrjs.LoadForward}, {"getbatch", lrjs.LoadGetBatch}} {
		b.Run(mode.name, func(b *testing.B) {
			defer lrjs.SetLoadPath(mode.path)()
			b.ReportAllocs()
			for b.Loop() {
				i := rng.IntN(areas)
				got, _, err := st.Load(ctx, refs[i])
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != want[i] {
					b.Fatalf("area %d: loaded %d events, stored %d", i, len(got), want[i])
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "loads/s")
		})
	}
}

// BenchmarkLoadByCheck is BenchmarkLoad on a history appended with each
// concurrency check: the per-subject one on every append, and the
// stream-wide one the store uses while its appends are all the stream got
// (tail.go), whose messages keep the expected sequence under another
// header for the walk back. Compare the two in one run:
//
//	go test -run '^$' -bench 'LoadByCheck/.*/backward' -benchtime 10000x -count 3 ./adapters/jetstream/
func BenchmarkLoadByCheck(b *testing.B) {
	b.Run("per-subject", func(b *testing.B) { defer lrjs.SetStreamWideCheck(false)(); BenchmarkLoad(b) })
	b.Run("stream-wide", func(b *testing.B) { defer lrjs.SetStreamWideCheck(true)(); BenchmarkLoad(b) })
}
