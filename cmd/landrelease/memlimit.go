package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
)

// memoryLimitEnv sets the default of --memory-limit.
const memoryLimitEnv = "LANDRELEASE_MEMORY_LIMIT"

// defaultMemoryLimitMiB is the soft limit of the Go runtime's memory (MiB)
// a command runs with. Without one, the collector lets the heap grow to
// twice its live size between collections (GOGC=100): a 10× exec with a
// live heap of 300 MB peaked at 600 MB. Near the limit the collector runs
// more often and returns freed memory to the system sooner; a live heap
// above it only makes the collector busier (Go caps its share of the CPU at
// about half), the command never fails for it. The issue 17 budgets are
// resident set sizes (exec and state --as-of below 1 GiB at 100×), and
// the limit counts only the Go runtime's memory, not the binary's own pages
// nor what the runtime has freed but not yet returned: at 1024 MiB a 100×
// exec peaked at 1,031–1,048 MiB; at 960 at 970 MiB, in the same time
// (142 s against 141 s, measured by hand on one host). A rebuild has the
// same limit.
const defaultMemoryLimitMiB = 960

// memoryLimitFrom reads the default of --memory-limit from the
// environment: LANDRELEASE_MEMORY_LIMIT in MiB (0 turns the limit off).
func memoryLimitFrom(getenv func(string) string) (int, bool) {
	v, err := strconv.Atoi(getenv(memoryLimitEnv))
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

// applyMemoryLimit sets the process's soft memory limit to mib MiB (0: no
// limit), unless GOMEMLIMIT is set: the Go runtime's own variable wins.
func applyMemoryLimit(mib int) {
	if os.Getenv("GOMEMLIMIT") != "" || mib <= 0 {
		return
	}
	debug.SetMemoryLimit(int64(mib) << 20)
}

func validMemoryLimit(mib int) error {
	if mib != 0 && (mib < 64 || mib > 1<<24) {
		return fmt.Errorf("--memory-limit %d: want 0 (no limit) or 64 to 16777216 MiB", mib)
	}
	return nil
}

// replayGCPercent sets the collector's target to 50 while a replay folds
// the history in memory (state --as-of, --as-recorded), the projections
// catch up or rebuild, or exec fills the handler's cache, unless GOGC is
// set, and returns the function that
// restores it. As in a rebuild, the
// live heap is mostly the fold's rows, long-lived, so letting the heap grow
// half its live size between collections instead of all of it costs a
// little CPU: a 100× state --as-of has a live heap of about 480 MB, and
// with GOGC=100 its heap reached 914 MB (peak RSS 998 MiB, the 1 GiB
// budget; the soft limit does not act below it).
func replayGCPercent() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(50)
	return func() { debug.SetGCPercent(prev) }
}
