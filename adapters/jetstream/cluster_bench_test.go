package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
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

// BenchmarkCluster measures appends on an in-process three-node cluster with
// the history stream at R1 and then at R3, in the same run: synchronous
// publishes through the raw JetStream client (the ceiling) and commands
// through handling.Handler with group commit (the engine's path), one client
// and 16 clients; then how long the engine cannot append when the R3
// stream's leader steps down, and when the leader's node is shut down. It
// runs once with nats-server's default sync and once with every write
// synced (as deploy/nats/cluster.conf runs).
//
//	go test -run '^$' -bench Cluster -benchtime 1x ./adapters/jetstream/
func BenchmarkCluster(b *testing.B) {
	b.Run("DefaultSync", func(b *testing.B) { benchCluster(b, false) })
	b.Run("SyncAlways", func(b *testing.B) { benchCluster(b, true) })
}

func benchCluster(b *testing.B, syncAlways bool) {
	const perRun = 3000
	c := jetstreamtest.MustClusterConfig(b, jetstreamtest.ClusterConfig{Nodes: 3, SyncAlways: syncAlways})
	nc, err := lrjs.Dial(c.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	rows := []string{"raw publish, 1 client", "raw publish, 16 clients", "command, 1 client", "command, 16 clients"}
	// R1 and R3 take turns, three rounds each, so that a burst of other
	// work on the machine weighs on both.
	samples := map[int]map[string]*sample{1: {}, 3: {}}
	var refused atomic.Int64 // 10164 refusals the raw clients retried
	var store *lrjs.Store
	for _, r := range []int{1, 3, 3, 1, 1, 3} {
		js, _ := jetstream.New(nc)
		if err := js.DeleteStream(context.Background(), lrjs.StreamName); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			b.Fatal(err)
		}
		cfg := lrjs.DefaultConfig()
		cfg.Replicas = r
		if store, err = lrjs.Open(context.Background(), nc, cfg); err != nil {
			b.Fatal(err)
		}
		c.WaitStreamCurrent(lrjs.StreamName)
		for i, run := range []func() sample{
			func() sample { return rawPublish(b, store.JetStream(), 1, perRun/3, &refused) },
			func() sample { return rawPublish(b, store.JetStream(), 16, perRun/3, &refused) },
			func() sample { return commandPath(b, store, 1, perRun/3) },
			func() sample { return commandPath(b, store, 16, perRun/3) },
		} {
			got := run()
			acc := samples[r][rows[i]]
			if acc == nil {
				acc = &sample{}
				samples[r][rows[i]] = acc
			}
			acc.lat = append(acc.lat, got.lat...)
			acc.elapsed += got.elapsed
		}
	}
	figures := map[int]map[string]appendFigures{1: {}, 3: {}}
	for r, rs := range samples {
		for name, smp := range rs {
			figures[r][name] = smp.figures()
		}
	}
	b.Logf("appends on a 3-node in-process cluster (sync always: %v), %d per row and replica count, in three rounds", syncAlways, perRun)
	b.Logf("%-24s %11s %11s %7s %10s %10s %7s", "", "R1 /s", "R3 /s", "R3/R1", "R1 p99", "R3 p99", "R3/R1")
	for _, name := range rows {
		f1, f3 := figures[1][name], figures[3][name]
		b.Logf("%-24s %11.0f %11.0f %7.2f %10s %10s %7.2f", name, f1.rate, f3.rate, f3.rate/f1.rate,
			f1.p99.Round(time.Microsecond), f3.p99.Round(time.Microsecond), float64(f3.p99)/float64(f1.p99))
	}
	for _, r := range []int{1, 3} {
		b.Logf("R%d: commands reach %.2f of the raw ceiling with 1 client, %.2f with 16", r,
			figures[r][rows[2]].rate/figures[r][rows[0]].rate, figures[r][rows[3]].rate/figures[r][rows[1]].rate)
	}
	if n := refused.Load(); n > 0 {
		b.Logf("raw clients: %d publishes refused with 10164 (previous message still being applied) and retried", n)
	}
	b.ReportMetric(figures[3][rows[3]].rate/figures[1][rows[3]].rate, "R3/R1-commands")
	b.ReportMetric(figures[3][rows[1]].rate/figures[1][rows[1]].rate, "R3/R1-raw")

	// Unavailable during a leader change: from the stepdown request (or
	// the node's shutdown) to the first command stored after it.
	h := benchHandler(b, store)
	areas := registerBench(b, h, 1)
	var stepdowns []time.Duration
	for range 5 {
		stepdowns = append(stepdowns, untilStored(b, h, areas[0], func() {
			if _, err := nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+lrjs.StreamName, nil, 10*time.Second); err != nil {
				b.Fatal(err)
			}
		}))
		c.WaitStreamCurrent(lrjs.StreamName)
	}
	slices.Sort(stepdowns)
	leader := c.StreamLeader(lrjs.StreamName)
	nodeLoss := untilStored(b, h, areas[0], func() { c.Stop(leader) })
	c.Start(leader)
	b.Logf("unavailable after a stream leader stepdown: median %s, max %s (5 stepdowns); after the leader's node shut down: %s",
		stepdowns[2].Round(time.Millisecond), stepdowns[4].Round(time.Millisecond), nodeLoss.Round(time.Millisecond))
	b.ReportMetric(float64(stepdowns[2].Milliseconds()), "stepdown-ms")
	b.ReportMetric(float64(nodeLoss.Milliseconds()), "nodeloss-ms")
}

type appendFigures struct {
	rate float64       // appends per second
	p99  time.Duration // of one append as its client saw it
}

// sample is what one measurement saw: each append's latency and the time
// all of them took.
type sample struct {
	lat     []time.Duration
	elapsed time.Duration
}

func (s sample) figures() appendFigures {
	slices.Sort(s.lat)
	return appendFigures{rate: float64(len(s.lat)) / s.elapsed.Seconds(), p99: s.lat[len(s.lat)*99/100]}
}

// rawPublish: clients publish event-sized messages, each to a subject of
// its own with the expected-sequence and message-ID headers, and wait for
// each acknowledgement.
func isInProcess(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

func rawPublish(b *testing.B, js jetstream.JetStream, clients, n int, refused *atomic.Int64) sample {
	body := []byte(`{"area_id":"0192f0a4-0000-7000-8000-000000000000","on":"2021-03-01","size_m2":1,"operator":"HALO","remaining_m2":999999}`)
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			subject := "lr.kh.area." + uuid.Must(uuid.NewV7()).String()
			var last uint64
			for i := w; i < n; i += clients {
				m := &nats.Msg{Subject: subject, Data: body, Header: nats.Header{
					lrjs.HeaderMsgID: {uuid.Must(uuid.NewV7()).String()}, lrjs.HeaderEventType: {"AreaReduced"}, lrjs.HeaderSchema: {"1"},
					lrjs.HeaderExpectedSeq: {strconv.FormatUint(last, 10)}}}
				t0 := time.Now()
				ack, err := js.PublishMsg(context.Background(), m)
				// As the store does: a clustered stream may refuse the
				// check with 10164 while our previous message is still
				// being applied; nothing was stored, try again.
				for wait := time.Millisecond; isInProcess(err) && wait <= 32*time.Millisecond; wait *= 2 {
					refused.Add(1)
					<-time.After(wait)
					ack, err = js.PublishMsg(context.Background(), m)
				}
				lat[i] = time.Since(t0)
				if err != nil {
					b.Error(err)
					return
				}
				last = ack.Sequence
			}
		}()
	}
	wg.Wait()
	return sample{lat, time.Since(start)}
}

func benchHandler(b *testing.B, store *lrjs.Store) *handling.Handler {
	gc := storetest.GroupCommit(b, store, 0)
	h, err := handling.NewHandler(gc, handling.DefaultHandlerConfig())
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func registerBench(b *testing.B, h *handling.Handler, n int) []uuid.UUID {
	var ids []uuid.UUID
	for range n {
		id := uuid.Must(uuid.NewV7())
		if _, err := h.Handle(context.Background(), domain.CommandEnvelope{Command: domain.RegisterSuspectedArea{AreaID: id,
			Province: "Pailin", Hazard: "AP", SizeM2: 1 << 30, RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"}}); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func reduce(h *handling.Handler, area uuid.UUID) error {
	_, err := h.Handle(context.Background(), domain.CommandEnvelope{Command: domain.ReduceArea{
		AreaID: area, On: events.MustDate("2021-03-01"), SizeM2: 1, Operator: "HALO"}})
	return err
}

// commandPath: clients send ReduceArea commands, each client to an area of
// its own, through one handler with group commit, as the engine does.
func commandPath(b *testing.B, store *lrjs.Store, clients, n int) sample {
	h := benchHandler(b, store)
	return commandPathAreas(b, h, registerBench(b, h, clients), n)
}

// commandPathAreas sends n ReduceArea commands through h, one client per
// area.
func commandPathAreas(b *testing.B, h *handling.Handler, areas []uuid.UUID, n int) sample {
	clients := len(areas)
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += clients {
				t0 := time.Now()
				err := reduce(h, areas[w])
				lat[i] = time.Since(t0)
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return sample{lat, time.Since(start)}
}

// untilStored runs fault, then sends commands until one is stored, and
// returns the time from the fault to that success. Commands refused as
// unavailable are retried with the same command ID, as a client would.
func untilStored(b *testing.B, h *handling.Handler, area uuid.UUID, fault func()) time.Duration {
	start := time.Now()
	fault()
	env := domain.CommandEnvelope{ID: uuid.Must(uuid.NewV7()), Command: domain.ReduceArea{
		AreaID: area, On: events.MustDate("2021-03-01"), SizeM2: 1, Operator: "HALO"}}
	for {
		_, err := h.Handle(context.Background(), env)
		if err == nil {
			return time.Since(start)
		}
		if !errors.Is(err, domain.ErrUnavailable) {
			b.Fatal(fmt.Errorf("after the fault: %w", err))
		}
	}
}
