package handling

import (
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// GroupCommit is an domain.EventStore that lets commands arriving together share
// one atomic append, and so one write to disk: while one append is in
// flight, the appends that arrive queue up, and the next append takes all of
// them (on distinct aggregates, up to GroupCommitConfig.MaxEvents events) as one batch, each
// write keeping its own expected-version check. A lone append on an idle
// store goes out at once; grouping never waits for company.
//
// If a grouped batch is refused (one write's check failed) or its outcome is
// unclear, every write of it is appended again alone, so only the stale one
// gets domain.ErrConflict and nothing is lost or doubled (event IDs make the retry
// idempotent). Load, Replay and LastSequence go straight to the store.
// Safe for concurrent use; Close stops the appender.
type GroupCommit struct {
	store     domain.EventStore
	maxEvents int
	minBatch  int // groups with fewer writes go as concurrent single appends
	reqs      chan *groupReq
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu     sync.Mutex
	groups int64 // appends sent to the store
	writes int64 // writes carried by them
}

type groupReq struct {
	ctx    context.Context
	writes []domain.Write
	events int
	first  uint64
	err    error
	done   chan struct{}
}

var _ domain.EventStore = (*GroupCommit)(nil)

// DefaultMinBatch is the smallest group sent as one atomic batch by
// default; smaller groups go as concurrent single appends.
const DefaultMinBatch = 24

// GroupCommitConfig configures a GroupCommit.
type GroupCommitConfig struct {
	// MaxEvents bounds the events of one grouped append: 1 to 1000, the
	// JetStream atomic batch limit.
	MaxEvents int
	// MinBatch is the smallest group sent as one atomic batch (1: every
	// group); smaller groups go as concurrent single appends.
	MinBatch int
}

// DefaultGroupCommitConfig returns the configuration the engine runs with.
func DefaultGroupCommitConfig() GroupCommitConfig {
	return GroupCommitConfig{MaxEvents: 1000, MinBatch: DefaultMinBatch}
}

// Validate reports every problem with the configuration at once.
func (c GroupCommitConfig) Validate() error {
	var p domain.Problems
	if c.MaxEvents < 1 || c.MaxEvents > 1000 {
		p.Add("max_events", "must be between 1 and 1000 (the JetStream atomic batch limit), got %d", c.MaxEvents)
	}
	if c.MinBatch < 1 {
		p.Add("min_batch", "must be at least 1 (1: every group is one atomic batch), got %d", c.MinBatch)
	}
	return p.Err("group commit config")
}

// NewGroupCommit starts the appender of store, or reports what is wrong
// with cfg.
func NewGroupCommit(store domain.EventStore, cfg GroupCommitConfig) (*GroupCommit, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &GroupCommit{store: store, maxEvents: cfg.MaxEvents, minBatch: cfg.MinBatch, reqs: make(chan *groupReq, 4096),
		quit: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g, nil
}

// Close stops the appender after the appends in flight; later Appends fail.
func (g *GroupCommit) Close() {
	g.closeOnce.Do(func() { close(g.quit) })
	<-g.done
}

// Stats returns how many store appends carried how many writes.
func (g *GroupCommit) Stats() (appends, writes int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.groups, g.writes
}

var errClosed = errors.New("group commit: closed")

// Append queues the writes for the next group and waits for its outcome.
func (g *GroupCommit) Append(ctx context.Context, writes []domain.Write) (uint64, error) {
	r := &groupReq{ctx: ctx, writes: writes, done: make(chan struct{})}
	for _, w := range writes {
		r.events += len(w.Events)
	}
	select {
	case g.reqs <- r:
	case <-g.quit:
		return 0, errClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	// Once queued the request is always answered: waiting for the answer
	// (not the context) is what keeps "ok" true only after the store said so.
	<-r.done
	return r.first, r.err
}

func (g *GroupCommit) run() {
	defer close(g.done)
	var carry *groupReq
	for {
		var r *groupReq
		if carry != nil {
			r, carry = carry, nil
		} else {
			select {
			case r = <-g.reqs:
			case <-g.quit:
				g.drain()
				return
			}
		}
		group := []*groupReq{r}
		n := r.events
		touched := refsOf(r.writes, nil)
	collect:
		for n < g.maxEvents {
			select {
			case next := <-g.reqs:
				if n+next.events > g.maxEvents || overlaps(next.writes, touched) {
					carry = next
					break collect
				}
				group = append(group, next)
				n += next.events
				touched = refsOf(next.writes, touched)
			default:
				break collect
			}
		}
		g.commit(group)
	}
}

// drain answers the requests still queued at Close.
func (g *GroupCommit) drain() {
	for {
		select {
		case r := <-g.reqs:
			r.err = errClosed
			close(r.done)
		default:
			return
		}
	}
}

func refsOf(writes []domain.Write, into map[events.Ref]bool) map[events.Ref]bool {
	if into == nil {
		into = make(map[events.Ref]bool, len(writes))
	}
	for _, w := range writes {
		into[w.Aggregate] = true
	}
	return into
}

func overlaps(writes []domain.Write, touched map[events.Ref]bool) bool {
	for _, w := range writes {
		if touched[w.Aggregate] {
			return true
		}
	}
	return false
}

func (g *GroupCommit) count(writes int) {
	g.mu.Lock()
	g.groups++
	g.writes += int64(writes)
	g.mu.Unlock()
}

func (g *GroupCommit) commit(group []*groupReq) {
	if len(group) == 1 {
		r := group[0]
		r.first, r.err = g.store.Append(r.ctx, r.writes)
		g.count(len(r.writes))
		close(r.done)
		return
	}
	if len(group) < g.minBatch {
		// Small groups: an atomic batch costs the store more than a few
		// single appends in flight together (measured on nats-server 2.15,
		// where each atomic batch stages a file store of its own), and each
		// write gets its own answer at once.
		var wg sync.WaitGroup
		for _, r := range group {
			wg.Add(1)
			go func(r *groupReq) {
				defer wg.Done()
				r.first, r.err = g.store.Append(context.WithoutCancel(r.ctx), r.writes)
				g.count(len(r.writes))
				close(r.done)
			}(r)
		}
		wg.Wait()
		return
	}
	var all []domain.Write
	for _, r := range group {
		all = append(all, r.writes...)
	}
	// The group is stored on behalf of clients with their own contexts; it
	// must not fail because one of them gave up.
	first, err := g.store.Append(context.WithoutCancel(group[0].ctx), all)
	g.count(len(all))
	if err == nil && first > 0 {
		seq := first
		for _, r := range group {
			r.first = seq
			seq += uint64(r.events)
			close(r.done)
		}
		return
	}
	if errors.Is(err, domain.ErrUnavailable) {
		// The store cannot be reached: every write would wait out the same
		// outage one after another. Each client is told at once; the batch
		// may have been stored before the connection went, which a retry
		// with the same command ID finds out (it comes back a duplicate).
		for _, r := range group {
			r.err = err
			close(r.done)
		}
		return
	}
	// Refused or unclear: each write alone, so each gets its own answer.
	for _, r := range group {
		r.first, r.err = g.store.Append(context.WithoutCancel(r.ctx), r.writes)
		g.count(len(r.writes))
		close(r.done)
	}
}

// Load reads from the underlying store.
func (g *GroupCommit) Load(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error) {
	return g.store.Load(ctx, ref)
}

// Replay reads from the underlying store.
func (g *GroupCommit) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	return g.store.Replay(ctx, from, fn)
}

// ReplayQuarantine reads from the underlying store, reporting the messages
// it skips when that store does (see domain.QuarantineReplayer).
func (g *GroupCommit) ReplayQuarantine(ctx context.Context, from uint64, fn func(events.Envelope) error, skipped func(events.Quarantined) error) error {
	if q, ok := g.store.(domain.QuarantineReplayer); ok {
		return q.ReplayQuarantine(ctx, from, fn, skipped)
	}
	return g.store.Replay(ctx, from, fn)
}

// LastSequence reads from the underlying store.
func (g *GroupCommit) LastSequence(ctx context.Context) (uint64, error) {
	return g.store.LastSequence(ctx)
}

// Version asks the underlying store for an aggregate's version, when it can
// tell one with a single read.
func (g *GroupCommit) Version(ctx context.Context, ref events.Ref) (uint64, error) {
	if v, ok := g.store.(versioner); ok {
		return v.Version(ctx, ref)
	}
	return 0, errNoVersion
}

// ScanCommands scans the underlying store (see CommandScanner), or replays
// it when it cannot.
func (g *GroupCommit) ScanCommands(ctx context.Context, from, upTo uint64, fn func(seq uint64, subject string, commandID uuid.UUID) error) error {
	if s, ok := g.store.(CommandScanner); ok {
		return s.ScanCommands(ctx, from, upTo, fn)
	}
	err := g.ReplayQuarantine(ctx, from, func(e events.Envelope) error {
		if upTo > 0 && e.Sequence > upTo {
			return errFound
		}
		return fn(e.Sequence, e.Aggregate.Subject(), e.CommandID)
	}, func(m events.Quarantined) error {
		if upTo > 0 && m.Sequence > upTo {
			return errFound
		}
		return fn(m.Sequence, m.Subject, uuid.Nil)
	})
	if errors.Is(err, errFound) {
		return nil
	}
	return err
}

// EventAt reads one event of the underlying store (see EventReader).
func (g *GroupCommit) EventAt(ctx context.Context, seq uint64) (events.Envelope, bool, error) {
	h := Handler{store: g.store}
	return h.eventAt(ctx, seq)
}
