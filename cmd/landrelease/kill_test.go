package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/landrelease/landrelease/scenarios/synth"
)

// buildBinary builds the landrelease binary into a temporary directory.
func buildBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "landrelease-bin-")
		if err != nil {
			binErr = err
			return
		}
		binDir = dir
		bin := filepath.Join(dir, "landrelease")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			binErr = fmt.Errorf("go build: %w", err)
			return
		}
		binPath = bin
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// The landrelease binary the tests run as a process of its own: built once
// per test binary (without the race detector), removed by TestMain.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// SIGKILL in the middle of exec of a large file, then exec again: every
// command is applied exactly once, and the history is the one an
// uninterrupted run writes.
func TestExecSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and applies 20,000 commands three times")
	}
	bin := buildBinary(t)
	file := writeCommands(t, synth.Mixed(synth.DefaultConfig(11, 20_000)))
	dir := t.TempDir()

	cmd := exec.Command(bin, "--data-dir", dir, "exec", "--chunk", "500", file)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	seen := 0
	for sc.Scan() {
		if seen++; seen == 1500 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if seen < 1500 {
		t.Fatalf("exec printed only %d lines before it ended", seen)
	}
	partial := readHistory(t, dir)
	if len(partial) == 0 {
		t.Fatal("nothing was stored before the kill")
	}

	code, _, errOut := run(t, "", "--data-dir", dir, "exec", file)
	if code != exitOK {
		t.Fatalf("exec after the kill: exit %d\n%s", code, errOut)
	}
	t.Logf("killed after %d result lines with %d events stored; resumed: %s", seen, len(partial), errOut)

	refDir := t.TempDir()
	if code, _, errOut := run(t, "", "--data-dir", refDir, "exec", file); code != exitOK {
		t.Fatalf("reference exec: exit %d\n%s", code, errOut)
	}
	got, want := readHistory(t, dir), readHistory(t, refDir)
	ids := map[string]int{}
	for _, m := range got {
		ids[m.Headers().Get("Nats-Msg-Id")]++
	}
	for id, n := range ids {
		if n != 1 {
			t.Fatalf("event %s stored %d times", id, n)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("killed-and-resumed history has %d events, an uninterrupted run %d", len(got), len(want))
	}
	for _, m := range want {
		if ids[m.Headers().Get("Nats-Msg-Id")] != 1 {
			t.Fatalf("event %s of command %s is missing after the kill", m.Headers().Get("Nats-Msg-Id"), m.Headers().Get("Lr-Command-Id"))
		}
	}
}
