package handling

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// GroupCommit is an domain.EventStore that pipelines appends and lets
// commands arriving together share one atomic append.
//
// Appends on distinct aggregates go to the store concurrently, over the one
// connection, without waiting for each other's acknowledgements (up to
// GroupCommitConfig.MaxInFlight at a time): each write is its own publish
// with its own expected-version check, so each gets its own ack or conflict.
// An append touching an aggregate that another append has in flight waits
// for that one's answer (at most one append per aggregate is in flight), and
// is then checked against the version that answer stored.
//
// When at least GroupCommitConfig.MinBatch appends are waiting for a free
// slot together (on distinct aggregates), they go as one atomic batch of up
// to MaxEvents events, which takes one slot: on nats-server 2.15 an R1
// atomic batch stages a file store of its own and costs about as much as
// ten single publishes, so it pays only for large groups, and those form
// only when the slots are full. A lone append on an idle store goes out at
// once; nothing ever waits for company.
//
// If a grouped batch is refused (one write's check failed) or its outcome is
// unclear, every write of it is appended again alone, so only the stale one
// gets domain.ErrConflict and nothing is lost or doubled (event IDs make the retry
// idempotent). Load, Replay and LastSequence go straight to the store.
// Safe for concurrent use; Close stops the appender.
type GroupCommit struct {
	store       domain.EventStore
	maxEvents   int
	minBatch    int // smallest group sent as one atomic batch
	maxInFlight int // appends (singles or batches) in flight at once
	reqs        chan *groupReq
	finished    chan []*groupReq // appends answered, back to the appender
	quit        chan struct{}
	done        chan struct{}
	closeOnce   sync.Once

	groups atomic.Int64 // appends sent to the store
	writes atomic.Int64 // writes carried by them
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
// default; smaller groups go as concurrent single appends. Measured on
// nats-server 2.15 with SyncAlways on a virtual disk: an atomic batch of 1
// to 16 events takes 4–8 ms, one synchronous publish ~0.4 ms, so a batch
// pays above about 20 writes.
const DefaultMinBatch = 24

// DefaultMaxInFlight is how many appends the engine keeps in flight at
// once by default: more than the clients a programme's server sees at
// once, so that below it every command goes out at once, and few enough
// that under heavier load the waiting ones form atomic batches.
const DefaultMaxInFlight = 32

// GroupCommitConfig configures a GroupCommit.
type GroupCommitConfig struct {
	// MaxEvents bounds the events of one grouped append: 1 to 1000, the
	// JetStream atomic batch limit.
	MaxEvents int
	// MinBatch is the smallest group sent as one atomic batch (1: every
	// group of waiting appends); smaller groups go as concurrent single
	// appends.
	MinBatch int
	// MaxInFlight bounds the appends in flight at once (1: one at a time,
	// no pipelining); appends beyond it wait, and may then form a batch.
	MaxInFlight int
}

// DefaultGroupCommitConfig returns the configuration the engine runs with.
func DefaultGroupCommitConfig() GroupCommitConfig {
	return GroupCommitConfig{MaxEvents: 1000, MinBatch: DefaultMinBatch, MaxInFlight: DefaultMaxInFlight}
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
	if c.MaxInFlight < 1 || c.MaxInFlight > 4096 {
		p.Add("max_in_flight", "must be between 1 (no pipelining) and 4096, got %d", c.MaxInFlight)
	}
	return p.Err("group commit config")
}

// NewGroupCommit starts the appender of store, or reports what is wrong
// with cfg.
func NewGroupCommit(store domain.EventStore, cfg GroupCommitConfig) (*GroupCommit, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &GroupCommit{store: store, maxEvents: cfg.MaxEvents, minBatch: cfg.MinBatch, maxInFlight: cfg.MaxInFlight,
		reqs: make(chan *groupReq, 4096), finished: make(chan []*groupReq, cfg.MaxInFlight),
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
	return g.groups.Load(), g.writes.Load()
}

var errClosed = errors.New("group commit: closed")

// Append queues the writes and waits for their outcome.
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
	// A request that slipped into the queue as Close stopped the appender
	// (the select above may take the queue although quit is closed) is
	// answered by no one: once the appender is gone, every append it sent
	// has been answered, so one not answered was never sent.
	select {
	case <-r.done:
	case <-g.done:
		select {
		case <-r.done:
		default:
			return 0, errClosed
		}
	}
	return r.first, r.err
}

// run is the appender: it takes the queued requests, sends those whose
// aggregates have no append in flight (singles while there are free slots,
// a batch when enough wait together), and frees the aggregates of the
// appends answered. Only this goroutine touches pending, busy and inFlight.
func (g *GroupCommit) run() {
	defer close(g.done)
	var pending []*groupReq           // queued, not yet sent, in arrival order
	busy := map[events.Ref]bool{}     // aggregates with an append in flight
	inFlight := 0                     // appends in flight
	release := func(rs []*groupReq) { // an append was answered
		inFlight--
		for _, r := range rs {
			for _, w := range r.writes {
				delete(busy, w.Aggregate)
			}
		}
	}
	for {
		select {
		case r := <-g.reqs:
			pending = append(pending, r)
		case rs := <-g.finished:
			release(rs)
		case <-g.quit:
			for _, r := range pending {
				r.err = errClosed
				close(r.done)
			}
			g.drain()
			for ; inFlight > 0; inFlight-- {
				<-g.finished
			}
			return
		}
		// Take whatever else is ready before deciding, so that requests
		// that arrived together are seen together.
	more:
		for {
			select {
			case r := <-g.reqs:
				pending = append(pending, r)
			case rs := <-g.finished:
				release(rs)
			default:
				break more
			}
		}
		pending, inFlight = g.dispatch(pending, busy, inFlight)
	}
}

// dispatch sends what of pending can go now and returns what is left and
// the appends in flight.
func (g *GroupCommit) dispatch(pending []*groupReq, busy map[events.Ref]bool, inFlight int) ([]*groupReq, int) {
	for len(pending) > 0 && inFlight < g.maxInFlight {
		// The requests free to go: their aggregates have nothing in
		// flight and no earlier request waiting, and they do not overlap
		// each other (so each aggregate's requests go in arrival order).
		var ready []int
		touched := map[events.Ref]bool{}
		n := 0
		for i, r := range pending {
			if overlaps(r.writes, busy) || overlaps(r.writes, touched) {
				touched = refsOf(r.writes, touched) // later ones on these wait behind it
				continue
			}
			if len(ready) > 0 && n+r.events > g.maxEvents {
				break
			}
			ready = append(ready, i)
			touched = refsOf(r.writes, touched)
			n += r.events
		}
		if len(ready) == 0 {
			break
		}
		take := len(ready)
		if take < g.minBatch {
			take = 1 // too few to pay for a batch: a single append
		}
		group := make([]*groupReq, 0, take)
		for _, i := range ready[:take] {
			group = append(group, pending[i])
			for _, w := range pending[i].writes {
				busy[w.Aggregate] = true
			}
			pending[i] = nil
		}
		pending = slices.DeleteFunc(pending, func(r *groupReq) bool { return r == nil })
		inFlight++
		go func() {
			g.commit(group)
			g.finished <- group
		}()
	}
	return pending, inFlight
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
	g.groups.Add(1)
	g.writes.Add(int64(writes))
}

// commit sends one group: a single request as it is, more as one atomic
// batch.
func (g *GroupCommit) commit(group []*groupReq) {
	if len(group) == 1 {
		r := group[0]
		r.first, r.err = g.store.Append(r.ctx, r.writes)
		g.count(len(r.writes))
		close(r.done)
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
	// Refused or unclear: each write alone (concurrently: they are on
	// distinct aggregates), so each gets its own answer.
	var wg sync.WaitGroup
	for _, r := range group {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.first, r.err = g.store.Append(context.WithoutCancel(r.ctx), r.writes)
			g.count(len(r.writes))
			close(r.done)
		}()
	}
	wg.Wait()
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
