package domain

import (
	"context"
	"errors"
	"fmt"

	"github.com/landrelease/landrelease/events"
)

// Outcome is the result of one command of a batch: a Result, or Err.
type Outcome struct {
	Result
	Err error
}

// HandleBatch applies many commands in order, as the bulk paths (exec of a
// file, import, the demo loader) need: each command is decided against the
// state left by the commands before it, and the events of up to
// MaxBatchEvents are appended as one atomic batch, sharing one write to disk.
// A refused command writes nothing and does not stop the others, nor does
// one whose event is over the store's size limit (ErrTooLarge). If a batch
// meets a conflict (another writer touched one of its aggregates), its
// commands are handled again one at a time, so each still applies exactly
// once or gets its own error. progress, if not nil, is called after each
// stored batch with the number of commands done.
func (h *Handler) HandleBatch(ctx context.Context, envs []CommandEnvelope, progress func(done int)) []Outcome {
	out := make([]Outcome, len(envs))
	b := batch{h: h, overlay: make(map[events.Ref]*snapshot), out: out, envs: envs}
	for i := range envs {
		if err := ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		b.decide(ctx, i)
		if b.events >= h.cfg.MaxBatchEvents {
			b.flush(ctx)
			if progress != nil {
				progress(i + 1)
			}
		}
	}
	b.flush(ctx)
	if progress != nil {
		progress(len(envs))
	}
	return out
}

type batch struct {
	h       *Handler
	envs    []CommandEnvelope
	out     []Outcome
	overlay map[events.Ref]*snapshot // state of touched aggregates including pending events
	base    map[events.Ref]snapshot  // state before the pending events
	writes  []Write
	owners  []int // command index of each write
	events  int
}

func (b *batch) decide(ctx context.Context, i int) {
	h, env := b.h, &b.envs[i]
	o := &b.out[i]
	if env.Command == nil {
		o.Err = &Error{Op: "handle", Kind: ErrInvalid, Problems: []Problem{{Field: "command", Reason: "missing"}}}
		return
	}
	op := env.Command.CommandName()
	var probs Problems
	env.Command.Validate(&probs)
	if err := probs.Err(op); err != nil {
		o.Err = err
		return
	}
	c := h.context(env)
	ref := env.Command.Target(c)
	o.CommandID, o.Command, o.Aggregate = env.ID, op, ref
	s, ok := b.overlay[ref]
	if !ok {
		loaded, err := h.load(ctx, ref, false)
		if err != nil {
			o.Err = err
			return
		}
		s = &loaded
	}
	if a, ok := s.find(env.ID); ok {
		o.Duplicate, o.Sequence = true, a.lastSeq
		return
	}
	reads, err := h.reads(ctx, env.Command.Reads(c), b.overlay, false)
	if err != nil {
		o.Err = err
		return
	}
	if err := Authorize(env.Principal, env.Command, s.state, h.deployment(ctx, c, b.overlay)); err != nil {
		o.Err = err
		return
	}
	evs, err := env.Command.Decide(c, s.state, reads)
	if errors.Is(err, ErrNotFound) && h.cache.isComplete() {
		// The cache may not know an aggregate another engine replica created
		// a moment ago: store what is pending and let Handle ask the store.
		b.flush(ctx)
		res, err := h.Handle(ctx, *env)
		*o = Outcome{Result: res, Err: err}
		return
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
	envelopes := h.envelopes(c, *env, ref, evs)
	next := *s
	// Pending events have no sequence yet; the command is remembered with 0
	// so that a repeat of it inside the same batch is a duplicate.
	next = next.with(envelopes)
	b.overlay[ref] = &next
	b.writes = append(b.writes, Write{Aggregate: ref, Expected: s.version, Events: envelopes})
	b.owners = append(b.owners, i)
	b.events += len(evs)
}

func (b *batch) flush(ctx context.Context) {
	if len(b.writes) == 0 {
		return
	}
	h := b.h
	writes, owners := b.writes, b.owners
	first, err := h.store.Append(ctx, writes)
	base := b.base
	b.writes, b.owners, b.events, b.overlay, b.base = nil, nil, 0, make(map[events.Ref]*snapshot), nil
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
		}
		for ref, s := range after {
			h.cache.put(ref, s)
		}
	case err == nil || errors.Is(err, ErrConflict) || errors.Is(err, ErrTooLarge):
		// A conflict, a batch stored before whose sequences we do not
		// know, or one event over the store's size limit (nothing stored):
		// forget what we thought and handle each command alone; those
		// already stored come back as duplicates, and only the command
		// with the oversized event is refused as too large.
		for _, w := range writes {
			h.cache.evict(w.Aggregate)
		}
		for _, i := range owners {
			res, err := h.Handle(ctx, b.envs[i])
			b.out[i] = Outcome{Result: res, Err: err}
		}
	default:
		for _, i := range owners {
			b.out[i].Err = fmt.Errorf("%s: append: %w", b.out[i].Command, err)
		}
	}
}
