package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/projections"
)

func TestOpenCreatesTheDirectoryAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "lr.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	h := genHistory(3, 20)
	fold(t, s, h, 10)
	want := mustDump(t, s)
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got := mustDump(t, s); got != want {
		t.Fatalf("reopened read model differs:\n%s", firstDiff(want, got))
	}
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q (%v), want wal", mode, err)
	}
}

func TestOpenRefusesAFileThatIsNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	garbage := bytes.Repeat([]byte("minutes of the March meeting, not a database\n"), 200)
	if err := os.WriteFile(path, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrNotReadModel) {
		t.Fatalf("Open of a text file: %v, want ErrNotReadModel", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("the error does not name the file: %v", err)
	}
	t.Logf("error: %v", err)
	if b, _ := os.ReadFile(path); !bytes.Equal(b, garbage) {
		t.Error("Open changed the file it refused")
	}
}

func TestOpenRefusesAForeignSQLiteDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crm.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(context.Background(), path)
	if !errors.Is(err, ErrNotReadModel) {
		t.Fatalf("Open of a foreign database: %v, want ErrNotReadModel", err)
	}
	t.Logf("error: %v", err)
	db, _ = sql.Open("sqlite", path)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("Open added schema_migrations to the database it refused (%d, %v)", n, err)
	}
}

func TestOpenRefusesAForeignPostgreSQLSchema(t *testing.T) {
	dsn := pgDSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)`); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), dsn)
	if !errors.Is(err, ErrNotReadModel) {
		t.Fatalf("Open of a foreign schema: %v, want ErrNotReadModel", err)
	}
	t.Logf("error: %v", err)
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	sqlitePath := filepath.Join(t.TempDir(), "lr.db")
	for _, target := range []struct {
		name string
		dsn  func() string
	}{{"SQLite", func() string { return sqlitePath }}, {"PostgreSQL", func() string { return pgDSN(t) }}} {
		t.Run(target.name, func(t *testing.T) {
			dsn := target.dsn()
			s, err := Open(context.Background(), dsn)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			fold(t, s, genHistory(4, 5), 100)
			if _, err := s.db.Exec(s.d.bind(`INSERT INTO schema_migrations (version, description, applied_at) VALUES (999, 'from the future', ?)`),
				s.d.ts(time.Now())); err != nil {
				t.Fatal(err)
			}
			before := mustDump(t, s)
			s.Close()
			_, err = Open(context.Background(), dsn)
			if !errors.Is(err, ErrSchemaTooNew) {
				t.Fatalf("Open of a schema at version 999: %v, want ErrSchemaTooNew", err)
			}
			t.Logf("error: %v", err)
			// Nothing was touched: remove the future and it opens as before.
			db, _ := sql.Open(map[string]string{"SQLite": "sqlite", "PostgreSQL": "pgx"}[target.name], dsn)
			defer db.Close()
			if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = 999`); err != nil {
				t.Fatal(err)
			}
			s, err = Open(context.Background(), dsn)
			if err != nil {
				t.Fatalf("Open after removing version 999: %v", err)
			}
			defer s.Close()
			if got := mustDump(t, s); got != before {
				t.Fatalf("read model changed:\n%s", firstDiff(before, got))
			}
		})
	}
}

func TestOpenReportsUnreachablePostgreSQL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Port 1 on the loopback: nothing listens there.
	_, err := Open(ctx, "postgres://postgres@127.0.0.1:1/landrelease?sslmode=disable&connect_timeout=5")
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Open of a closed port: %v, want ErrUnreachable", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("the error does not name host and port: %v", err)
	}
	t.Logf("error: %v", err)
}

func TestCommitRefusesToMoveTheCheckpointBack(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		h := genHistory(5, 10)
		fold(t, s, h, 1000)
		before := mustDump(t, s)
		other := drained(h[:len(h)/2])
		err := s.Commit(context.Background(), other)
		if !errors.Is(err, ErrCheckpointBehind) {
			t.Fatalf("Commit of changes behind the checkpoint: %v, want ErrCheckpointBehind", err)
		}
		if got := mustDump(t, s); got != before {
			t.Fatalf("read model changed:\n%s", firstDiff(before, got))
		}
		// A retry of the last commit (its reply lost) must not count twice.
		again := drained(h)
		if err := s.Commit(context.Background(), again); !errors.Is(err, ErrCheckpointBehind) {
			t.Fatalf("Commit of changes at the checkpoint: %v, want ErrCheckpointBehind", err)
		}
		if got := mustDump(t, s); got != before {
			t.Fatalf("read model changed:\n%s", firstDiff(before, got))
		}
		// Nothing new: the checkpoint may stay.
		if err := s.Commit(context.Background(), projections.Changes{Sequence: again.Sequence}); err != nil {
			t.Fatalf("empty Commit at the checkpoint: %v", err)
		}
	})
}

// A checkpoint that does not cover every projection at one sequence and
// version loads as version -1 (the runner then rebuilds), at its lowest
// sequence.
func TestLoadOfAMixedCheckpoint(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		ctx := context.Background()
		s := open(t)
		fold(t, s, genHistory(11, 5), 1000)
		st, err := s.Load(ctx)
		if err != nil || st.Version != projections.NationalVersion {
			t.Fatalf("Load: version %d, %v", st.Version, err)
		}
		seq := st.Sequence
		for _, change := range []string{
			`UPDATE projection_checkpoints SET sequence = sequence - 2 WHERE projection = 'audit'`,
			`DELETE FROM projection_checkpoints WHERE projection = 'register'`,
		} {
			if _, err := s.db.Exec(change); err != nil {
				t.Fatal(err)
			}
			st, err := s.Load(ctx)
			if err != nil || st.Version != -1 || st.Sequence != seq-2 {
				t.Errorf("after %s: Load version %d sequence %d (%v), want version -1 sequence %d", change, st.Version, st.Sequence, err, seq-2)
			}
		}
	})
}

func errorsIsNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }
