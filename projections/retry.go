package projections

import (
	"context"
	"time"
)

// Backoff bounds the waits between attempts of FollowRetrying: the first
// wait is Min, each next one doubles, up to Max. The zero Backoff waits
// 100 ms first and at most 5 s.
type Backoff struct {
	Min, Max time.Duration
}

// FollowRetrying keeps runner following src until ctx ends, and then
// returns nil. When Follow returns an error (the read-model database or the
// event store went away), onError (if not nil) is told, with the attempt
// number, and Follow starts again after a wait that grows from b.Min to
// b.Max; the wait starts over once a commit succeeds again. The runner
// resumes from its store's checkpoint (a failed commit makes it reload), so
// no event is skipped or applied twice. onCommit is passed to Follow.
func FollowRetrying(ctx context.Context, runner *Runner, src interface {
	Source
	Follower
}, b Backoff, onCommit func(seq uint64), onError func(err error, attempt int)) error {
	if b.Min <= 0 {
		b.Min = 100 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Second
	}
	b.Max = max(b.Max, b.Min)
	attempt := 0
	commit := func(seq uint64) {
		attempt = 0
		if onCommit != nil {
			onCommit(seq)
		}
	}
	for {
		err := runner.Follow(ctx, src, commit)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			// Follow returns nil only when ctx ended; be safe anyway.
			continue
		}
		attempt++
		if onError != nil {
			onError(err, attempt)
		}
		wait := b.Min << min(attempt-1, 20)
		if wait > b.Max || wait <= 0 {
			wait = b.Max
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
