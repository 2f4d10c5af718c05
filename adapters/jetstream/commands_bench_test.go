package jetstream_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
)

// BenchmarkCommands16 is the engine's 16-client command path on the
// embedded server (SyncAlways) — handling.Handler over group commit over the
// store, each client on an area of its own — next to its ceiling in the
// same run: asynchronous publishes of single events with the
// expected-subject-sequence header, 16 in flight over one connection. It
// reports commands/s and the ratio; made for profiles:
//
//	go test -run '^$' -bench Commands16 -benchtime 4000x -cpuprofile cpu.out \
//	    -mutexprofile mutex.out -blockprofile block.out ./adapters/jetstream/
func BenchmarkCommands16(b *testing.B) {
	const clients = 16
	nc := jetstreamtest.MustConnect(b, jetstreamtest.MustEmbedded(b))
	store := jetstreamtest.MustStore(b, nc)
	h := benchHandler(b, store)
	areas := registerBench(b, h, clients)
	b.ResetTimer()
	s := commandPathAreas(b, h, areas, b.N)
	b.StopTimer()
	ceiling := asyncPublish(b, nc, clients, b.N)
	cmd := float64(b.N) / s.elapsed.Seconds()
	b.ReportMetric(cmd, "commands/s")
	b.ReportMetric(ceiling, "raw_async_16/s")
	b.ReportMetric(cmd/ceiling, "ratio")
}

// asyncPublish sends n single messages shaped like the command path's (an
// event's headers and the expected-subject-sequence check), inFlight
// unacknowledged at a time, and returns messages/s.
func asyncPublish(b *testing.B, nc *nats.Conn, inFlight, n int) float64 {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(inFlight+1))
	if err != nil {
		b.Fatal(err)
	}
	sc := lrjs.StreamConfig(lrjs.DefaultConfig())
	sc.Name, sc.Subjects = "RAWASYNC", []string{"lrcmd.rawasync.>"}
	if _, err := js.CreateOrUpdateStream(context.Background(), sc); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 300)
	for i := range body {
		body[i] = 'x'
	}
	futures := make(chan jetstream.PubAckFuture, inFlight)
	slots := make(chan struct{}, inFlight)
	done := make(chan error, 1)
	go func() {
		var first error
		for f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				if first == nil {
					first = err
				}
			}
			<-slots
		}
		done <- first
	}()
	start := time.Now()
	for range n {
		id := uuid.Must(uuid.NewV7()).String()
		m := &nats.Msg{Subject: "lrcmd.rawasync.kh.area." + id, Data: body, Header: nats.Header{
			lrjs.HeaderMsgID: {id}, lrjs.HeaderCommandID: {id}, lrjs.HeaderExpectedSeq: {strconv.Itoa(0)}}}
		slots <- struct{}{} // blocks while inFlight are unacknowledged
		f, err := js.PublishMsgAsync(m, jetstream.WithRetryAttempts(0))
		if err != nil {
			b.Fatal(err)
		}
		futures <- f
	}
	close(futures)
	if err := <-done; err != nil {
		b.Fatal(fmt.Errorf("async publish: %w", err))
	}
	return float64(n) / time.Since(start).Seconds()
}
