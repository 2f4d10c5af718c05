package main

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/internal/perf"
)

// The go test benchmarks run the harness of 'landrelease bench' (internal/perf)
// for one group of phases at LANDRELEASE_BENCH_SCALE (default 1: the size
// of the Cambodia demo), log its table and report each phase's ratio to its
// ceiling as a metric. One implementation: the verb and the benchmarks
// measure the same way.

// benchHarness runs the harness for groups at the scale the environment
// gives.
func benchHarness(b *testing.B, groups ...string) {
	cfg := perf.DefaultConfig()
	cfg.Groups = groups
	if v, err := strconv.ParseFloat(os.Getenv("LANDRELEASE_BENCH_SCALE"), 64); err == nil && v > 0 {
		cfg.Scales = []float64{v}
	}
	if cfg.PG == "" {
		cfg.PG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	cfg.Dir = b.TempDir()
	for i := 0; i < b.N; i++ {
		var progress io.Writer = io.Discard
		if testing.Verbose() {
			progress = os.Stderr
		}
		rep, err := perf.Run(context.Background(), cfg, benchHost{}, progress)
		if err != nil {
			b.Fatal(err)
		}
		var out strings.Builder
		perf.WriteText(&out, rep)
		b.Log("\n" + out.String())
		for _, p := range rep.Scales[0].Phases {
			if p.Ratio > 0 {
				b.ReportMetric(p.Ratio, p.Key+"_ratio")
			} else if p.Skipped == "" && p.Ceiling == "" && p.Unit == "events" {
				b.ReportMetric(p.Rate, p.Key+"_ev/s")
			}
		}
	}
}

// BenchmarkSpine measures the append paths against their ceilings: raw
// synchronous publish and raw atomic batches of 1,000 (fsync on every
// write), the command path one command at a time, and exec of the history.
//
//	go test -run '^$' -bench Spine -benchtime 1x ./cmd/landrelease/
func BenchmarkSpine(b *testing.B) { benchHarness(b, "append") }

// BenchmarkBackups measures backup and restore against a raw JetStream
// stream snapshot and restore (the bench's backup and restore groups).
//
//	go test -run '^$' -bench Backups -benchtime 1x ./cmd/landrelease/
func BenchmarkBackups(b *testing.B) { benchHarness(b, "backup", "restore") }
