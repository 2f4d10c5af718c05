package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// dataLock is an exclusive lock on a data dir: two processes running the
// embedded server on the same files would corrupt the event history, so
// the second one is refused with what to do instead. The kernel releases
// the lock when the process ends, however it ends.
type dataLock struct{ f *os.File }

const lockName = "LOCK"

func lockDataDir(dir string) (*dataLock, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another landrelease process"
			if p := strings.TrimSpace(string(pid)); p != "" {
				holder += " (pid " + p + ")"
			}
			return nil, fmt.Errorf("data dir %s is in use by %s: stop it first, or let it share the history: "+
				"run it with --nats-listen 127.0.0.1:4223 and this command with --nats-url nats://127.0.0.1:4223 --data-dir another-dir "+
				"--nats-user engine --nats-password-file %s (or use its HTTP API)", dir, holder, lrjs.PasswordFile(dir, lrjs.EngineUser))
		}
		return nil, fmt.Errorf("data dir %s: lock: %w", dir, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &dataLock{f: f}, nil
}

// release unlocks the data dir (nil-safe).
func (l *dataLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
