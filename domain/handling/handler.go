package handling

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	Country        string           // ISO 3166-1 alpha-2 code of the programme, e.g. "KH"
	Now            func() time.Time // clock; required
	NewID          func() uuid.UUID // command IDs for commands sent without one; required
	MaxAttempts    int              // decide/append attempts per command on conflict
	MaxBatchEvents int              // events per atomic append on the bulk path
	// CacheSize bounds the aggregate states kept in memory (entries; the
	// least recently used go first, and load again from the store).
	CacheSize int
	// PrefillEvents bounds the histories whose aggregate states Warm folds
	// into the cache in the background once its scan is done (0: never),
	// so that the first command on each aggregate after a start does not
	// load it from the store; above it the cache fills on demand.
	PrefillEvents uint64
}

// DefaultPrefillEvents is the largest history Warm folds into the cache by
// default: twice a 10× national history (about 250,000 events, 55,000
// areas: a few seconds of one core, and the states in the cache's compact
// form, about 8 MB, while it runs). A 100×
// history (2.5 million events) is not prefilled: its server starts with
// the read model to catch up, and every state would cost a quarter of a
// GiB at once.
const DefaultPrefillEvents = 500_000

// DefaultCacheSize is the number of aggregate states the engine keeps by
// default: every aggregate of a 100× history (550,000 areas). An area's
// state is kept in its compact form (about 400 bytes with its cache entry,
// measured on a 100× exec), so a full cache takes about 250 MiB of heap.
// Below it, each command on an aggregate evicted since loads it from the
// store again: a 100× exec with a cache of 100,000 states (a fifth of its
// areas) ran for 53 minutes instead of 3.
const DefaultCacheSize = 600_000

// CacheSizeEnv names the environment variable that overrides
// DefaultCacheSize. The handler reads no environment itself: cmd reads it
// for --cache-size's default, and the spine's test binaries read it in
// TestMain and call SetDefaultCacheSize, so that CI runs them with a cache
// of 4 states.
const CacheSizeEnv = "LANDRELEASE_CACHE_SIZE"

var defaultCacheSize atomic.Int64

func init() { defaultCacheSize.Store(DefaultCacheSize) }

// SetDefaultCacheSize sets the bound DefaultHandlerConfig gives (n < 1
// restores DefaultCacheSize).
func SetDefaultCacheSize(n int) {
	if n < 1 {
		n = DefaultCacheSize
	}
	defaultCacheSize.Store(int64(n))
}

// CacheSizeFrom parses the value of CacheSizeEnv as getenv gives it: ok
// is false when it is unset or not a positive number.
func CacheSizeFrom(getenv func(string) string) (n int, ok bool) {
	v, err := strconv.Atoi(getenv(CacheSizeEnv))
	if err != nil || v < 1 {
		return 0, false
	}
	return v, true
}

// DefaultHandlerConfig returns the configuration the engine runs with.
func DefaultHandlerConfig() HandlerConfig {
	return HandlerConfig{
		Country:        "KH",
		Now:            time.Now,
		NewID:          func() uuid.UUID { return uuid.Must(uuid.NewV7()) },
		MaxAttempts:    8,
		MaxBatchEvents: 1000,
		CacheSize:      int(defaultCacheSize.Load()),
		PrefillEvents:  DefaultPrefillEvents,
	}
}

// Validate reports every problem with the configuration at once.
func (c HandlerConfig) Validate() error {
	var p domain.Problems
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
	if c.CacheSize < 1 {
		p.Add("cache_size", "must be at least 1 aggregate, got %d", c.CacheSize)
	}
	return p.Err("config")
}

// Handler turns commands into stored events: it loads the target aggregate
// (from its cache, else from the store), decides, and appends expecting the
// version it decided on. On a conflict it reloads and decides again, up to
// MaxAttempts times. A refusal decided on cached state is decided again on
// the state read from the store before it is returned, so a cache that has
// not yet seen another replica's write never refuses wrongly.
//
// The states of at most HandlerConfig.CacheSize aggregates stay in memory,
// the least recently used evicted first; a miss loads the aggregate from the
// store, and the store's expected-version check is the guard against a
// stale state.
//
// A command ID names one command. A command whose ID is in the history with
// the same name, payload (domain.CommandDigest) and aggregate is reported as a
// duplicate and writes nothing; with another name, payload or aggregate it
// is refused at once with domain.ErrConflict (cause ErrCommandIDReused), naming
// the first use. The handler keeps a compact index of the command IDs of
// the history (from Warm's scan, Observe, its loads and its appends; see
// commandIndex) and relies on the store's deduplication of event IDs for a
// use it has not seen yet (another replica's, a moment ago). Safe for
// concurrent use.
type Handler struct {
	store     domain.EventStore
	cfg       HandlerConfig
	cache     stateCache
	index     commandIndex
	locks     keyedMutex
	conflicts atomic.Int64
	watermark atomic.Uint64                 // last sequence folded by Warm
	snapshots IndexStore                    // nil: no index snapshot
	warmed    atomic.Bool                   // Warm ran: the index covers the history
	warmDone  atomic.Pointer[chan struct{}] // closed when Warm's scan and snapshot are done
}

// Conflicts returns how many appends met a concurrent write and were decided
// again since the handler started.
func (h *Handler) Conflicts() int64 { return h.conflicts.Load() }

// NewHandler returns a Handler over store.
func NewHandler(store domain.EventStore, cfg HandlerConfig) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key := newHashKey()
	h := &Handler{store: store, cfg: cfg, cache: newStateCache(cfg.CacheSize, key), index: newCommandIndex(key)}
	h.index.fetch = h.eventAt
	return h, nil
}

// Watermark returns the store's last sequence when Warm ran (0 before).
func (h *Handler) Watermark() uint64 { return h.watermark.Load() }

// Observe folds an event appended by anyone (another engine replica, or
// this handler itself) into the cache and the command index, so that role
// checks, tasking checks and domain rules see what another replica wrote a
// moment ago, and a command ID it used is known here. Events must come in
// stream order from Watermark()+1; those already known are ignored. Safe
// for concurrent use with Handle.
func (h *Handler) Observe(e events.Envelope) {
	h.index.observe(e)
	h.cache.observe(e)
}

// context returns the decision context of a command, assigning its ID.
func (h *Handler) context(env *domain.CommandEnvelope) domain.Context {
	if env.ID == uuid.Nil {
		env.ID = h.cfg.NewID()
	}
	return domain.Context{Country: h.cfg.Country, CommandID: env.ID, Now: h.cfg.Now()}
}

// load returns the current snapshot of ref: from the cache, else the store.
// After a conflict, fresh forces a read from the store.
func (h *Handler) load(ctx context.Context, ref events.Ref, fresh bool) (snapshot, error) {
	if !fresh {
		if s, ok := h.cache.get(ref); ok {
			return s, nil
		}
		if h.cache.knownNew(ref) {
			return snapshot{state: domain.NewState(ref.Kind)}, nil
		}
	}
	envs, version, err := h.store.Load(ctx, ref)
	if err != nil {
		return snapshot{}, fmt.Errorf("load %s: %w", ref, err)
	}
	for _, e := range envs {
		h.index.observe(e)
	}
	s := fold(ref.Kind, envs)
	s.version = version
	if version > 0 {
		h.cache.evict(ref)
		h.cache.put(ref, s)
	}
	return s, nil
}

// consulted records the version of every aggregate a decision read from
// the cache or the store (not from a batch's pending state), so that a
// refusal can be checked against the store.
type consulted map[events.Ref]uint64

func (h *Handler) reads(ctx context.Context, refs []events.Ref, overlay map[events.Ref]*snapshot, fresh bool, seen consulted) (domain.Reads, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	out := make(domain.Reads, len(refs))
	for _, ref := range refs {
		if s, ok := overlay[ref]; ok {
			out[ref] = s.state
			continue
		}
		s, err := h.load(ctx, ref, fresh)
		if err != nil {
			return nil, err
		}
		seen[ref] = s.version
		out[ref] = s.state
	}
	return out, nil
}

// deployment returns a reader of deployment states for authorize, seeing the
// pending state of a batch (overlay) first; fresh reads the store.
func (h *Handler) deployment(ctx context.Context, c domain.Context, overlay map[events.Ref]*snapshot, fresh bool, seen consulted) func(uuid.UUID) (domain.Deployment, error) {
	return func(id uuid.UUID) (domain.Deployment, error) {
		ref := events.Ref{Country: c.Country, Kind: events.KindDeployment, ID: id}
		if s, ok := overlay[ref]; ok {
			d, _ := s.state.(domain.Deployment)
			return d, nil
		}
		s, err := h.load(ctx, ref, fresh)
		if err != nil {
			return domain.Deployment{}, err
		}
		seen[ref] = s.version
		d, _ := s.state.(domain.Deployment)
		return d, nil
	}
}

// versioner is implemented by event stores that tell an aggregate's version
// (the sequence of its last event, 0 if it has none) with one read: the
// JetStream store (a direct get of the subject's last message), the
// in-memory store, and GroupCommit over either.
type versioner interface {
	Version(ctx context.Context, ref events.Ref) (uint64, error)
}

// errNoVersion: the store cannot tell a version without loading.
var errNoVersion = errors.New("the store tells no version")

// stale reports whether any aggregate a decision consulted has changed in
// the store since it was cached (true as well when the store cannot tell).
// It is asked before a refusal only, so an accepted command pays nothing.
func (h *Handler) stale(ctx context.Context, seen consulted) (bool, error) {
	v, ok := h.store.(versioner)
	if !ok {
		return true, nil
	}
	for ref, cached := range seen {
		now, err := v.Version(ctx, ref)
		if errors.Is(err, errNoVersion) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("check %s: %w", ref, err)
		}
		if now != cached {
			return true, nil
		}
	}
	return false, nil
}

// envelopes wraps decided events for the store.
func (h *Handler) envelopes(c domain.Context, env domain.CommandEnvelope, digest string, ref events.Ref, evs []events.Event) []events.Envelope {
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
		// Event IDs depend on the command ID alone, also when it is not a
		// UUIDv7 (whose time DerivedID would otherwise take from the clock):
		// a retry, or a reuse on another aggregate, then carries the same
		// Nats-Msg-Id and the store's deduplication sees it.
		if on.IsZero() {
			on = c.Today()
		}
		out[i] = events.Envelope{
			ID: events.DerivedID(env.ID, "event", i, time.UnixMilli(0)), Type: e.EventType(), Schema: e.SchemaVersion(),
			Aggregate: ref, OccurredOn: on, RecordedAt: recorded, Actor: actor,
			CommandID: env.ID, CorrelationID: corr, CausationID: cause, Data: e,
			Command: env.Command.CommandName(), CommandDigest: digest,
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
	var e *domain.Error
	if errors.As(err, &e) && e.Op == "" {
		e2 := *e
		e2.Op = op
		return &e2
	}
	return err
}

// inFlight refuses a command whose ID another command of this engine is
// appending right now (a bulk batch): its outcome is not known yet.
func inFlight(op string, id uuid.UUID, u commandUse) error {
	return &domain.Error{Op: op, Kind: domain.ErrConflict, Problems: []domain.Problem{{Field: "command_id", Reason: fmt.Sprintf(
		"command ID %s is being applied right now by %s; send it again to learn its outcome", id, u.describe())}}}
}

// refusal reports whether err is a domain refusal (rather than a failure to
// read the store), which is worth deciding again on fresh state.
func refusal(err error) bool {
	var e *domain.Error
	return errors.As(err, &e)
}

// Handle validates, decides and appends one command. It returns a domain
// *domain.Error (domain.ErrInvalid, domain.ErrNotFound, domain.ErrConflict, ErrForbidden) when the
// command is refused; nothing is written then.
func (h *Handler) Handle(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error) {
	if env.Command == nil {
		return domain.Result{}, &domain.Error{Op: "handle", Kind: domain.ErrInvalid, Problems: []domain.Problem{{Field: "command", Reason: "missing"}}}
	}
	op := env.Command.CommandName()
	var probs domain.Problems
	env.Command.Validate(&probs)
	if err := probs.Err(op); err != nil {
		return domain.Result{}, err
	}
	c := h.context(&env)
	ref := env.Command.Target(c)
	unlock := h.locks.Lock(ref)
	defer unlock()
	res := domain.Result{CommandID: env.ID, Command: op, Aggregate: ref}
	digest := domain.CommandDigest(env.Command)
	use := newUse(ref, op, digest)
	claimed, stored := false, false
	defer func() {
		if claimed && !stored {
			h.index.release(env.ID, use)
		}
	}()
	// known answers a command whose ID is in the index: a duplicate, or a
	// refusal; ok is false when the ID is free (or claimed by this call).
	known := func() (ok bool, err error) {
		prior, found, err := h.index.get(ctx, env.ID)
		if err != nil {
			return true, err
		}
		if !found || (claimed && prior.seq == 0) {
			return false, nil
		}
		if err := verdict(op, env.ID, use, prior); err != nil {
			return true, err
		}
		if prior.seq == 0 {
			return true, inFlight(op, env.ID, prior)
		}
		stored = true
		res.Duplicate, res.Sequence, res.Aggregate = true, prior.seq, prior.ref()
		return true, nil
	}
	fresh, rechecked := false, false
	for attempt := 1; ; attempt++ {
		s, err := h.load(ctx, ref, fresh)
		readFresh := fresh
		fresh = true // every later attempt follows a conflict, a lost ack or a refusal
		if err != nil {
			return res, err
		}
		if ok, err := known(); ok {
			return res, err
		}
		seen := consulted{ref: s.version}
		reads, err := h.reads(ctx, env.Command.Reads(c), nil, readFresh, seen)
		if err != nil {
			return res, err
		}
		err = domain.Authorize(env.Principal, env.Command, s.state, h.deployment(ctx, c, nil, readFresh, seen))
		var evs []events.Event
		if err == nil {
			evs, err = env.Command.Decide(c, s.state, reads)
		}
		if err != nil && refusal(err) && !readFresh && !rechecked {
			// The cache may not have seen yet what another engine replica
			// wrote a moment ago (an area registered, a task assigned):
			// refuse only on the state in the store.
			rechecked = true
			stale, serr := h.stale(ctx, seen)
			if serr != nil {
				return res, serr
			}
			if stale {
				continue
			}
		}
		if err != nil {
			return res, opError(op, err)
		}
		if !claimed {
			if _, taken := h.index.claim(env.ID, use); taken {
				// Another use of the ID got in since known() looked.
				if ok, err := known(); ok {
					return res, err
				}
			}
			claimed = true
		}
		envs := h.envelopes(c, env, digest, ref, evs)
		first, err := h.store.Append(ctx, []domain.Write{{Aggregate: ref, Expected: s.version, Events: envs}})
		if errors.Is(err, ErrCommandIDReused) {
			return res, opError(op, err) // the store holds the ID on another aggregate
		}
		if errors.Is(err, domain.ErrConflict) {
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
		if first == 0 {
			// The store holds these event IDs already: a lost ack of our
			// own append (then they are on ref), or the command ID used on
			// another aggregate (then they are not), which no retry fixes.
			h.cache.evict(ref)
			if _, err := h.load(ctx, ref, true); err != nil {
				return res, err
			}
			u, ok, err := h.index.stored(ctx, env.ID)
			if err != nil {
				return res, err
			}
			if ok && u.sameAggregate(use) && u.seq > 0 {
				stored = true
				res.Duplicate, res.Sequence = true, u.seq
				return res, nil
			}
			return res, reusedError(op, fmt.Sprintf("command ID %s is already stored with another aggregate's events (the store holds its event IDs); send this command with a new ID", env.ID))
		}
		for i := range envs {
			envs[i].Sequence = first + uint64(i)
		}
		stored = true
		h.index.settle(env.ID, use, envs[len(envs)-1].Sequence)
		h.cache.put(ref, s.with(envs))
		res.Events, res.Sequence = envs, envs[len(envs)-1].Sequence
		return res, nil
	}
}
