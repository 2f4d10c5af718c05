package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/landrelease/landrelease/events"
)

// State is what a Store gives back to restore the fold after a restart.
type State struct {
	Areas       []AreaRow
	Deployments []DeploymentRow
	WorkPlans   []WorkPlanRow
	Stats       []StatRow
	Pledges     []PledgeRow
	Shortfalls  []ShortfallRow
	Deadlines   []DeadlineRow
	AreaYears   []AreaYear
	YearEvents  []YearEventsRow
	Sequence    uint64 // the checkpoint
	Version     int    // NationalVersion of the fold that wrote it; 0 if empty
	Quarantined int    // how many messages the store's quarantine list holds
}

// Store keeps the National fold's projections (adapters/sqlstore implements
// it for SQLite and PostgreSQL).
type Store interface {
	// Load returns the stored state (Version 0 and no rows when empty;
	// Version −1 when the projections' checkpoints disagree, which makes the
	// runner rebuild).
	Load(ctx context.Context) (State, error)
	// Commit writes the changes and the checkpoint of every projection in
	// one transaction: all of it or none. Changes that do not move the
	// checkpoint forward are refused (a retried commit would otherwise add
	// the statistics twice).
	Commit(ctx context.Context, c Changes) error
	// Rebuild creates empty shadow tables, lets fill write them through
	// commit (each call one transaction), and when fill returns nil swaps
	// them in for the live tables in one transaction, so readers never see
	// half a rebuild. On error the live tables are untouched.
	Rebuild(ctx context.Context, fill func(commit func(Changes) error) error) error
}

// Source is the event history (domain.EventStore satisfies Replay; the
// JetStream store also Follows).
type Source interface {
	// Replay calls fn for every event from sequence from up to the last one
	// stored when called.
	Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error
}

// Follower is a Source that can also wait for new events.
type Follower interface {
	// Follow calls fn for every event from sequence from on, in order, and
	// keeps waiting for new ones until ctx ends. pending is how many more
	// events the server already holds after this one.
	Follow(ctx context.Context, from uint64, fn func(e events.Envelope, pending uint64) error) error
}

// Runner feeds events to the National fold and commits its changes with the
// checkpoint. It never splits an atomic append across transactions. One
// goroutine runs it; others may read the fold through View meanwhile.
type Runner struct {
	store    Store
	mu       sync.RWMutex // guards fold while the runner runs and View reads
	fold     *National
	maxBatch int
	loaded   bool
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	// MaxBatch is how many events the runner folds at most between two
	// commits (more when an atomic append is longer): at least 1.
	MaxBatch int
}

// DefaultRunnerConfig returns a configuration that commits every 10,000
// events at most.
func DefaultRunnerConfig() RunnerConfig { return RunnerConfig{MaxBatch: 10_000} }

// Validate reports every problem with the configuration at once.
func (c RunnerConfig) Validate() error {
	var errs []error
	if c.MaxBatch < 1 {
		errs = append(errs, fmt.Errorf("max_batch: must be at least 1, got %d", c.MaxBatch))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("projection runner config: %w", err)
	}
	return nil
}

// NewRunner returns a runner that commits to store as cfg says, or what is
// wrong with cfg.
func NewRunner(store Store, cfg RunnerConfig) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Runner{store: store, maxBatch: cfg.MaxBatch}, nil
}

// Fold returns the runner's in-memory state. Not safe to use while the
// runner runs: use View then.
func (r *Runner) Fold() *National { return r.fold }

// View calls fn with the fold while no event is being applied, so fn sees
// a state between two events (and, after a commit, the committed one). fn
// must not keep the fold or change it; it is nil before the first load.
func (r *Runner) View(fn func(n *National)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn(r.fold)
}

// Sequence returns the last sequence applied to the fold.
func (r *Runner) Sequence() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.fold == nil {
		return 0
	}
	return r.fold.Sequence
}

// apply folds one event under the lock that View waits for.
func (r *Runner) apply(e events.Envelope) {
	r.mu.Lock()
	r.fold.Apply(e)
	r.mu.Unlock()
}

// skip records a quarantined message under the lock.
func (r *Runner) skip(q events.Quarantined) {
	r.mu.Lock()
	r.fold.Quarantine(q)
	r.mu.Unlock()
}

// drain takes the pending changes under the lock.
func (r *Runner) drain() Changes {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fold.Drain()
}

// commit writes drained changes. When the store refuses or cannot be
// reached, the fold holds events the store does not: the runner forgets
// its state, so that the next CatchUp or Follow reloads from the store's
// checkpoint and applies those events again. Nothing is skipped.
func (r *Runner) commit(ctx context.Context, c Changes) error {
	if err := r.store.Commit(ctx, c); err != nil {
		r.mu.Lock()
		r.loaded = false
		r.mu.Unlock()
		return err
	}
	return nil
}

func (r *Runner) load(ctx context.Context, src Source) error {
	if r.loaded {
		return nil
	}
	st, err := r.store.Load(ctx)
	if err != nil {
		return err
	}
	if st.Version != 0 && st.Version != NationalVersion {
		// The fold changed since the read model was written: start over.
		return r.Rebuild(ctx, src, nil)
	}
	fold := NewNational()
	fold.Restore(st.Areas, st.Deployments, st.WorkPlans, st.Stats, st.Sequence)
	fold.restoreYears(st.AreaYears, st.YearEvents)
	// Funding and deadlines too: forecasts and work plans read them from
	// the live fold.
	fold.Pledges, fold.Shortfalls, fold.Deadlines = st.Pledges, st.Shortfalls, st.Deadlines
	fold.Quarantined = st.Quarantined
	r.mu.Lock()
	r.fold, r.loaded = fold, true
	r.mu.Unlock()
	return nil
}

// CatchUp applies every event after the checkpoint up to the last one stored
// now, committing as it goes; progress (if not nil) gets the sequence after
// each commit.
func (r *Runner) CatchUp(ctx context.Context, src Source, progress func(seq uint64)) error {
	if err := r.load(ctx, src); err != nil {
		return err
	}
	n := 0
	// After each message: commit when enough wait and the message ends its
	// atomic append (a lone message ends its own).
	step := func(batchEnd bool) error {
		n++
		if n >= r.maxBatch && batchEnd {
			n = 0
			if err := r.commit(ctx, r.drain()); err != nil {
				return err
			}
			if progress != nil {
				progress(r.fold.Sequence)
			}
		}
		return nil
	}
	err := replay(ctx, src, r.fold.Sequence+1, func(e events.Envelope) error {
		r.apply(e)
		return step(e.BatchEnd)
	}, func(q events.Quarantined) error {
		r.skip(q)
		return step(q.BatchEnd)
	})
	if err != nil {
		return fmt.Errorf("projections: catch up: %w", err)
	}
	if n > 0 {
		if err := r.commit(ctx, r.drain()); err != nil {
			return fmt.Errorf("projections: commit: %w", err)
		}
		if progress != nil {
			progress(r.fold.Sequence)
		}
	}
	return nil
}

// Follow catches up and then applies new events as they arrive until ctx
// ends, committing whenever it has caught up (or maxBatch events wait).
// onCommit, if not nil, is called with the sequence after each commit.
func (r *Runner) Follow(ctx context.Context, src interface {
	Source
	Follower
}, onCommit func(seq uint64)) error {
	if err := r.CatchUp(ctx, src, onCommit); err != nil {
		return err
	}
	n := 0
	step := func(batchEnd bool, pending uint64) error {
		n++
		if batchEnd && (pending == 0 || n >= r.maxBatch) {
			n = 0
			if err := r.commit(ctx, r.drain()); err != nil {
				return err
			}
			if onCommit != nil {
				onCommit(r.fold.Sequence)
			}
		}
		return nil
	}
	err := follow(ctx, src, r.fold.Sequence+1, func(e events.Envelope, pending uint64) error {
		r.apply(e)
		return step(e.BatchEnd, pending)
	}, func(q events.Quarantined, pending uint64) error {
		r.skip(q)
		return step(q.BatchEnd, pending)
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// Rebuild drops and rebuilds every projection from the whole history into
// shadow tables, swapped in when complete.
func (r *Runner) Rebuild(ctx context.Context, src Source, progress func(seq uint64)) error {
	fold := NewNational()
	err := r.store.Rebuild(ctx, func(commit func(Changes) error) error {
		n := 0
		step := func(batchEnd bool) error {
			n++
			if n >= r.maxBatch && batchEnd {
				n = 0
				if err := commit(fold.Drain()); err != nil {
					return err
				}
				if progress != nil {
					progress(fold.Sequence)
				}
			}
			return nil
		}
		err := replay(ctx, src, 1, func(e events.Envelope) error {
			fold.Apply(e)
			return step(e.BatchEnd)
		}, func(q events.Quarantined) error {
			fold.Quarantine(q)
			return step(q.BatchEnd)
		})
		if err != nil {
			return err
		}
		return commit(fold.Drain())
	})
	if err != nil {
		return fmt.Errorf("projections: rebuild: %w", err)
	}
	r.mu.Lock()
	r.fold, r.loaded = fold, true
	r.mu.Unlock()
	return nil
}
