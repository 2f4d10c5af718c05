package handling

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// CommandScanner is implemented by event stores that can list what each
// stored message belongs to without decoding event bodies (the JetStream
// store reads headers only): fn gets, in stream order for every message of
// sequence from to upTo, its subject and the command ID of its
// Lr-Command-Id header (uuid.Nil if it has none or it is not one). The
// handler's Warm scans the history with it; a store without it is replayed.
type CommandScanner interface {
	ScanCommands(ctx context.Context, from, upTo uint64, fn func(seq uint64, subject string, commandID uuid.UUID) error) error
}

// EventReader is implemented by event stores that read one stored event by
// its sequence with one round trip (the JetStream store: a direct get).
// ok is false when the message there is not an event this build can read.
// The command index reads a command's use back with it; a store without it
// is replayed from that sequence.
type EventReader interface {
	EventAt(ctx context.Context, seq uint64) (e events.Envelope, ok bool, err error)
}

var errFound = errors.New("found")

// quarantineReplayer is implemented by event stores that can hold messages
// that are not events (the JetStream store): Replay that also reports
// each message it skips.
type quarantineReplayer interface {
	ReplayQuarantine(ctx context.Context, from uint64, fn func(events.Envelope) error, skipped func(events.Quarantined) error) error
}

// eventAt reads the event at seq from the store.
func (h *Handler) eventAt(ctx context.Context, seq uint64) (events.Envelope, bool, error) {
	if r, ok := h.store.(EventReader); ok {
		return r.EventAt(ctx, seq)
	}
	var out events.Envelope
	found := false
	err := h.store.Replay(ctx, seq, func(e events.Envelope) error {
		out, found = e, e.Sequence == seq
		return errFound
	})
	if err != nil && !errors.Is(err, errFound) {
		return events.Envelope{}, false, err
	}
	return out, found, nil
}

// Warm prepares the handler for a history that may already hold events,
// without replaying it: it records the store's last sequence as the
// watermark (pass the events after it to Observe), installs the index
// snapshot of UseIndexStore when it is valid for this history, and starts,
// in the background, a scan of the headers of the history after the
// snapshot (all of it without one) that fills the command index and the set
// of aggregates that exist, then writes a new snapshot. Commands are handled at once:
// aggregate states load on demand from the store (and stay in the bounded
// cache); a command whose ID the index does not hold waits for the scan to
// end, since only then is an ID not found known to be new. A history of at
// most HandlerConfig.PrefillEvents events is then folded into the cache, in
// the background too, so that the first command on each aggregate does not
// wait for a load. ctx bounds the scan and the prefill: it should live as
// long as the handler is used. Call Warm once, before handling commands.
func (h *Handler) Warm(ctx context.Context) error {
	last, err := h.store.LastSequence(ctx)
	if err != nil {
		return fmt.Errorf("warm: %w", err)
	}
	if last > h.watermark.Load() {
		h.watermark.Store(last)
	}
	h.warmed.Store(true)
	from := uint64(1)
	upTo, err := h.loadSnapshot(ctx, last)
	if err != nil {
		return fmt.Errorf("warm: read the command index snapshot: %w", err)
	}
	if upTo > 0 {
		from = upTo + 1 // only what was stored after the snapshot
	}
	prefill := last > 0 && last <= h.cfg.PrefillEvents
	if prefill {
		h.cache.startPrefill() // from here on, what the cache learns is newer than the prefill's fold
	}
	if from > last && !prefill {
		// An empty history, or one the snapshot covers: every aggregate
		// not seen since is new.
		h.cache.setComplete()
		return nil
	}
	scan := from <= last
	if scan {
		h.index.startScan()
	} else {
		h.cache.setComplete()
	}
	done := make(chan struct{})
	h.warmDone.Store(&done)
	go func() {
		defer close(done)
		if scan {
			found, err := h.scan(ctx, from, last)
			if err == nil {
				h.cache.setComplete()
			}
			h.index.finishScan(found, err)
			if err != nil {
				h.cache.endPrefill(nil)
				return
			}
			// So that the next start scans only what comes after; a
			// failure to write costs the next start a longer scan only.
			_ = h.SaveIndex(last)
		}
		if prefill {
			h.prefill(ctx, last)
		}
	}()
	return nil
}

// SetPrefill changes HandlerConfig.PrefillEvents; call it before Warm (a
// server that builds its read model after a large load turns the prefill
// off, so that the two folds do not hold their memory at once).
func (h *Handler) SetPrefill(maxEvents uint64) { h.cfg.PrefillEvents = maxEvents }

// prefill folds every aggregate of the history up to last and adds the
// states to the cache (see HandlerConfig.PrefillEvents); commands are
// handled meanwhile, loading what they need. A failure to read only leaves
// the cache to fill on demand.
func (h *Handler) prefill(ctx context.Context, last uint64) {
	// Each state is kept in the cache's own form while the history is
	// folded (an area compact: a 10× history's 55,000 areas in about 8 MB
	// instead of 38), at the price of a decode and an encode per event.
	states := make(map[events.Ref]cacheSlot)
	apply := func(e events.Envelope) error {
		if e.Sequence > last {
			return errFound
		}
		st, ok := states[e.Aggregate]
		s := snapshot{state: domain.NewState(e.Aggregate.Kind)}
		if ok {
			s = st.snapshot()
		}
		s.apply(e)
		st.set(s)
		states[e.Aggregate] = st
		return nil
	}
	var err error
	if q, ok := h.store.(quarantineReplayer); ok {
		// A message on an aggregate's subject that is not an event (one
		// written past the engine) is still its version: the next append
		// expects it. An aggregate with no event before it is not
		// prefilled; it loads on demand.
		err = q.ReplayQuarantine(ctx, 1, apply, func(m events.Quarantined) error {
			if m.Sequence > last {
				return errFound
			}
			ref, perr := events.ParseSubject(m.Subject)
			if st, ok := states[ref]; ok && perr == nil {
				s := st.snapshot()
				s.version = max(s.version, m.Sequence)
				st.set(s)
				states[ref] = st
			}
			return nil
		})
	} else {
		err = h.store.Replay(ctx, 1, apply)
	}
	if err != nil && !errors.Is(err, errFound) {
		clear(states)
	}
	h.cache.endPrefill(states)
}

// WaitWarm waits until the scan Warm started has ended (and its snapshot
// is written), and the prefill of the cache after it, and returns the
// scan's error (nil at once when there was nothing to run).
func (h *Handler) WaitWarm(ctx context.Context) error {
	done := h.warmDone.Load()
	if done == nil {
		return nil
	}
	select {
	case <-*done:
	case <-ctx.Done():
		return ctx.Err()
	}
	h.index.mu.Lock()
	defer h.index.mu.Unlock()
	return h.index.scanErr
}

// scan reads the history up to last: every subject with a message exists
// (also one that is not an event: it is still its aggregate's version), and
// every command ID goes into the entries returned (16 bytes each).
func (h *Handler) scan(ctx context.Context, from, last uint64) ([]idEntry, error) {
	var found []idEntry
	note := func(seq uint64, subject string, id uuid.UUID) {
		h.cache.exist(subject)
		if id == uuid.Nil {
			return
		}
		d := h.index.key.id(id)
		if n := len(found); n > 0 && found[n-1].h == d && found[n-1].seq+1 == seq {
			found[n-1].seq = seq // the next event of the same command
			return
		}
		found = append(found, idEntry{d, seq})
	}
	if s, ok := h.store.(CommandScanner); ok {
		err := s.ScanCommands(ctx, from, last, func(seq uint64, subject string, id uuid.UUID) error {
			note(seq, subject, id)
			return nil
		})
		return found, err
	}
	apply := func(e events.Envelope) error {
		if e.Sequence > last {
			return errFound
		}
		note(e.Sequence, e.Aggregate.Subject(), e.CommandID)
		return nil
	}
	var err error
	if q, ok := h.store.(quarantineReplayer); ok {
		err = q.ReplayQuarantine(ctx, from, apply, func(m events.Quarantined) error {
			if m.Sequence > last {
				return errFound
			}
			h.cache.exist(m.Subject)
			return nil
		})
	} else {
		err = h.store.Replay(ctx, from, apply)
	}
	if errors.Is(err, errFound) {
		err = nil
	}
	return found, err
}
