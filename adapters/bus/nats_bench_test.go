package bus_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
)

// BenchmarkNATSBus sends commands over NATS (the replicas' bus: the
// JetStream work queue, one handling replica, core NATS replies) to a
// handler that answers at once, with 1 and 16 clients on their own
// connection, and reports commands/s and the ratio to the raw ceiling
// measured in the same run on the same server: synchronous JetStream
// publishes into a file-backed work queue (on lr.>, which the test
// server's engine user may publish to), by as many clients (the
// command's own write, without the delivery, the handling or the reply).
//
//	go test -run '^$' -bench NATSBus -benchtime 1x ./adapters/bus/
func BenchmarkNATSBus(b *testing.B) {
	ctx := context.Background()
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			n := 2000
			if clients > 1 {
				n = 8000
			}
			srv := jetstreamtest.MustEmbedded(b)
			js, err := jetstream.New(jetstreamtest.MustConnect(b, srv))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"lr.benchraw.>"},
				Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage}); err != nil {
				b.Fatal(err)
			}
			payload := []byte(`{"command":"CancelArea","area_id":"` + uuid.NewString() + `"}`)
			mustBus(b, natsConfig(jetstreamtest.MustConnect(b, srv)), &recorder{})
			sender := mustBus(b, natsConfig(jetstreamtest.MustConnect(b, srv)), nil)
			var raw, viaBus float64
			b.ResetTimer()
			for range b.N {
				raw = clientsRate(b, n, clients, func() error {
					_, err := js.Publish(ctx, "lr.benchraw.cmd", payload)
					return err
				})
				viaBus = clientsRate(b, n, clients, func() error {
					_, err := sender.Send(ctx, domain.CommandEnvelope{Command: cancelArea(uuid.New())})
					return err
				})
			}
			b.ReportMetric(viaBus, "commands/s")
			b.ReportMetric(raw, "raw-publishes/s")
			b.ReportMetric(viaBus/raw, "ratio")
		})
	}
}

// clientsRate runs n calls of do spread over clients goroutines and returns
// calls per second.
func clientsRate(b *testing.B, n, clients int, do func() error) float64 {
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += clients {
				if err := do(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return float64(n) / elapsed.Seconds()
}
