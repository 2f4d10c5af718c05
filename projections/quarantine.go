package projections

import (
	"context"

	"github.com/landrelease/landrelease/events"
)

// QuarantineSource is a Source that also reports the messages of the
// history it skips because they are not events this build can read
// (events.Quarantined): written by something other than the engine, or by a
// newer engine. The runner records them and moves its checkpoint past them;
// a Source without this method skips them unseen (the checkpoint then stays
// at the last event, and the next catch-up skips them again).
type QuarantineSource interface {
	// ReplayQuarantine is Replay that calls skipped, in stream order between
	// the events, for every message it skips.
	ReplayQuarantine(ctx context.Context, from uint64, fn func(events.Envelope) error, skipped func(events.Quarantined) error) error
}

// QuarantineFollower is a Follower that also reports the messages it skips.
type QuarantineFollower interface {
	// FollowQuarantine is Follow that calls skipped, in stream order between
	// the events, for every message it skips.
	FollowQuarantine(ctx context.Context, from uint64, fn func(e events.Envelope, pending uint64) error,
		skipped func(q events.Quarantined, pending uint64) error) error
}

// replay reads src from sequence from, telling skipped about quarantined
// messages when src reports them.
func replay(ctx context.Context, src Source, from uint64, fn func(events.Envelope) error, skipped func(events.Quarantined) error) error {
	if qs, ok := src.(QuarantineSource); ok {
		return qs.ReplayQuarantine(ctx, from, fn, skipped)
	}
	return src.Replay(ctx, from, fn)
}

// follow is replay's counterpart for Follow.
func follow(ctx context.Context, src Follower, from uint64, fn func(events.Envelope, uint64) error, skipped func(events.Quarantined, uint64) error) error {
	if qs, ok := src.(QuarantineFollower); ok {
		return qs.FollowQuarantine(ctx, from, fn, skipped)
	}
	return src.Follow(ctx, from, fn)
}

// Quarantine records a message of the history that is not an event: the
// fold moves its sequence past it (so the checkpoint does too), counts it,
// queues it for the store's quarantine list and, with KeepAudit or in an
// untracked fold (a replay), keeps it in QuarantineLog. Like Apply, a record at or below the current sequence is
// ignored.
func (n *National) Quarantine(q events.Quarantined) {
	if q.Sequence != 0 && q.Sequence <= n.Sequence {
		return
	}
	if q.Sequence != 0 {
		n.Sequence = q.Sequence
	}
	n.Quarantined++
	if !n.Untracked {
		n.pending.Quarantined = append(n.pending.Quarantined, q)
	}
	if n.KeepAudit || n.Untracked {
		n.QuarantineLog = append(n.QuarantineLog, q)
	}
}
