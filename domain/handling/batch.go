package handling

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// HandleBatch applies many commands in order, as the bulk paths (exec of a
// file, import, the demo loader) need: each command is decided against the
// state left by the commands before it, and the events of up to
// MaxBatchEvents are appended as one atomic batch, sharing one write to disk.
// A refused command writes nothing and does not stop the others, nor does
// one whose event is over the store's size limit (domain.ErrTooLarge). If a batch
// meets a conflict (another writer touched one of its aggregates), the
// commands decided on its pending state are handled again one at a time,
// the refused ones too (a refusal may rest on an event that was never
// stored), so each still applies exactly once or gets its own error; if
// the store fails, none of them is decided: each gets the store's error. progress, if not nil, is called after each
// stored batch with the number of commands done.
func (h *Handler) HandleBatch(ctx context.Context, envs []domain.CommandEnvelope, progress func(done int)) []domain.Outcome {
	out := make([]domain.Outcome, len(envs))
	b := batch{h: h, overlay: make(map[events.Ref]*snapshot), out: out, envs: envs}
	if len(envs) > 1 {
		ids := make([]uuid.UUID, 0, len(envs))
		for _, env := range envs {
			if env.ID != uuid.Nil {
				ids = append(ids, env.ID)
			}
		}
		b.stored = h.index.prefetch(ctx, ids)
	}
	for i := range envs {
		b.cur = i
		if err := ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		b.decide(ctx, i)
		b.cur = i + 1
		if b.events >= h.cfg.MaxBatchEvents {
			b.flush(ctx)
			if progress != nil {
				progress(i + 1)
			}
		}
	}
	b.cur = len(envs)
	b.flush(ctx)
	if progress != nil {
		progress(len(envs))
	}
	return out
}

type batch struct {
	h       *Handler
	envs    []domain.CommandEnvelope
	out     []domain.Outcome
	overlay map[events.Ref]*snapshot // state of touched aggregates including pending events
	base    map[events.Ref]snapshot  // state before the pending events
	writes  []domain.Write
	owners  []int // command index of each write
	events  int
	claims  map[uuid.UUID]commandUse // command IDs claimed for the pending writes
	stored  map[uuid.UUID]commandUse // stored uses of the batch's command IDs, read ahead (prefetch)
	// Commands from..cur-1 were decided since the last flush, on the
	// pending state: if the flush does not store it, each is decided
	// again, the refused ones too (a refusal may rest on a pending event).
	from, cur int
}

func (b *batch) decide(ctx context.Context, i int) {
	h, env := b.h, &b.envs[i]
	o := &b.out[i]
	if env.Command == nil {
		o.Err = &domain.Error{Op: "handle", Kind: domain.ErrInvalid, Problems: []domain.Problem{{Field: "command", Reason: "missing"}}}
		return
	}
	op := env.Command.CommandName()
	var probs domain.Problems
	env.Command.Validate(&probs)
	if err := probs.Err(op); err != nil {
		o.Err = err
		return
	}
	c := h.context(env)
	ref := env.Command.Target(c)
	o.CommandID, o.Command, o.Aggregate = env.ID, op, ref
	b.decideOn(ctx, i, c, ref, false)
}

// decideOn decides command i on the pending state of its target, else on
// the cached state (fresh: on the store's).
func (b *batch) decideOn(ctx context.Context, i int, c domain.Context, ref events.Ref, fresh bool) {
	h, env := b.h, &b.envs[i]
	o := &b.out[i]
	op := env.Command.CommandName()
	digest := domain.CommandDigest(env.Command)
	use := newUse(ref, op, digest)
	// A stored use read ahead (prefetch) is final: answered before any
	// state is read. Otherwise the index is asked after the state is
	// loaded, so that a use stored in between is either seen there or
	// conflicts with the version loaded.
	prior, known := b.stored[env.ID]
	seen := consulted{}
	var s *snapshot
	var pending bool
	if !known {
		s, pending = b.overlay[ref]
		if pending {
			seen[ref] = b.base[ref].version
		} else {
			loaded, err := h.load(ctx, ref, fresh)
			if err != nil {
				o.Err = err
				return
			}
			s = &loaded
			seen[ref] = s.version
		}
		var err error
		if prior, known, err = h.index.get(ctx, env.ID); err != nil {
			o.Err = err
			return
		}
	}
	if known {
		// Known: a retry (a duplicate; sequence 0 for a repeat inside this
		// batch, as its first is not stored yet) or a reuse (refused).
		if err := verdict(op, env.ID, use, prior); err != nil {
			o.Err = err
			return
		}
		if _, mine := b.claims[env.ID]; prior.seq == 0 && !mine {
			o.Err = inFlight(op, env.ID, prior)
			return
		}
		o.Duplicate, o.Sequence, o.Aggregate = true, prior.seq, prior.ref()
		return
	}
	reads, err := h.reads(ctx, env.Command.Reads(c), b.overlay, fresh, seen)
	if err != nil {
		o.Err = err
		return
	}
	err = domain.Authorize(env.Principal, env.Command, s.state, h.deployment(ctx, c, b.overlay, fresh, seen))
	var evs []events.Event
	if err == nil {
		evs, err = env.Command.Decide(c, s.state, reads)
	}
	if errors.Is(err, domain.ErrNotFound) && !fresh && h.cache.isComplete() {
		// The cache may not know an aggregate another engine replica created
		// a moment ago: store what is pending and let Handle ask the store.
		b.flush(ctx)
		res, err := h.Handle(ctx, *env)
		*o = domain.Outcome{Result: res, Err: err}
		b.from = i + 1 // decided on the store: final
		return
	}
	if err != nil && refusal(err) && !fresh {
		// The cache may not have seen what another engine replica wrote a
		// moment ago: refuse only if what was read is current in the store.
		stale, serr := h.stale(ctx, seen)
		switch {
		case serr != nil:
			o.Err = serr
			return
		case stale && pending:
			// The target's pending state rests on a stale base: store
			// what is pending and let Handle decide on the store's state.
			b.flush(ctx)
			res, err := h.Handle(ctx, *env)
			*o = domain.Outcome{Result: res, Err: err}
			b.from = i + 1 // decided on the store: final
			return
		case stale:
			b.decideOn(ctx, i, c, ref, true)
			return
		}
	}
	if err != nil {
		o.Err = opError(op, err)
		return
	}
	if b.events+len(evs) > h.cfg.MaxBatchEvents && b.events > 0 {
		b.flush(ctx)
		b.decide(ctx, i) // decide again on the stored state
		return
	}
	if _, ok := b.overlay[ref]; !ok {
		if b.base == nil {
			b.base = make(map[events.Ref]snapshot)
		}
		b.base[ref] = *s
	}
	if prior, taken := h.index.claim(env.ID, use); taken { // raced by another use
		if err := verdict(op, env.ID, use, prior); err != nil {
			o.Err = err
		} else {
			o.Err = inFlight(op, env.ID, prior)
		}
		return
	}
	if b.claims == nil {
		b.claims = make(map[uuid.UUID]commandUse)
	}
	b.claims[env.ID] = use
	envelopes := h.envelopes(c, *env, digest, ref, evs)
	next := *s
	// Pending events have no sequence yet; the command's claim (sequence 0)
	// makes a repeat of it inside the same batch a duplicate.
	next = next.with(envelopes)
	b.overlay[ref] = &next
	b.writes = append(b.writes, domain.Write{Aggregate: ref, Expected: s.version, Events: envelopes})
	b.owners = append(b.owners, i)
	b.events += len(evs)
}

func (b *batch) flush(ctx context.Context) {
	from, to := b.from, b.cur
	b.from = b.cur
	if len(b.writes) == 0 {
		return // nothing pending: no decision rested on unstored state
	}
	h := b.h
	writes, owners := b.writes, b.owners
	first, err := h.store.Append(ctx, writes)
	base, claims := b.base, b.claims
	b.writes, b.owners, b.events, b.overlay, b.base, b.claims = nil, nil, 0, make(map[events.Ref]*snapshot), nil, nil
	switch {
	case err == nil && first > 0:
		seq := first
		after := make(map[events.Ref]snapshot, len(base))
		for k, w := range writes {
			for j := range w.Events {
				w.Events[j].Sequence = seq
				seq++
			}
			s, ok := after[w.Aggregate]
			if !ok {
				s = base[w.Aggregate]
			}
			after[w.Aggregate] = s.with(w.Events)
			o := &b.out[owners[k]]
			o.Events, o.Sequence = w.Events, w.Events[len(w.Events)-1].Sequence
			h.index.settle(o.CommandID, claims[o.CommandID], o.Sequence)
		}
		for ref, s := range after {
			h.cache.put(ref, s)
		}
	case err == nil || errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrTooLarge):
		// A conflict, a batch stored before whose sequences we do not
		// know (or holding a command ID used elsewhere), or one event over
		// the store's size limit (nothing stored): forget what we thought
		// and handle each command decided since the last flush alone, in
		// order, the refused ones too (a refusal may rest on an event that
		// was pending); those already stored come back as duplicates, a
		// reused ID as its own refusal, and only the command with the
		// oversized event is refused as too large.
		for id, u := range claims {
			h.index.release(id, u)
		}
		for _, w := range writes {
			h.cache.evict(w.Aggregate)
		}
		for i := from; i < to; i++ {
			res, err := h.Handle(ctx, b.envs[i])
			b.out[i] = domain.Outcome{Result: res, Err: err}
		}
	default:
		// The store failed: none of the commands decided since the last
		// flush is decided (a refusal may rest on a pending event); each
		// gets the store's error, to be sent again.
		for id, u := range claims {
			h.index.release(id, u)
		}
		for i := from; i < to; i++ {
			o := &b.out[i]
			if o.Err == nil && o.Duplicate && o.Sequence > 0 {
				continue // applied before, stored: final
			}
			if o.Command == "" && b.envs[i].Command != nil {
				o.Command = b.envs[i].Command.CommandName()
			}
			*o = domain.Outcome{Result: domain.Result{CommandID: o.CommandID, Command: o.Command, Aggregate: o.Aggregate},
				Err: fmt.Errorf("%s: append: %w", o.Command, err)}
		}
	}
}
