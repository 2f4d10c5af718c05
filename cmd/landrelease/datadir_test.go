//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"time"

	"github.com/landrelease/landrelease/scenarios/synth"
)

// A data dir the engine cannot write (read-only, full, not a directory)
// must give a clear error that names the data dir and the cause, exit 1, and
// leave the event history and the read model exactly as they were.

// mountTmpfs mounts a tmpfs of the given size (e.g. "16m") on a temporary
// directory and unmounts it at the end. It skips the test where mounting is
// not permitted (not root, or no CAP_SYS_ADMIN in a container).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs on %s (%v): this test needs root with CAP_SYS_ADMIN", dir, err)
	}
	t.Cleanup(func() {
		// Busy means a file in it is still open after the CLI returned: a
		// server or database left running. Report it, then detach the
		// mount so the temporary directory can go.
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := syscall.Unmount(dir, 0)
			if err == nil {
				return
			}
			if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
				t.Errorf("unmount %s: %v", dir, err)
				_ = syscall.Unmount(dir, syscall.MNT_DETACH)
				return
			}
			time.Sleep(50 * time.Millisecond) // polling the kernel; no event to wait on
		}
	})
	return dir
}

// remount makes the tmpfs at dir read-only or writable again.
func remount(t *testing.T, dir, size string, readOnly bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT)
	if readOnly {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, "size="+size); err != nil {
		t.Fatalf("remount %s (read-only %v): %v", dir, readOnly, err)
	}
}

// dataDirState is what must not change when a write is refused: every event
// of the history (subject, sequence, ID) and the read model.
type dataDirState struct {
	events []string
	state  map[string]any
}

func snapshot(t *testing.T, dataDir string) dataDirState {
	t.Helper()
	var s dataDirState
	for _, m := range readHistory(t, dataDir) {
		meta, err := m.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		s.events = append(s.events, m.Subject()+" "+m.Headers().Get("Nats-Msg-Id")+" "+strconv.FormatUint(meta.Sequence.Stream, 10))
	}
	s.state = stateDoc(t, dataDir)
	return s
}

func sameState(t *testing.T, before, after dataDirState) {
	t.Helper()
	if !reflect.DeepEqual(before.events, after.events) {
		t.Errorf("the event history changed: %d events before, %d after", len(before.events), len(after.events))
	}
	if !reflect.DeepEqual(before.state, after.state) {
		t.Errorf("the read model changed\nbefore %v\n after %v", before.state, after.state)
	}
}

// twoBatches returns two files of commands: a first batch that is applied,
// and a second, of new commands, that the bad data dir must refuse.
func twoBatches(t *testing.T) (first, second string) {
	t.Helper()
	envs := synth.Mixed(synth.DefaultConfig(11, 60))
	return writeCommands(t, envs[:40]), writeCommands(t, envs[40:])
}

// checkClearError: exit 1, no command reported as applied, and stderr names
// the data dir and the cause.
func checkClearError(t *testing.T, code int, stdout, stderr, dataDir, cause string) {
	t.Helper()
	if code != exitRefused {
		t.Errorf("exit %d, want %d", code, exitRefused)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if n := countPrefix(lines, "ok"); n > 0 {
		t.Errorf("%d commands reported as applied:\n%s", n, firstLines(stdout, 5))
	}
	if !strings.Contains(stderr, dataDir) || !strings.Contains(stderr, cause) {
		t.Errorf("the error does not name the data dir %s and the cause %q:\n%s%s", dataDir, cause, firstLines(stdout, 3), stderr)
	}
}

func TestExecOnReadOnlyDataDir(t *testing.T) {
	const size = "64m"
	mnt := mountTmpfs(t, size)
	dataDir := filepath.Join(mnt, "data")
	first, second := twoBatches(t)
	if code, out, errb := run(t, "", "--data-dir", dataDir, "exec", first); code != exitOK {
		t.Fatalf("first exec: exit %d\n%s%s", code, firstLines(out, 5), errb)
	}
	before := snapshot(t, dataDir)

	remount(t, mnt, size, true)
	code, out, errb := run(t, "", "--data-dir", dataDir, "exec", second)
	checkClearError(t, code, out, errb, dataDir, "read-only file system")
	t.Logf("read-only data dir: exit %d: %s", code, strings.TrimSpace(errb))

	remount(t, mnt, size, false)
	sameState(t, before, snapshot(t, dataDir))
	if code, out, errb := run(t, "", "--data-dir", dataDir, "exec", second); code != exitOK {
		t.Fatalf("exec once the data dir is writable again: exit %d\n%s%s", code, firstLines(out, 5), errb)
	}
}

func TestExecOnFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, "32m")
	dataDir := filepath.Join(mnt, "data")
	first, second := twoBatches(t)
	if code, out, errb := run(t, "", "--data-dir", dataDir, "exec", first); code != exitOK {
		t.Fatalf("first exec: exit %d\n%s%s", code, firstLines(out, 5), errb)
	}
	before := snapshot(t, dataDir)

	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	code, out, errb := run(t, "", "--data-dir", dataDir, "exec", second)
	checkClearError(t, code, out, errb, dataDir, "no space left on device")
	t.Logf("full disk: exit %d: %s", code, strings.TrimSpace(errb))

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	sameState(t, before, snapshot(t, dataDir))
	if code, out, errb := run(t, "", "--data-dir", dataDir, "exec", second); code != exitOK {
		t.Fatalf("exec once space is free again: exit %d\n%s%s", code, firstLines(out, 5), errb)
	}
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", path, err)
			}
			return
		}
	}
}

func TestExecOnDataDirThatIsAFile(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(dataDir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, second := twoBatches(t)
	code, out, errb := run(t, "", "--data-dir", dataDir, "exec", second)
	checkClearError(t, code, out, errb, dataDir, "not a directory")
	if b, err := os.ReadFile(dataDir); err != nil || string(b) != "not a directory" {
		t.Errorf("the file given as data dir changed: %q, %v", b, err)
	}
}

// The disk fills in the middle of a long exec: the commands stored before
// are reported ok, every other is refused, the history holds exactly the
// events of the commands reported ok (none of a refused one, no half of a
// command), the read model equals a rebuild, the error names the data dir
// and the cause, and once space is free again the rest applies.
func TestExecWhenTheDiskFillsDuringWrite(t *testing.T) {
	mnt := mountTmpfs(t, "32m")
	dataDir := filepath.Join(mnt, "data")
	envs := synth.Mixed(synth.DefaultConfig(11, 3000))
	first, second := writeCommands(t, envs[:40]), writeCommands(t, envs[40:])
	if code, out, errb := run(t, "", "--data-dir", dataDir, "exec", first); code != exitOK {
		t.Fatalf("first exec: exit %d\n%s%s", code, firstLines(out, 5), errb)
	}
	before := snapshot(t, dataDir)

	// Leave 224 KiB free: a few hundred commands fit, the next thousands
	// (about 1 MB of events) do not.
	slack, filler := filepath.Join(mnt, "slack"), filepath.Join(mnt, "filler")
	if err := os.WriteFile(slack, make([]byte, 224<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	fill(t, filler)
	if err := os.Remove(slack); err != nil {
		t.Fatal(err)
	}
	code, out, errb := run(t, "", "--data-dir", dataDir, "exec", "--json", second)
	results := execResults(t, out)
	okEvents := map[string]bool{}
	var applied []string
	refused := 0
	for _, r := range results {
		switch r.Status {
		case "ok":
			applied = append(applied, r.CommandID)
			for _, id := range r.EventIDs {
				okEvents[id] = true
			}
		case "refused":
			refused++
		default:
			t.Errorf("line %d: %s, but the commands are new", r.Line, r.Status)
		}
	}
	t.Logf("disk full during exec: %d applied, %d refused, exit %d: %s", len(applied), refused, code, lastLines(errb, 2))
	if refused == 0 {
		t.Fatalf("every command applied: the disk never filled (%d results)", len(results))
	}
	checkClearError(t, code, "", errb, dataDir, "no space left on device")

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, dataDir)
	if len(after.events) < len(before.events) || !reflect.DeepEqual(after.events[:len(before.events)], before.events) {
		t.Fatalf("the history before the exec changed")
	}
	stored := map[string]bool{}
	for _, e := range after.events[len(before.events):] {
		stored[strings.Fields(e)[1]] = true
	}
	if !reflect.DeepEqual(stored, okEvents) {
		t.Errorf("the history gained %d events, the commands reported ok have %d", len(stored), len(okEvents))
		for id := range stored {
			if !okEvents[id] {
				t.Errorf("event %s is stored, but no command reported ok has it", id)
				break
			}
		}
	}
	if code, out, errb := run(t, "", "--data-dir", dataDir, "rebuild"); code != exitOK {
		t.Fatalf("rebuild: exit %d\n%s%s", code, out, errb)
	}
	if rebuilt := stateDoc(t, dataDir); !reflect.DeepEqual(rebuilt, after.state) {
		t.Errorf("the read model differs from a rebuild of the history")
	}

	// With space again, the same file applies the rest; what was applied is
	// recognised, nothing fails for want of disk.
	_, out, errb = run(t, "", "--data-dir", dataDir, "exec", "--json", second)
	again := map[string]string{}
	for _, r := range execResults(t, out) {
		again[r.CommandID] = r.Status
		if r.Error != nil && (r.Error.Kind == "internal" || r.Error.Kind == "unavailable") {
			t.Fatalf("exec with free space: line %d refused: %s\n%s", r.Line, r.Error.Message, errb)
		}
	}
	for _, id := range applied {
		if again[id] != "already-applied" {
			t.Errorf("command %s applied during the full disk comes back %q, want already-applied", id, again[id])
		}
	}
}

func execResults(t *testing.T, out string) []domain.CommandReport {
	t.Helper()
	var rs []domain.CommandReport
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r domain.CommandReport
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("exec --json: %v\n%s", err, firstLines(out, 3))
		}
		rs = append(rs, r)
	}
	return rs
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
