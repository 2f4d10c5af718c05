package domain

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	Country        string           // ISO 3166-1 alpha-2 code of the programme, e.g. "KH"
	Now            func() time.Time // clock; required
	NewID          func() uuid.UUID // command IDs for commands sent without one; required
	MaxAttempts    int              // decide/append attempts per command on conflict
	MaxBatchEvents int              // events per atomic append on the bulk path
}

// DefaultHandlerConfig returns the configuration the engine runs with.
func DefaultHandlerConfig() HandlerConfig {
	return HandlerConfig{
		Country:        "KH",
		Now:            time.Now,
		NewID:          func() uuid.UUID { return uuid.Must(uuid.NewV7()) },
		MaxAttempts:    8,
		MaxBatchEvents: 1000,
	}
}

// Validate reports every problem with the configuration at once.
func (c HandlerConfig) Validate() error {
	var p Problems
	if len(c.Country) != 2 {
		p.Add("country", "want an ISO 3166-1 alpha-2 code such as KH, got %q", c.Country)
	}
	if c.Now == nil {
		p.Add("now", "a clock is required")
	}
	if c.NewID == nil {
		p.Add("new_id", "an ID source is required")
	}
	if c.MaxAttempts < 1 {
		p.Add("max_attempts", "must be at least 1, got %d", c.MaxAttempts)
	}
	if c.MaxBatchEvents < 1 || c.MaxBatchEvents > 1000 {
		p.Add("max_batch_events", "must be between 1 and 1000 (the JetStream atomic batch limit), got %d", c.MaxBatchEvents)
	}
	return p.Err("config")
}

// Result says what a command did.
type Result struct {
	CommandID uuid.UUID
	Command   string
	Aggregate events.Ref
	Events    []events.Envelope // the events appended, with sequences; nil for a duplicate
	Duplicate bool              // the command was applied before: nothing was written now
	Sequence  uint64            // stream sequence of the command's last event
}

// Handler turns commands into stored events: it loads the target aggregate
// (from its cache, else from the store), decides, and appends expecting the
// version it decided on. On a conflict it reloads and decides again, up to
// MaxAttempts times. A command whose ID is already in the aggregate's history
// is reported as a duplicate and writes nothing. Safe for concurrent use.
type Handler struct {
	store     EventStore
	cfg       HandlerConfig
	cache     stateCache
	locks     keyedMutex
	conflicts atomic.Int64
}

// Conflicts returns how many appends met a concurrent write and were decided
// again since the handler started.
func (h *Handler) Conflicts() int64 { return h.conflicts.Load() }

// NewHandler returns a Handler over store.
func NewHandler(store EventStore, cfg HandlerConfig) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Handler{store: store, cfg: cfg, cache: stateCache{m: make(map[events.Ref]snapshot)}}, nil
}

// Warm fills the state cache from the whole history, so that later commands
// need no round trip to load an aggregate. Call it before handling commands.
func (h *Handler) Warm(ctx context.Context) error {
	// Fold as the history streams by: only the states are kept, never the
	// events (a 100× history is millions of them).
	pending := make(map[events.Ref]*snapshot)
	get := func(ref events.Ref) *snapshot {
		s, ok := pending[ref]
		if !ok {
			s = &snapshot{state: NewState(ref.Kind)}
			pending[ref] = s
		}
		return s
	}
	apply := func(e events.Envelope) error {
		get(e.Aggregate).apply(e)
		return nil
	}
	var err error
	if q, ok := h.store.(QuarantineReplayer); ok {
		// A message that is not an event on an aggregate's subject is
		// still its version.
		err = q.ReplayQuarantine(ctx, 1, apply, func(m events.Quarantined) error {
			if ref, err := events.ParseSubject(m.Subject); err == nil && ref.Subject() == m.Subject && NewState(ref.Kind) != nil {
				get(ref).version = max(get(ref).version, m.Sequence)
			}
			return nil
		})
	} else {
		err = h.store.Replay(ctx, 1, apply)
	}
	if err != nil {
		return fmt.Errorf("warm state cache: %w", err)
	}
	h.cache.mu.Lock()
	defer h.cache.mu.Unlock()
	for ref, s := range pending {
		if old, ok := h.cache.m[ref]; !ok || old.version < s.version {
			h.cache.m[ref] = *s
		}
	}
	h.cache.complete = true
	return nil
}

// Observe folds events appended by someone else (another engine replica)
// into the cache. Events must come in stream order; older ones are ignored.
func (h *Handler) Observe(e events.Envelope) {
	s, ok := h.cache.get(e.Aggregate)
	if !ok {
		if !h.cache.isComplete() {
			return
		}
		s = snapshot{state: NewState(e.Aggregate.Kind)}
	}
	if e.Sequence <= s.version {
		return
	}
	h.cache.put(e.Aggregate, s.with([]events.Envelope{e}))
}

// context returns the decision context of a command, assigning its ID.
func (h *Handler) context(env *CommandEnvelope) Context {
	if env.ID == uuid.Nil {
		env.ID = h.cfg.NewID()
	}
	return Context{Country: h.cfg.Country, CommandID: env.ID, Now: h.cfg.Now()}
}

// load returns the current snapshot of ref: from the cache, else the store.
// After a conflict, fresh forces a read from the store.
func (h *Handler) load(ctx context.Context, ref events.Ref, fresh bool) (snapshot, error) {
	if !fresh {
		if s, ok := h.cache.get(ref); ok {
			return s, nil
		}
		if h.cache.isComplete() {
			return snapshot{state: NewState(ref.Kind)}, nil
		}
	}
	envs, version, err := h.store.Load(ctx, ref)
	if err != nil {
		return snapshot{}, fmt.Errorf("load %s: %w", ref, err)
	}
	s := fold(ref.Kind, envs)
	s.version = version
	if version > 0 {
		h.cache.evict(ref)
		h.cache.put(ref, s)
	}
	return s, nil
}

func (h *Handler) reads(ctx context.Context, refs []events.Ref, overlay map[events.Ref]*snapshot, fresh bool) (Reads, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	out := make(Reads, len(refs))
	for _, ref := range refs {
		if s, ok := overlay[ref]; ok {
			out[ref] = s.state
			continue
		}
		s, err := h.load(ctx, ref, fresh)
		if err != nil {
			return nil, err
		}
		out[ref] = s.state
	}
	return out, nil
}

// deployment returns a reader of deployment states for authorize, seeing the
// pending state of a batch (overlay) first.
func (h *Handler) deployment(ctx context.Context, c Context, overlay map[events.Ref]*snapshot) func(uuid.UUID) (Deployment, error) {
	return func(id uuid.UUID) (Deployment, error) {
		ref := deploymentRef(c, id)
		if s, ok := overlay[ref]; ok {
			d, _ := s.state.(Deployment)
			return d, nil
		}
		s, err := h.load(ctx, ref, false)
		if err != nil {
			return Deployment{}, err
		}
		d, _ := s.state.(Deployment)
		return d, nil
	}
}

// envelopes wraps decided events for the store.
func (h *Handler) envelopes(c Context, env CommandEnvelope, ref events.Ref, evs []events.Event) []events.Envelope {
	out := make([]events.Envelope, len(evs))
	corr := env.CorrelationID
	if corr == uuid.Nil {
		corr = env.ID
	}
	cause := env.CausationID
	if cause == uuid.Nil {
		cause = env.ID
	}
	actor := env.Actor
	if env.Principal != nil {
		actor = env.Principal.Name // a principal cannot speak as someone else
	}
	recorded := c.Now.UTC()
	if !env.RecordedAt.IsZero() {
		recorded = env.RecordedAt.UTC()
	}
	for i, e := range evs {
		on := events.OccurredOn(e)
		if on.IsZero() {
			on = c.Today()
		}
		out[i] = events.Envelope{
			ID: events.DerivedID(env.ID, "event", i, c.Now), Type: e.EventType(), Schema: e.SchemaVersion(),
			Aggregate: ref, OccurredOn: on, RecordedAt: recorded, Actor: actor,
			CommandID: env.ID, CorrelationID: corr, CausationID: cause, Data: e,
		}
	}
	return out
}

// conflictBackoff waits before deciding again after a conflict: not at all
// after the first, then a random while that grows with the attempts (up to
// about 30 ms), so that writers racing for one aggregate, often on several
// engine replicas, stop colliding in lockstep.
func conflictBackoff(ctx context.Context, attempt int) error {
	if attempt < 2 {
		return nil
	}
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 5)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func opError(op string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Op == "" {
		e2 := *e
		e2.Op = op
		return &e2
	}
	return err
}

// Handle validates, decides and appends one command. It returns a domain
// *Error (ErrInvalid, ErrNotFound, ErrConflict) when the command is refused;
// nothing is written then.
func (h *Handler) Handle(ctx context.Context, env CommandEnvelope) (Result, error) {
	if env.Command == nil {
		return Result{}, &Error{Op: "handle", Kind: ErrInvalid, Problems: []Problem{{Field: "command", Reason: "missing"}}}
	}
	op := env.Command.CommandName()
	var probs Problems
	env.Command.Validate(&probs)
	if err := probs.Err(op); err != nil {
		return Result{}, err
	}
	c := h.context(&env)
	ref := env.Command.Target(c)
	unlock := h.locks.Lock(ref)
	defer unlock()
	res := Result{CommandID: env.ID, Command: op, Aggregate: ref}
	fresh, rechecked := false, false
	for attempt := 1; ; attempt++ {
		s, err := h.load(ctx, ref, fresh)
		readFresh := fresh
		fresh = true // every later attempt follows a conflict or a lost ack
		if err != nil {
			return res, err
		}
		if a, ok := s.find(env.ID); ok {
			res.Duplicate, res.Sequence = true, a.lastSeq
			return res, nil
		}
		reads, err := h.reads(ctx, env.Command.Reads(c), nil, readFresh)
		if err != nil {
			return res, err
		}
		if err := Authorize(env.Principal, env.Command, s.state, h.deployment(ctx, c, nil)); err != nil {
			return res, err
		}
		evs, err := env.Command.Decide(c, s.state, reads)
		if errors.Is(err, ErrNotFound) && !readFresh && !rechecked {
			// The cache may not know an aggregate another engine replica
			// created a moment ago: ask the store before refusing.
			rechecked = true
			continue
		}
		if err != nil {
			return res, opError(op, err)
		}
		envs := h.envelopes(c, env, ref, evs)
		first, err := h.store.Append(ctx, []Write{{Aggregate: ref, Expected: s.version, Events: envs}})
		if errors.Is(err, ErrConflict) {
			h.conflicts.Add(1)
			h.cache.evict(ref)
			if attempt < h.cfg.MaxAttempts {
				if err := conflictBackoff(ctx, attempt); err != nil {
					return res, err
				}
				continue
			}
			return res, opError(op, err)
		}
		if err != nil {
			return res, fmt.Errorf("%s: append: %w", op, err)
		}
		if first == 0 { // stored before (lost ack): reload to learn the sequences
			h.cache.evict(ref)
			continue
		}
		for i := range envs {
			envs[i].Sequence = first + uint64(i)
		}
		h.cache.put(ref, s.with(envs))
		res.Events, res.Sequence = envs, envs[len(envs)-1].Sequence
		return res, nil
	}
}
