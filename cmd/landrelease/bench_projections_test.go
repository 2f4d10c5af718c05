package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// resetPeakRSS makes VmHWM start again from the current RSS (Linux ≥ 4.0).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkProjections builds a synthetic history (LANDRELEASE_BENCH_EVENTS
// events, default 1,000,000: about 100,000 areas) and measures, in one run:
// the raw ceiling (ordered-consumer read + JSON decode of every event), a
// rebuild of every projection into SQLite and into PostgreSQL (when
// LANDRELEASE_TEST_PG or the local server answers), and state --as-of in
// the middle of the history; each with its peak RSS.
//
//	go test -run '^$' -bench Projections -benchtime 1x -timeout 60m ./cmd/landrelease/
func BenchmarkProjections(b *testing.B) {
	target := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("LANDRELEASE_BENCH_EVENTS")); err == nil && n > 0 {
		target = n
	}
	ctx := context.Background()
	dir := b.TempDir()
	g := defaultGlobals()
	g.dataDir = dir
	eng, err := openEngine(ctx, g, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	if err := eng.handler.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	cmds := synth.Mixed(synth.DefaultConfig(77, target*10/11)) // ~1.1 events per command
	st, err := execStream(ctx, eng.handler, bytes.NewReader(jsonl(b, cmds)), io.Discard, &execOpts{chunk: 5000})
	if err != nil || st.refused > 0 {
		b.Fatalf("load: %+v %v", st, err)
	}
	cmds = nil
	last, _ := eng.store.LastSequence(ctx)
	b.Logf("history: %d events from %d commands, loaded in %s", last, st.applied, time.Since(start).Round(time.Second))
	reg := events.NewRegistry()
	for i := 0; i < b.N; i++ {
		type row struct {
			name string
			d    time.Duration
			rss  float64
		}
		var rows []row
		measure := func(name string, fn func() error) {
			resetPeakRSS()
			t0 := time.Now()
			if err := fn(); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			rows = append(rows, row{name, time.Since(t0), peakRSS()})
		}
		measure("raw read + decode", func() error {
			n := 0
			err := eng.store.ReplayRaw(ctx, 1, 0, func(subject string, seq uint64, h nats.Header, data []byte) error {
				_, err := reg.Decode(h.Get("Lr-Event-Type"), 1, data)
				n++
				return err
			})
			if err == nil && uint64(n) != last {
				err = fmt.Errorf("read %d of %d", n, last)
			}
			return err
		})
		rebuild := func(dsn string) func() error {
			return func() error {
				db, err := sqlstore.Open(ctx, dsn)
				if err != nil {
					return err
				}
				defer db.Close()
				return projections.NewRunner(db, 20_000).Rebuild(ctx, eng.store, nil)
			}
		}
		measure("rebuild into SQLite", rebuild(filepath.Join(dir, fmt.Sprintf("bench%d.sqlite", i))))
		if dsn := benchPG(b); dsn != "" {
			measure("rebuild into PostgreSQL", rebuild(dsn))
		}
		measure("state --as-of mid-history", func() error {
			_, err := projections.Replay(ctx, eng.store, projections.AsOf(events.MustDate("2020-01-01")))
			return err
		})
		raw := rows[0].d
		var out strings.Builder
		fmt.Fprintf(&out, "\n%-28s %10s %12s %8s %10s\n", "phase", "seconds", "events/s", "ratio", "peak MiB")
		for _, r := range rows {
			fmt.Fprintf(&out, "%-28s %10.2f %12.0f %8.2f %10.0f\n", r.name, r.d.Seconds(), float64(last)/r.d.Seconds(), raw.Seconds()/r.d.Seconds(), r.rss)
			b.ReportMetric(raw.Seconds()/r.d.Seconds(), strings.ReplaceAll(strings.Fields(r.name)[0]+"_"+strings.Fields(r.name)[len(strings.Fields(r.name))-1], "-", "")+"_ratio")
		}
		b.Log(out.String())
	}
}

// benchPG returns a DSN on a fresh PostgreSQL schema, or "" if none answers.
func benchPG(b *testing.B) string {
	base := os.Getenv("LANDRELEASE_TEST_PG")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	schema := fmt.Sprintf("lr_bench_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", base)
	if err == nil {
		_, err = admin.Exec("CREATE SCHEMA " + schema)
	}
	if err != nil {
		b.Logf("PostgreSQL not benchmarked: %v", err)
		return ""
	}
	b.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
