package main

import (
	"testing"
	"time"
)

// Tests wait for what they can observe (an answer, a line printed, the
// process exiting, the read model catching up) rather than for a guessed
// number of seconds: a busy machine makes the work slower, not the test
// wrong. What bounds such a wait is one generous limit, the test binary's
// own deadline (go test -timeout) less a margin to report the failure and
// clean up.

// waitBound is the instant a test stops waiting for the work it observes.
func waitBound(t testing.TB) time.Time {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			return dl.Add(-min(time.Minute, time.Until(dl)/10))
		}
	}
	return time.Now().Add(noDeadlineWait) // a benchmark, or go test -timeout 0
}

// noDeadlineWait bounds a wait when the test binary has no deadline.
const noDeadlineWait = 10 * time.Minute
