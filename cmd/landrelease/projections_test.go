package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/scenarios/synth"
)

func dump(t *testing.T, path string) string {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := db.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Kill the process while projections catch up on a large history; restart:
// the read model equals a fresh rebuild.
func TestProjectionCatchUpSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	file := writeCommands(t, synth.Mixed(synth.DefaultConfig(21, 8_000)))
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", file); code != exitOK {
		t.Fatalf("exec: %s", errOut)
	}
	dbPath := filepath.Join(dir, "readmodel.sqlite")
	cmd := exec.Command(bin, "--data-dir", dir, "state")
	cmd.Env = append(os.Environ(), "LANDRELEASE_PROJECTION_BATCH=300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := waitBound(t)
	var seen uint64
	for time.Now().Before(deadline) {
		if db, err := sqlstore.Open(context.Background(), dbPath); err == nil {
			seen, _ = db.Checkpoint(context.Background())
			db.Close()
		}
		if seen > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond) // polling a file another process writes; no event to wait on
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if seen == 0 {
		t.Fatal("the catch-up committed nothing before the deadline")
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "state"); code != exitOK {
		t.Fatalf("state after the kill: %s", errOut)
	}
	rebuilt := filepath.Join(t.TempDir(), "fresh.sqlite")
	if code, _, errOut := run(t, "", "--data-dir", dir, "--db", rebuilt, "rebuild"); code != exitOK {
		t.Fatalf("rebuild: %s", errOut)
	}
	if a, b := dump(t, dbPath), dump(t, rebuilt); a != b {
		t.Fatalf("read model after a kill at checkpoint %d differs from a fresh rebuild (%d vs %d bytes of dump)", seen, len(a), len(b))
	}
	t.Logf("killed after checkpoint %d; resumed read model equals a fresh rebuild", seen)
}
