package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"encoding/json"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// BenchmarkProvinceSync measures, on the demo history (1×), a provincial
// office's sync: the mirror catch-up of the whole national history by a
// new office, as a ratio to a raw ordered read of the same stream from the
// same national server in the same run; and the convergence of an office
// that was offline for a week (its share of the commands: the demo history
// taken as one year, divided by 52 weeks and 25 provinces, queued in its
// outbox, while the national side took as many) once its line returns:
// 'sync wait' from its start to mirror caught up and every command
// decided. docs/operations.md gives the figures.
//
// 10× adds synthetic commands (scenarios/synth) to the demo history until
// it is ten times its size; 100× (LANDRELEASE_PROVINCE_BENCH_100X=1, about
// half an hour of a 2-core machine, most of it building the history) a
// hundred times.
func BenchmarkProvinceSync(b *testing.B) {
	b.Run("1x", func(b *testing.B) { benchProvinceSync(b, 1) })
	b.Run("10x", func(b *testing.B) { benchProvinceSync(b, 10) })
	if os.Getenv("LANDRELEASE_PROVINCE_BENCH_100X") != "" {
		b.Run("100x", func(b *testing.B) { benchProvinceSync(b, 100) })
	}
}

func benchProvinceSync(b *testing.B, scale int) {
	nat := &national{dir: b.TempDir()}
	loadDemo(b, nat.dir)
	if scale > 1 {
		n := int(demoEvents(b, nat.dir)) * (scale - 1)
		path := b.TempDir() + "/more.jsonl"
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for _, env := range synth.Mixed(synth.DefaultConfig(7, n)) {
			line, err := json.Marshal(map[string]any{"command": env.Command.CommandName(), "command_id": env.ID, "data": env.Command})
			if err != nil {
				b.Fatal(err)
			}
			w.Write(line)
			w.WriteByte('\n')
		}
		if err := errors.Join(w.Flush(), f.Close()); err != nil {
			b.Fatal(err)
		}
		if code, _, errOut := run(b, "", "--data-dir", nat.dir, "exec", path); code != exitOK && !strings.Contains(errOut, "refused") {
			b.Fatalf("%dx history: %s", scale, errOut)
		}
	}
	nat.leafPort = freePort(b)
	nat.admin = createToken(b, nat.dir, "admin", "hq")
	o := &office{domain: "kh-battambang", province: "Battambang", dir: b.TempDir(), nat: nat}
	o.proxy = jetstreamtest.NewProxy(b, fmt.Sprintf("127.0.0.1:%d", nat.leafPort))
	nat.serve = launchServe(b, nat.dir, append(nat.flags(o), "--nats-listen", "127.0.0.1:0")...)
	defer func() { nat.serve.stop(); <-nat.serve.done }()

	// Raw ceiling: an ordered read of the national history.
	nc := readerConn(b, nat)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(context.Background(), lrjs.StreamName)
	if err != nil {
		b.Fatal(err)
	}
	h := s.CachedInfo().State.Msgs
	start := time.Now()
	cons, _ := s.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{})
	it, err := cons.Messages() // pulls ahead, as a mirror does
	if err != nil {
		b.Fatal(err)
	}
	for i := uint64(0); i < h; i++ {
		if _, err := it.Next(); err != nil {
			b.Fatal(err)
		}
	}
	it.Stop()
	raw := time.Since(start)

	// Mirror catch-up of a new office: its server only, polling the mirror;
	// with SyncAlways as the engine runs (each mirrored message fsynced),
	// and without, to show what the disk costs.
	pw, _ := os.ReadFile(lrjs.PasswordFile(nat.dir, lrjs.LeafUser))
	mirrorFor := func(domain string, syncAlways bool) time.Duration {
		pcfg := lrjs.DefaultEmbeddedConfig(b.TempDir())
		pcfg.SyncAlways = syncAlways
		pcfg.Leaf = lrjs.LeafConfig{Domain: domain, Remote: fmt.Sprintf("nats://127.0.0.1:%d", nat.leafPort),
			RemoteUser: lrjs.LeafUser, RemotePassword: strings.TrimSpace(string(pw))}
		ps, err := lrjs.StartEmbedded(pcfg)
		if err != nil {
			b.Fatal(err)
		}
		defer ps.Close()
		pnc, _ := ps.Connect()
		defer pnc.Close()
		pjs, _ := jetstream.New(pnc)
		start := time.Now()
		if err := lrjs.EnsureProvinceStreams(context.Background(), pjs, domain, "national"); err != nil {
			b.Fatal(err)
		}
		for {
			ms, err := pjs.Stream(context.Background(), lrjs.StreamName)
			if err == nil {
				if info, err := ms.Info(context.Background()); err == nil && info.State.Msgs >= h {
					return time.Since(start)
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	mirror := mirrorFor("kh-mirror-only", true)
	mirrorNoSync := mirrorFor("kh-mirror-nosync", false)

	// An office offline for a week.
	week := max(5, int(h)/52/25)
	areas := make([]uuid.UUID, week)
	var reg []string
	for i := range areas {
		areas[i] = uuid.New()
		reg = append(reg, provRegisterLine(areas[i], "Battambang"))
	}
	c := newClient(b, nat.serve.base, nat.admin)
	for _, l := range reg {
		code, body := c.do("POST", "/api/v1/commands", jsonMap(b, l))
		mustStatus(b, "register", code, body, 200)
	}
	code, _, errOut := o.run(b, "", "sync", "wait", "--timeout", "90m") // a new office catches up on the whole history (100×: minutes)
	if code != exitOK {
		b.Fatalf("first sync: %s", errOut)
	}
	o.proxy.Cut()
	var cancels []string
	for i, a := range areas {
		cancels = append(cancels, mustJSONLine(cancelCmd(uuid.Must(uuid.NewV7()), a, fmt.Sprint("NTS week ", i))))
	}
	if code, _, errOut := o.run(b, strings.Join(cancels, "\n")+"\n", "exec", "-"); code != exitOK {
		b.Fatalf("office exec: %s", errOut)
	}
	for i := range week { // the national side's week
		code, body := c.do("POST", "/api/v1/commands", jsonMap(b, provRegisterLine(uuid.New(), "Pailin")))
		mustStatus(b, fmt.Sprint("national ", i), code, body, 200)
	}
	o.proxy.Restore()
	start = time.Now()
	if code, _, errOut := o.run(b, "", "sync", "wait", "--timeout", "30m"); code != exitOK {
		b.Fatalf("sync after the week: %s", errOut)
	}
	converge := time.Since(start)

	b.ReportMetric(float64(h), "events")
	b.ReportMetric(float64(week), "week-commands")
	b.ReportMetric(float64(h)/raw.Seconds(), "raw-read-events/s")
	b.ReportMetric(float64(h)/mirror.Seconds(), "mirror-events/s")
	b.ReportMetric(raw.Seconds()/mirror.Seconds(), "mirror/raw-rate")
	b.ReportMetric(raw.Seconds()/mirrorNoSync.Seconds(), "nosync-mirror/raw-rate")
	b.ReportMetric(converge.Seconds(), "week-converge-s")
	for range b.N {
	}
}

// demoEvents counts the events of the history in dir.
func demoEvents(b *testing.B, dir string) uint64 {
	g := defaultGlobals()
	g.dataDir = dir
	eng, err := openEngine(context.Background(), g, os.Stderr)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	n, err := eng.store.LastSequence(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return n
}
