package jetstream_test

import (
	"context"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// replayBenchEvents is the history the replay benchmark reads: one
// AreaRegistered and one EvidenceRecorded per area, the mix of the peer
// benchmark (bench/README.md).
const replayBenchEvents = 20_000

// BenchmarkReplay reads a stored history with Store.Replay, decoding every
// message into an events.Envelope, on an embedded server. It reports
// ns/event and allocs/event (the decode path of issue 17).
func BenchmarkReplay(b *testing.B) {
	ctx := context.Background()
	st := jetstreamtest.MustStore(b, jetstreamtest.MustConnect(b, jetstreamtest.MustEmbedded(b)))
	on := events.MustDate("2020-03-01")
	desc := strings.Repeat("x", 160)
	var writes []domain.Write
	flush := func() {
		if _, err := st.Append(ctx, writes); err != nil {
			b.Fatal(err)
		}
		writes = writes[:0]
	}
	for range replayBenchEvents / 2 {
		ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
		cmd := uuid.Must(uuid.NewV7())
		env := func(data events.Event) events.Envelope {
			return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: data.EventType(), Schema: data.SchemaVersion(), Aggregate: ref,
				OccurredOn: on, RecordedAt: time.Now(), Actor: "mapu:Pailin", CommandID: cmd, CorrelationID: cmd, Data: data}
		}
		writes = append(writes, domain.Write{Aggregate: ref, Events: []events.Envelope{
			env(events.AreaRegistered{AreaID: ref.ID, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 10_000, RegisteredOn: on, Source: "BLS"}),
			env(events.EvidenceRecorded{AreaID: ref.ID, Evidence: events.Evidence{Kind: "WITNESS", ObservedOn: on, Description: desc}}),
		}})
		if len(writes) == 100 {
			flush()
		}
	}
	if len(writes) > 0 {
		flush()
	}
	for _, mode := range []struct {
		name     string
		parallel bool
	}{{"parallel", true}, {"serial", false}} {
		b.Run(mode.name, func(b *testing.B) {
			defer lrjs.SetParallelReplay(mode.parallel)()
			benchReplay(b, st)
		})
	}
}

func benchReplay(b *testing.B, st *lrjs.Store) {
	ctx := context.Background()
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := st.Replay(ctx, 1, func(e events.Envelope) error {
			n++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if n != replayBenchEvents {
			b.Fatalf("replayed %d of %d events", n, replayBenchEvents)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*replayBenchEvents), "cpu-ns/event")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*replayBenchEvents), "allocs/event")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*replayBenchEvents), "ns/event")
	b.ReportMetric(replayBenchEvents*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// cpuTime is the CPU time the process has used (user and system, the
// embedded server's included): on a shared machine a replay's wall time
// moves with other work, its CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
