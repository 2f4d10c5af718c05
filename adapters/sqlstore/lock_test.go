package sqlstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Only one process projects into a read model: a second Lock is refused
// with ErrInUse naming the holder, and succeeds once the first is released.
// (Two Stores in one test stand for two processes: flock and PostgreSQL
// advisory locks are per open file and per session.)
func TestLockRefusesASecondHolder(t *testing.T) {
	ctx := context.Background()
	for name, dsn := range map[string]func(testing.TB) string{
		"SQLite":     func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "rm.sqlite") },
		"PostgreSQL": pgDSN,
	} {
		t.Run(name, func(t *testing.T) {
			where := dsn(t)
			first, err := Open(ctx, where)
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			second, err := Open(ctx, where)
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			l1, err := first.Lock(ctx, "pid 111 on test-host, data dir /srv/a")
			if err != nil {
				t.Fatal(err)
			}
			_, err = second.Lock(ctx, "pid 222")
			if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "pid 111 on test-host, data dir /srv/a") {
				t.Fatalf("second lock: want ErrInUse naming the holder, got %v", err)
			}
			l1.Release()
			l2, err := second.Lock(ctx, "pid 222")
			if err != nil {
				t.Fatalf("after release: %v", err)
			}
			l2.Release()
			l2.Release() // idempotent
		})
	}
}

// A SQLite read model, its -wal and -shm files and its lock file are
// readable by their owner only; its directory is created 0700; an existing
// world-readable file is tightened.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "readmodel.sqlite")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Lock(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if _, err := s.Checkpoint(ctx); err != nil { // a read: the -shm exists
		t.Fatal(err)
	}
	wantMode(t, dir, 0o700)
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		wantMode(t, p, 0o600)
	}
	s.Close()

	old := filepath.Join(t.TempDir(), "old.sqlite")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	s, err = Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	wantMode(t, old, 0o600)
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}
