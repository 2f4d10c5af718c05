package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/projections/projectiontest"
	"github.com/landrelease/landrelease/scenarios/synth"
)

var schemaSeq atomic.Int64

// testPG returns a DSN on a fresh PostgreSQL schema, dropped at cleanup;
// it skips (fails under CI) when no server answers.
func testPG(t *testing.T) string {
	t.Helper()
	base := os.Getenv("LANDRELEASE_TEST_PG")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at %s: %v", base, err)
		}
		t.Skipf("PostgreSQL at %s: %v", base, err)
	}
	schema := fmt.Sprintf("lr_t_%d_%d", time.Now().UnixNano(), schemaSeq.Add(1))
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// liveEqualsRebuild applies a random history in random chunks, keeping the
// projections live (with restarts) in one database, rebuilds them from
// scratch in another, and compares every row.
func liveEqualsRebuild(t *testing.T, seed uint64, liveDSN, rebuildDSN string) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 17))
	envs := synth.Mixed(synth.DefaultConfig(seed, 40+rng.IntN(120)))
	store := memory.New()
	h, err := handling.NewHandler(store, handling.DefaultHandlerConfig())
	if err != nil {
		t.Fatal(err)
	}
	live, err := sqlstore.Open(ctx, liveDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	runner := projectiontest.Runner(t, live, 1+rng.IntN(50))
	for len(envs) > 0 {
		n := min(len(envs), 1+rng.IntN(30))
		for _, o := range h.HandleBatch(ctx, envs[:n], nil) {
			if o.Err != nil {
				t.Fatalf("seed %d: %v", seed, o.Err)
			}
		}
		envs = envs[n:]
		if rng.IntN(4) == 0 { // a restart: a new runner loads its state back
			runner = projectiontest.Runner(t, live, 1+rng.IntN(50))
		}
		if err := runner.CatchUp(ctx, store, nil); err != nil {
			t.Fatalf("seed %d: catch up: %v", seed, err)
		}
	}
	fresh, err := sqlstore.Open(ctx, rebuildDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := projectiontest.Runner(t, fresh, 10_000).Rebuild(ctx, store, nil); err != nil {
		t.Fatal(err)
	}
	a, err := live.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fresh.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Fatalf("seed %d: live read model differs from a rebuild at line %d:\nlive:    %s\nrebuild: %s", seed, i+1, al[i], bl[i])
			}
		}
		t.Fatalf("seed %d: live has %d dump lines, rebuild %d", seed, len(al), len(bl))
	}
}

func TestLiveProjectionsEqualRebuildSQLite(t *testing.T) {
	seeds := uint64(160)
	if testing.Short() {
		seeds = 30
	}
	// Four groups in parallel: the work is mostly waiting for fsync.
	for g := uint64(0); g < 4; g++ {
		t.Run(fmt.Sprintf("group%d", g), func(t *testing.T) {
			t.Parallel()
			for seed := 1 + g; seed <= seeds; seed += 4 {
				dir := t.TempDir()
				liveEqualsRebuild(t, seed, filepath.Join(dir, "live.sqlite"), filepath.Join(dir, "rebuilt.sqlite"))
			}
		})
	}
}

func TestLiveProjectionsEqualRebuildPostgreSQL(t *testing.T) {
	seeds := uint64(40)
	if testing.Short() {
		seeds = 5
	}
	for g := uint64(0); g < 4; g++ {
		t.Run(fmt.Sprintf("group%d", g), func(t *testing.T) {
			t.Parallel()
			for seed := 1000 + g; seed < 1000+seeds; seed += 4 {
				liveEqualsRebuild(t, seed, testPG(t), testPG(t))
			}
		})
	}
}
