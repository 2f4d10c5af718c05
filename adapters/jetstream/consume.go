package jetstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/landrelease/landrelease/events"
)

// Pull settings of the ordered consumers: a lost consumer (its server gone,
// a leader change) shows as missing heartbeats within about two heartbeats.
const (
	pullExpiry    = 5 * time.Second
	pullHeartbeat = 2 * time.Second
)

// fnError marks an error returned by the caller's function: it ends the
// read as it is, never retried.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }
func (e fnError) Unwrap() error { return e.err }

// consume reads the stream from sequence from and calls fn for each message
// until fn says done, fn fails (its error is returned as is), or ctx ends
// (then it returns ctx.Err()). When the ordered consumer is lost (missing
// heartbeats, a reconnect, its server gone) it is created again after the
// last message delivered, with backoff. Without follow, consume gives up
// with domain.ErrUnavailable after Config.RetryFor without progress; with
// follow it keeps trying until ctx ends.
func (s *Store) consume(ctx context.Context, op string, from uint64, follow bool, fn func(jetstream.Msg, *jetstream.MsgMetadata) (done bool, err error)) error {
	next := from
	var failing time.Time
	for n := 0; ; n++ {
		delivered, err := s.consumeOnce(ctx, next, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) (bool, error) {
			done, err := fn(msg, meta)
			if err != nil {
				return false, fnError{err}
			}
			next = meta.Sequence.Stream + 1
			return done, nil
		})
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fe fnError
		if errors.As(err, &fe) {
			return fe.err
		}
		if !transient(ctx, err) {
			return fmt.Errorf("%s: %w", op, err)
		}
		now := time.Now()
		if delivered > 0 || failing.IsZero() {
			failing, n = now, 0
		}
		if !follow && now.Sub(failing) >= s.cfg.RetryFor {
			return unavailable(op, now.Sub(failing), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(100*time.Millisecond<<min(n, 5), 2*time.Second)):
		}
	}
}

// consumeOnce reads with one ordered consumer from sequence from; it returns
// how many messages it delivered and why it stopped (nil: fn said done).
func (s *Store) consumeOnce(ctx context.Context, from uint64, fn func(jetstream.Msg, *jetstream.MsgMetadata) (bool, error)) (int, error) {
	if !s.nc.IsConnected() {
		return 0, fmt.Errorf("nats connection %s", s.nc.Status())
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	cons, err := s.js.OrderedConsumer(cctx, s.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.SubjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
		// One try per recreation inside nats.go; consume's loop does
		// the backoff and keeps the place.
		MaxResetAttempts: 1,
	})
	cancel()
	if err != nil {
		return 0, fmt.Errorf("ordered consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2048), jetstream.PullExpiry(pullExpiry), jetstream.PullHeartbeat(pullHeartbeat))
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	delivered := 0
	for {
		msg, err := it.Next()
		if err != nil {
			return delivered, err
		}
		meta, err := msg.Metadata()
		if err != nil {
			return delivered, permanent{err}
		}
		delivered++
		if done, err := fn(msg, meta); err != nil || done {
			return delivered, err
		}
	}
}

// Replay reads the stream with an ordered consumer from sequence from up to
// the last sequence at the time of the call. Messages that are not events
// (see decode) are skipped; ReplayQuarantine reports them.
func (s *Store) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	return s.ReplayQuarantine(ctx, from, fn, nil)
}

// ReplayQuarantine is Replay that calls skipped (if not nil), in stream
// order between the events, for each message it skips because it is not an
// event this build can read. An error from fn or skipped ends the replay
// and is returned as is.
func (s *Store) ReplayQuarantine(ctx context.Context, from uint64, fn func(events.Envelope) error, skipped func(events.Quarantined) error) error {
	from = max(from, 1)
	upTo, err := s.LastSequence(ctx)
	if err != nil {
		return err
	}
	if parallelReplay && upTo >= from && upTo-from >= pipelineMin {
		return s.replayParallel(ctx, from, upTo, fn, skipped)
	}
	return s.replay(ctx, from, upTo, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) error {
		e, q := s.decodeMsg(msg, meta)
		if q != nil {
			if skipped == nil {
				return nil
			}
			return skipped(*q)
		}
		return fn(e)
	})
}

// decodeMsg decodes a message read by a consumer: an event, or the record
// of why it is quarantined.
func (s *Store) decodeMsg(msg jetstream.Msg, meta *jetstream.MsgMetadata) (events.Envelope, *events.Quarantined) {
	return s.decodeRaw(msg.Subject(), meta.Sequence.Stream, meta.Timestamp, msg.Headers(), msg.Data())
}

// ReplayRaw is Replay without decoding: fn sees each message's subject,
// sequence, headers and body. upTo 0 means the last sequence now.
func (s *Store) ReplayRaw(ctx context.Context, from, upTo uint64, fn func(subject string, seq uint64, h nats.Header, data []byte) error) error {
	return s.replay(ctx, from, upTo, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) error {
		return fn(msg.Subject(), meta.Sequence.Stream, msg.Headers(), msg.Data())
	})
}

func (s *Store) replay(ctx context.Context, from, upTo uint64, fn func(jetstream.Msg, *jetstream.MsgMetadata) error) error {
	if from < 1 {
		from = 1
	}
	if upTo == 0 {
		last, err := s.LastSequence(ctx)
		if err != nil {
			return err
		}
		upTo = last
	}
	if from > upTo {
		return nil
	}
	return s.consume(ctx, "replay", from, false, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) (bool, error) {
		if err := fn(msg, meta); err != nil {
			return false, err
		}
		return meta.Sequence.Stream >= upTo, nil
	})
}

// Follow reads the stream with an ordered consumer from sequence from and
// keeps waiting for new events until ctx ends (it then returns ctx.Err()).
// pending is the number of messages the server holds after this one.
// Follow rides out outages of any length: it recreates its consumer after a
// lost heartbeat, a reconnect or a leader change and resumes after the last
// message it delivered, so fn sees every event once, in order. Messages
// that are not events (see decode) are skipped; FollowQuarantine reports
// them. It returns early only when fn fails or the history cannot be read
// (the stream deleted, the connection closed).
func (s *Store) Follow(ctx context.Context, from uint64, fn func(e events.Envelope, pending uint64) error) error {
	return s.FollowQuarantine(ctx, from, fn, nil)
}

// FollowQuarantine is Follow that calls skipped (if not nil), in stream
// order between the events, for each message it skips because it is not an
// event this build can read.
func (s *Store) FollowQuarantine(ctx context.Context, from uint64, fn func(e events.Envelope, pending uint64) error,
	skipped func(q events.Quarantined, pending uint64) error) error {
	if from < 1 {
		from = 1
	}
	return s.consume(ctx, "follow", from, true, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) (bool, error) {
		e, q := s.decodeMsg(msg, meta)
		if q != nil {
			if skipped == nil {
				return false, nil
			}
			return false, skipped(*q, meta.NumPending)
		}
		return false, fn(e, meta.NumPending)
	})
}
