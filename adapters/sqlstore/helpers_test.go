package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MustSQLite opens a new read model in a temporary directory.
func mustSQLite(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), filepath.Join(tb.TempDir(), "readmodel", "landrelease.db"))
	if err != nil {
		tb.Fatalf("open SQLite read model: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

const defaultPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgDSN returns a DSN for a fresh schema of its own on the test server
// (LANDRELEASE_TEST_PG, or the local default), dropped at cleanup; it skips
// the test when the server does not answer.
func pgDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("LANDRELEASE_TEST_PG")
	if base == "" {
		base = defaultPG
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("PostgreSQL DSN %q: %v", base, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		if os.Getenv("CI") != "" {
			tb.Fatalf("PostgreSQL is not reachable at %s (%v), and CI must cover it: .ci/run should have started it", base, err)
		}
		tb.Skipf("PostgreSQL is not reachable at %s (%v): start it or set LANDRELEASE_TEST_PG (CI's .ci/run starts one)", base, err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "lr_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// mustPostgres opens a new read model in a fresh schema.
func mustPostgres(tb testing.TB) *Store {
	tb.Helper()
	dsn := pgDSN(tb)
	s, err := Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("open PostgreSQL read model: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// backends runs fn against SQLite and PostgreSQL, each as a subtest.
func backends(t *testing.T, fn func(t *testing.T, open func(testing.TB) *Store)) {
	t.Run("SQLite", func(t *testing.T) { fn(t, mustSQLite) })
	t.Run("PostgreSQL", func(t *testing.T) { fn(t, mustPostgres) })
}
