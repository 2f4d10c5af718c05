package main

import (
	"math"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestMemoryLimit: --memory-limit (default LANDRELEASE_MEMORY_LIMIT, else
// 1 GiB) becomes the process's soft memory limit before the verb runs,
// GOMEMLIMIT wins over both, and a limit below 64 MiB is refused naming the
// flag.
func TestMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	t.Setenv("GOMEMLIMIT", "")
	missing := filepath.Join(t.TempDir(), "none.jsonl")
	limit := func() int64 { return debug.SetMemoryLimit(-1) >> 20 }

	for _, c := range []struct {
		env  string
		args []string
		want int64
	}{
		{"", nil, defaultMemoryLimitMiB},
		{"700", nil, 700},
		{"700", []string{"--memory-limit", "300"}, 300},
	} {
		debug.SetMemoryLimit(math.MaxInt64)
		t.Setenv(memoryLimitEnv, c.env)
		args := append(append([]string{"--data-dir", t.TempDir()}, c.args...), "exec", missing)
		run(t, "", args...) // the verb fails (no file); the limit is set before it runs
		if got := limit(); got != c.want {
			t.Errorf("env %q, flags %v: limit %d MiB, want %d", c.env, c.args, got, c.want)
		}
	}

	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "2GiB") // read by the runtime at start only: here it only tells the flag to keep out
	run(t, "", "--data-dir", t.TempDir(), "--memory-limit", "300", "exec", missing)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set the flag still set a limit: %d", got)
	}

	code, _, stderr := run(t, "", "--data-dir", t.TempDir(), "--memory-limit", "10", "exec", missing)
	if code != exitUsage || !strings.Contains(stderr, "--memory-limit 10") {
		t.Errorf("--memory-limit 10: exit %d, %s; want a usage error naming the flag", code, stderr)
	}
}
