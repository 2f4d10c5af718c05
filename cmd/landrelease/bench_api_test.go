package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/bus"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// BenchmarkAPI measures commands/s through POST /api/v1/commands (HTTP,
// token check, command bus, decide, fsynced append) with 1 and 16 clients,
// each as a ratio to the in-process command path (handling.Handler on the
// same engine stack, no HTTP, no bus) measured in the same run with as many
// goroutines; and the p50/p99 latency of the overview page and of its data
// on the demo history.
//
//	go test -run '^$' -bench API -benchtime 1x ./cmd/landrelease/
func BenchmarkAPI(b *testing.B) {
	const perClient1, total16 = 1500, 4000
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		var out strings.Builder
		fmt.Fprintf(&out, "\n%-34s %12s %12s %8s\n", "path", "commands/s", "ceiling/s", "ratio")
		for _, clients := range []int{1, 16} {
			n := perClient1
			if clients > 1 {
				n = total16
			}
			// Ceiling: the in-process command path on its own engine.
			ceilDir := b.TempDir()
			a := &app{g: defaultGlobals(), stderr: os.Stderr}
			a.g.dataDir = ceilDir
			eng, err := openEngine(ctx, a.g, os.Stderr)
			if err != nil {
				b.Fatal(err)
			}
			ceiling := rate(n, clients, func(worker, j int) error {
				_, err := eng.handler.Handle(ctx, benchCommand(worker+clients, j))
				return err
			})
			// The command bus alone (in process, no HTTP): what the bus hop
			// costs of the API's share.
			b2, err := bus.New(ctx, bus.DefaultConfig(), eng.handler)
			if err != nil {
				b.Fatal(err)
			}
			viaBus := rate(n, clients, func(worker, j int) error {
				_, err := b2.Send(ctx, benchCommand(worker+2*clients, j))
				return err
			})
			b2.Close()
			eng.Close()
			fmt.Fprintf(&out, "%-34s %12.0f %12.0f %8.2f\n", fmt.Sprintf("bus.Send in process, %d client(s)", clients), viaBus, ceiling, viaBus/ceiling)
			b.ReportMetric(viaBus/ceiling, fmt.Sprintf("bus_ratio_%dc", clients))

			dir := b.TempDir()
			token := createToken(b, dir, "planner", "bench")
			base := startServe(b, dir)
			cls := make([]*client, clients)
			for k := range cls {
				cls[k] = newClient(b, base, token)
			}
			api := rate(n, clients, func(worker, j int) error {
				env := benchCommand(worker, j)
				line, err := domain.EncodeCommand(env)
				if err != nil {
					return err
				}
				code, body := cls[worker].do("POST", "/api/v1/commands", line)
				if code != http.StatusOK {
					return fmt.Errorf("%d %s", code, body)
				}
				return nil
			})
			fmt.Fprintf(&out, "%-34s %12.0f %12.0f %8.2f\n", fmt.Sprintf("POST /api/v1/commands, %d client(s)", clients), api, ceiling, api/ceiling)
			b.ReportMetric(api/ceiling, fmt.Sprintf("api_ratio_%dc", clients))
			b.ReportMetric(api, fmt.Sprintf("api_cmd/s_%dc", clients))
		}

		demo := b.TempDir()
		loadDemo(b, demo)
		base := startServe(b, demo, "--insecure-local")
		c := newClient(b, base, "")
		for _, path := range []string{"/", "/api/v1/overview"} {
			lat := make([]time.Duration, 200)
			for k := range lat {
				start := time.Now()
				if code, body := c.do("GET", path, nil); code != http.StatusOK {
					b.Fatalf("GET %s: %d %.200s", path, code, body)
				}
				lat[k] = time.Since(start)
			}
			sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
			p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
			fmt.Fprintf(&out, "GET %-30s p50 %8s  p99 %8s (demo: 5,489 areas)\n", path, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
			key := strings.Trim(strings.ReplaceAll(path, "/", "_"), "_")
			if key == "" {
				key = "page"
			}
			b.ReportMetric(float64(p50.Microseconds())/1000, key+"_p50_ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, key+"_p99_ms")
		}
		b.Log(out.String())
	}
}

// benchCommand is command j of worker w: each worker registers its own
// area, then records evidence on it (one aggregate per worker, so workers
// never conflict).
func benchCommand(w, j int) domain.CommandEnvelope {
	// (workers of different measurements pass different w: their own areas)
	area := events.NameID("bench-area", fmt.Sprint(w))
	if j == 0 {
		return domain.CommandEnvelope{ID: uuid.Must(uuid.NewV7()), Command: domain.RegisterSuspectedArea{AreaID: area, Province: "Pailin",
			Hazard: "AP", SizeM2: 1_000_000, RegisteredOn: events.MustDate("2024-01-02"), Source: "BLS"}}
	}
	return domain.CommandEnvelope{ID: uuid.Must(uuid.NewV7()), Command: domain.RecordEvidence{AreaID: area, Kind: "WITNESS", ObservedOn: events.MustDate("2024-01-03")}}
}

// rate runs n commands over workers goroutines (each its own sequence from
// j = 0) and returns commands/s.
func rate(n, workers int, do func(worker, j int) error) float64 {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < n/workers; j++ {
				if err := do(w, j); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		panic(firstErr)
	}
	return float64(n/workers*workers) / time.Since(start).Seconds()
}
