package jetstream

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/landrelease/landrelease/domain"
)

// JetStream API errors that pass by themselves: the meta layer or the stream
// has no leader yet, a new leader is not ready to check expected sequences,
// or the same message ID is still being proposed (a retry while the first
// try waits for a quorum: it may yet be stored, or not).
const (
	errCodeClusterNotAvailable ErrorCode = 10008
	errCodeClusterNotLeader    ErrorCode = 10009
	errCodeExpectedSeqNotReady ErrorCode = 10163
	errCodeDuplicateInProcess  ErrorCode = 10158
)

// ErrorCode is a JetStream API error code.
type ErrorCode = jetstream.ErrorCode

// transient reports whether err may pass by itself: no connection, no
// responders (no stream leader), a timeout or a lost reply, a busy server,
// or one of the JetStream errors of an election. The caller's own context
// ending, a domain error (a conflict), a closed connection and errors
// marked permanent (an event that cannot be decoded) are not.
func transient(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var p permanent
	var de *domain.Error
	if errors.As(err, &p) || errors.As(err, &de) || errors.Is(err, nats.ErrConnectionClosed) {
		return false
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case errCodeClusterNotAvailable, errCodeClusterNotLeader, errCodeExpectedSeqNotReady, errCodeDuplicateInProcess,
			jetstreamext.JSErrCodeAtomicPublishTooManyInflight, jetstreamext.JSErrCodeBatchPublishTooManyInflight:
			return true
		}
		return false
	}
	// No responders, timeouts, a connection that is reconnecting, a lost
	// reply: the request may be sent again.
	return true
}

// permanent marks an error that retrying cannot cure.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// unavailable wraps err as a domain ErrUnavailable; op names what was
// tried (the caller adds the command).
func unavailable(op string, since time.Duration, err error) error {
	return &domain.Error{Kind: domain.ErrUnavailable, Problems: []domain.Problem{{Field: "event_store",
		Reason: fmt.Sprintf("%s: no answer for %s (no connection or no stream leader); retry with the same command_id", op, since.Round(10*time.Millisecond))}},
		Err: err}
}

// outage remembers since when the store has been failing, so that a call
// made during a long outage fails at once instead of waiting its own full
// patience again (a group of queued commands then fails together, promptly).
type outage struct {
	since atomic.Int64 // UnixNano of the first failure; 0 while healthy
}

func (o *outage) failed(now time.Time) { o.since.CompareAndSwap(0, now.UnixNano()) }
func (o *outage) ok()                  { o.since.Store(0) }

// start returns when the current outage began, or now if there is none.
func (o *outage) start(now time.Time) time.Time {
	if s := o.since.Load(); s != 0 && s < now.UnixNano() {
		return time.Unix(0, s)
	}
	return now
}

// retry calls attempt until it succeeds or fails for good. A transient
// failure is retried with backoff while the store has been failing for less
// than cfg.RetryFor; after that retry returns a domain ErrUnavailable that
// wraps the last error. An attempt is not made while the connection is down
// (it could only fail or, buffered, be sent after the caller gave up).
// Each attempt gets cfg.Timeout.
func (s *Store) retry(ctx context.Context, op string, attempt func(ctx context.Context) error) error {
	first := time.Now()
	deadline := s.down.start(first).Add(s.cfg.RetryFor)
	var lastErr error
	for n := 0; ; n++ {
		var err error
		if s.nc.IsConnected() {
			actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
			err = attempt(actx)
			cancel()
		} else {
			err = fmt.Errorf("nats connection %s", s.nc.Status())
		}
		if err == nil {
			s.down.ok()
			return nil
		}
		if !transient(ctx, err) {
			if ctx.Err() == nil {
				s.down.ok() // the store answered, if only to refuse
			}
			return err
		}
		lastErr = err
		now := time.Now()
		s.down.failed(now)
		if !now.Before(deadline) {
			return unavailable(op, now.Sub(s.down.start(now)), lastErr)
		}
		wait := min(50*time.Millisecond<<min(n, 5), time.Second, deadline.Sub(now))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
