package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/projections"
)

// readModel is the engine plus the SQL read model, caught up.
type readModel struct {
	*engine
	db     *sqlstore.Store
	dbLock *sqlstore.Lock // this process alone projects into db
	runner *projections.Runner
	// buildTo is not 0 when openReadModelBehind left the catch-up to the
	// caller: the last sequence stored when it opened (and buildFrom the
	// read model's checkpoint then).
	buildFrom, buildTo uint64
	// fromScratch says that serve builds it as 'landrelease rebuild' does
	// (it holds nothing yet and the history is above rebuildAbove).
	fromScratch bool
}

func (r *readModel) Close() {
	r.dbLock.Release()
	if r.db != nil {
		r.db.Close()
	}
	r.engine.Close()
}

// openDB opens the read model of --db (or the data dir's) and takes its
// lock, so that no second process (one with another --data-dir or
// --nats-url, which the data dir's lock does not stop) projects into it.
func (r *readModel) openDB(ctx context.Context, g globals) error {
	db, err := sqlstore.Open(ctx, g.dbPath())
	if err != nil {
		return err
	}
	owner := "landrelease pid " + strconv.Itoa(os.Getpid())
	if host, err := os.Hostname(); err == nil {
		owner += " on " + host
	}
	if g.natsURL == "" {
		owner += ", data dir " + g.dataDir
	} else {
		owner += ", history at " + withoutUserinfo(g.natsURL)
	}
	lock, err := db.Lock(ctx, owner)
	if err != nil {
		db.Close()
		return err
	}
	r.db, r.dbLock = db, lock
	return nil
}

// openReadModel opens the engine and the read model and brings the
// projections up to date with the history, showing progress on a terminal.
func openReadModel(ctx context.Context, a *app) (*readModel, error) {
	return openReadModelBehind(ctx, a, math.MaxUint64)
}

// buildInBackgroundAbove is the size of a history (events) above which
// serve answers at once and loads or builds its read model in the
// background (reads of the read model answer 503 meanwhile, commands are
// accepted): loading the projections' state of a 100× history from SQLite
// takes 8-9 s of one core, projecting a history just loaded with exec or
// import minutes. Below it the read model is ready when serve listens.
const buildInBackgroundAbove = 100_000

// openReadModelBehind is openReadModel, except that when the history holds
// more than above events it neither loads the projections' state nor
// catches up: buildFrom and buildTo say from where to where the caller has
// to (serve: in the background).
func openReadModelBehind(ctx context.Context, a *app, above uint64) (*readModel, error) {
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return nil, err
	}
	r := &readModel{engine: eng}
	if err := r.openDB(ctx, a.g); err != nil {
		r.Close()
		return nil, err
	}
	if r.runner, err = projections.NewRunner(r.db, projectionConfig()); err != nil {
		r.Close()
		return nil, err
	}
	if last, err := r.store.LastSequence(ctx); err == nil {
		if cp, err := r.db.Checkpoint(ctx); err == nil && last >= cp && last > above {
			r.buildFrom, r.buildTo = cp, last
			return r, nil
		}
	}
	if err := r.catchUp(ctx, a.stderr, false); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// catchUp runs the projections up to the end of the history, or rebuilds
// them from scratch.
func (r *readModel) catchUp(ctx context.Context, stderr io.Writer, rebuild bool) error {
	last, err := r.store.LastSequence(ctx)
	if err != nil {
		return err
	}
	from := r.runner.Sequence()
	if !rebuild {
		if cp, err := r.db.Checkpoint(ctx); err == nil {
			from = cp
		}
	}
	// The fold is the live heap of a catch-up or rebuild (550,000 areas
	// at 100×): grow the heap half of it between collections, not all of
	// it (a 10× serve building its read model peaked at 429 MiB).
	defer replayGCPercent()()
	bar := newProgress(stderr, int64(last-min(from, last)), "projecting events")
	progress := func(seq uint64) {
		if bar != nil {
			_ = bar.Set64(int64(seq - min(from, seq)))
		}
	}
	if rebuild {
		err = r.runner.Rebuild(ctx, r.store, progress)
	} else {
		err = r.runner.CatchUp(ctx, r.store, progress)
	}
	if bar != nil {
		_ = bar.Finish()
	}
	return err
}

// newProgress returns a progress bar on stderr when it is a terminal and the
// work is large enough to watch; nil otherwise.
func newProgress(w io.Writer, total int64, what string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || total < 50_000 {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return progressbar.NewOptions64(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
		progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
}

// projectionConfig is the projections' runner configuration: commits every
// 20,000 events at most, or LANDRELEASE_PROJECTION_BATCH (tests use small
// batches to stop a catch-up half way).
func projectionConfig() projections.RunnerConfig {
	if v, err := strconv.Atoi(os.Getenv("LANDRELEASE_PROJECTION_BATCH")); err == nil && v > 0 {
		return projections.RunnerConfig{MaxBatch: v}
	}
	return projections.RunnerConfig{MaxBatch: 20_000}
}

func fail(a *app, verb string, err error) int {
	fmt.Fprintf(a.stderr, "landrelease %s: %v\n", verb, err)
	return exitRefused
}

// withoutUserinfo drops credentials from a URL (or each of a comma-separated
// list) before it is shown to others.
func withoutUserinfo(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			u.User = nil
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
