// Package memory is an in-memory event store with the semantics of the
// JetStream store: one ordered log, per-aggregate versions as log sequences,
// atomic multi-aggregate appends with expected-version checks, and
// idempotency by event ID. It serves tests and scenario forks, which must
// never write to the real history. It imports no other adapter.
package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// Store is an in-memory event store. The zero value is not usable; use New.
// Safe for concurrent use.
type Store struct {
	mu       sync.RWMutex
	log      []events.Envelope // log[i] has sequence i+1
	bySubj   map[events.Ref][]uint64
	byID     map[uuid.UUID]uint64
	appendFn func() error // failure injection for tests; nil in normal use
	maxEvent int64        // largest event body accepted, in bytes (0: no limit)
}

// DefaultMaxEventBytes is the largest event the store accepts: the default
// max_payload of nats-server (1 MiB), so that tests and scenario forks
// refuse what the real history would refuse.
const DefaultMaxEventBytes = 1 << 20

// SetMaxEventBytes sets the largest event body Append accepts (0: no
// limit). Call before use.
func (s *Store) SetMaxEventBytes(n int64) { s.maxEvent = n }

// MaxEventBytes returns the largest event body Append accepts (0: no limit).
func (s *Store) MaxEventBytes() int64 { return s.maxEvent }

var _ domain.EventStore = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{bySubj: make(map[events.Ref][]uint64), byID: make(map[uuid.UUID]uint64), maxEvent: DefaultMaxEventBytes}
}

// Fork returns a new store holding a copy of this store's events up to and
// including sequence upTo (0: all). Appends to the fork never reach s.
func (s *Store) Fork(upTo uint64) *Store {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := New()
	n := uint64(len(s.log))
	if upTo == 0 || upTo > n {
		upTo = n
	}
	f.log = append(make([]events.Envelope, 0, upTo), s.log[:upTo]...)
	for i, e := range f.log {
		seq := uint64(i + 1)
		f.bySubj[e.Aggregate] = append(f.bySubj[e.Aggregate], seq)
		f.byID[e.ID] = seq
	}
	return f
}

func (s *Store) version(ref events.Ref) uint64 {
	seqs := s.bySubj[ref]
	if len(seqs) == 0 {
		return 0
	}
	return seqs[len(seqs)-1]
}

// Version returns the sequence of the last event of ref (0 if none).
func (s *Store) Version(ctx context.Context, ref events.Ref) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version(ref), nil
}

// Load returns the events of one aggregate and its version.
func (s *Store) Load(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	seqs := s.bySubj[ref]
	out := make([]events.Envelope, len(seqs))
	for i, seq := range seqs {
		out[i] = s.log[seq-1]
	}
	return out, s.version(ref), nil
}

// Append stores all writes atomically; see domain.EventStore.
func (s *Store) Append(ctx context.Context, writes []domain.Write) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.appendFn != nil {
		if err := s.appendFn(); err != nil {
			return 0, err
		}
	}
	if err := s.checkSizes(writes); err != nil {
		return 0, err
	}
	total := 0
	checked := make(map[events.Ref]bool, len(writes))
	dups := 0
	for _, w := range writes {
		if !checked[w.Aggregate] {
			checked[w.Aggregate] = true
			if v := s.version(w.Aggregate); v != w.Expected {
				// A retry of a write already stored is not a conflict.
				if _, ok := s.byID[firstID(w)]; ok {
					dups++
					continue
				}
				return 0, &domain.Error{Op: "append", Kind: domain.ErrConflict, Problems: []domain.Problem{{
					Field: "aggregate", Reason: fmt.Sprintf("%s is at version %d, the decision was made on %d", w.Aggregate, v, w.Expected)}}}
			}
		}
		for _, e := range w.Events {
			if _, ok := s.byID[e.ID]; ok {
				dups++
			}
		}
		total += len(w.Events)
	}
	if dups > 0 {
		// The same events were stored before: store nothing and say so
		// with sequence 0, as the port requires.
		return 0, nil
	}
	if total == 0 {
		return 0, fmt.Errorf("append: no events")
	}
	first := uint64(len(s.log)) + 1
	for _, w := range writes {
		for _, e := range w.Events {
			seq := uint64(len(s.log)) + 1
			e.Sequence = seq
			e.BatchEnd = false
			s.log = append(s.log, e)
			s.bySubj[e.Aggregate] = append(s.bySubj[e.Aggregate], seq)
			s.byID[e.ID] = seq
		}
	}
	s.log[len(s.log)-1].BatchEnd = true
	return first, nil
}

// checkSizes refuses, as the JetStream store does, a write whose event
// body is over the limit (the JetStream store also counts the headers).
func (s *Store) checkSizes(writes []domain.Write) error {
	if s.maxEvent <= 0 {
		return nil
	}
	for _, w := range writes {
		for _, e := range w.Events {
			body, err := events.Encode(e.Data)
			if err != nil {
				return fmt.Errorf("append: encode %s: %w", e.Type, err)
			}
			if n := int64(len(body)); n > s.maxEvent {
				return domain.TooLarge(e, body, n, s.maxEvent)
			}
		}
	}
	return nil
}

func firstID(w domain.Write) uuid.UUID {
	if len(w.Events) == 0 {
		return uuid.Nil
	}
	return w.Events[0].ID
}

// Replay calls fn for every event from sequence from up to the current last.
func (s *Store) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	s.mu.RLock()
	n := uint64(len(s.log))
	s.mu.RUnlock()
	if from < 1 {
		from = 1
	}
	for seq := from; seq <= n; seq++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.RLock()
		e := s.log[seq-1]
		s.mu.RUnlock()
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// LastSequence returns the sequence of the last event.
func (s *Store) LastSequence(context.Context) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return uint64(len(s.log)), nil
}

// FromReplay returns a new store holding a copy of the events of src that
// keep accepts (all when keep is nil), in order, renumbered from 1. It is
// how a scenario forks the recorded history: nothing is ever written back.
func FromReplay(ctx context.Context, src interface {
	Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error
}, keep func(events.Envelope) bool) (*Store, error) {
	s := New()
	err := src.Replay(ctx, 1, func(e events.Envelope) error {
		if keep != nil && !keep(e) {
			return nil
		}
		seq := uint64(len(s.log)) + 1
		e.Sequence = seq
		s.log = append(s.log, e)
		s.bySubj[e.Aggregate] = append(s.bySubj[e.Aggregate], seq)
		s.byID[e.ID] = seq
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}
