package jetstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

var (
	_ handling.CommandScanner = (*Store)(nil)
	_ handling.EventReader    = (*Store)(nil)
)

// scanFnError carries the error of ScanCommands' fn, which ends the scan.
type scanFnError struct{ err error }

func (e scanFnError) Error() string { return e.err.Error() }

// ScanCommands calls fn, in stream order, with the subject and the command
// ID (Lr-Command-Id; uuid.Nil if none) of every message from sequence from
// up to upTo (0: the last now). It reads with an ordered consumer that
// delivers headers only, so no event body crosses the connection nor is
// decoded: the handler's Warm builds its command index and its set of
// existing aggregates this way instead of replaying the history. A failed
// read resumes after the last message delivered; without progress for
// Config.RetryFor it gives up with a domain ErrUnavailable.
func (s *Store) ScanCommands(ctx context.Context, from, upTo uint64, fn func(seq uint64, subject string, commandID uuid.UUID) error) error {
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
	next := from
	var failing time.Time
	for n := 0; next <= upTo; n++ {
		delivered, err := s.scanOnce(ctx, next, upTo, func(seq uint64, subject string, id uuid.UUID) error {
			next = seq + 1
			return fn(seq, subject, id)
		})
		if err == nil {
			return nil
		}
		var fe scanFnError
		if errors.As(err, &fe) {
			return fe.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !transient(ctx, err) {
			return fmt.Errorf("scan: %w", err)
		}
		now := time.Now()
		if delivered > 0 || failing.IsZero() {
			failing, n = now, 0
		}
		if now.Sub(failing) >= s.cfg.RetryFor {
			return unavailable("scan", now.Sub(failing), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(100*time.Millisecond<<min(n, 5), 2*time.Second)):
		}
	}
	return nil
}

func (s *Store) scanOnce(ctx context.Context, from, upTo uint64, fn func(uint64, string, uuid.UUID) error) (int, error) {
	if !s.nc.IsConnected() {
		return 0, fmt.Errorf("nats connection %s", s.nc.Status())
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	cons, err := s.js.OrderedConsumer(cctx, s.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects:   []string{events.SubjectPrefix + ".>"},
		DeliverPolicy:    jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:      from,
		HeadersOnly:      true,
		MaxResetAttempts: 1,
	})
	cancel()
	if err != nil {
		return 0, fmt.Errorf("ordered consumer: %w", err)
	}
	// Messages without bodies are small: ask for many at a time.
	it, err := cons.Messages(jetstream.PullMaxMessages(8192), jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(2*time.Second))
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
		seq := meta.Sequence.Stream
		if seq > upTo {
			return delivered, nil
		}
		id, _ := uuid.Parse(msg.Headers().Get(HeaderCommandID)) // uuid.Nil if absent or not one
		if err := fn(seq, msg.Subject(), id); err != nil {
			return delivered, scanFnError{err}
		}
		if seq >= upTo {
			return delivered, nil
		}
	}
}

// EventAt reads the event stored at seq with one direct get; ok is false
// when there is no message there or it is not an event this build can read
// (see decode).
func (s *Store) EventAt(ctx context.Context, seq uint64) (events.Envelope, bool, error) {
	var m *jetstream.RawStreamMsg
	err := s.retry(ctx, "get", func(ctx context.Context) error {
		var err error
		m, err = s.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			m, err = nil, nil
		}
		return err
	})
	if err != nil || m == nil {
		return events.Envelope{}, false, err
	}
	e, err := decode(s.cfg.Registry, m.Subject, m.Sequence, m.Header, m.Data)
	if err != nil {
		if _, ok := events.AsQuarantined(err); ok {
			return events.Envelope{}, false, nil
		}
		return events.Envelope{}, false, err
	}
	return e, true, nil
}
