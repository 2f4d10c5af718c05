package jetstream

import (
	"context"
	"errors"
	"fmt"
	"time"

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
