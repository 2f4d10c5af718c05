package perf

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/nats-io/nats.go"
	"github.com/synadia-io/orbit.go/jetstreamext"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// benchSeed seeds every generated history: runs are comparable.
const benchSeed = 77

// settleEvents is the smallest history whose replays wait for the store's
// dedupe window to pass (see run).
const settleEvents = 100_000

// run measures every wanted group at b.scale in a directory of its own
// under dir, removed at the end unless kept.
func (b *bencher) run(ctx context.Context, dir string) error {
	dir = filepath.Join(dir, "scale-"+strconv.FormatFloat(b.scale, 'f', -1, 64))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if !b.cfg.Keep {
		defer os.RemoveAll(dir)
	}
	history := filepath.Join(dir, "history.jsonl")
	if err := b.writeHistory(history); err != nil {
		return err
	}
	if b.cfg.wants("append") {
		if err := b.rawAppends(ctx, filepath.Join(dir, "raw")); err != nil {
			return err
		}
	}
	store := filepath.Join(dir, "store")
	err := b.measure("exec", func() (float64, error) {
		n, err := b.exec(ctx, store, history)
		b.res.Events = uint64(n)
		return n, err
	})
	if err != nil {
		return err
	}
	loaded := time.Now()
	os.Remove(history)
	if b.cfg.wants("import") {
		if err := b.measure("import", func() (float64, error) { return b.importCSV(ctx, filepath.Join(dir, "import")) }); err != nil {
			return err
		}
	}
	backups := b.cfg.wants("backup") || b.cfg.wants("restore")
	if !b.cfg.wants("replay") && !b.cfg.wants("query") && !backups {
		return nil
	}
	// A server started within its dedupe window of a write rebuilds the
	// map of the message IDs written since: at 100×, 1.6 million IDs,
	// hundreds of MB that it then expires while the replays run. The
	// replays are measured on a settled store, as a rebuild usually runs.
	// Below settleEvents the map is too small to matter and the wait
	// would dominate the run. The backups wait too: a daily backup runs on
	// a settled store, and a restore within the window of the original
	// writes would rebuild the same map.
	if wait := lrjs.DefaultConfig().DuplicateWindow - time.Since(loaded); b.cfg.Settle && b.res.Events >= settleEvents && wait > 0 {
		b.logf("waiting %s for the store's dedupe window to pass", wait.Round(time.Second))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if backups {
		if err := b.backupRestore(ctx, store, dir); err != nil {
			return err
		}
		if !b.cfg.wants("replay") && !b.cfg.wants("query") {
			return nil
		}
	}
	if b.cfg.wants("query") {
		if err := b.coldStart(ctx, store); err != nil {
			return err
		}
		if err := b.serveStart(ctx, store); err != nil {
			return err
		}
	}
	if b.cfg.wants("replay") {
		if err := b.asOfVerb(ctx, store); err != nil {
			return err
		}
	}
	// A fresh engine for the reads, as a separate command would have.
	eng, err := b.host.OpenEngine(ctx, store)
	if err != nil {
		return err
	}
	return b.reads(ctx, eng, dir)
}

// Engine is the engine of a data dir as a landrelease command opens it:
// its store and its command handler.
type Engine struct {
	Store   *lrjs.Store
	Handler *handling.Handler
	Close   func()
}

// Host is what the harness needs of the landrelease command: opening a
// data dir's engine and running its verbs as a user would.
type Host interface {
	// OpenEngine opens the engine of the data dir dir.
	OpenEngine(ctx context.Context, dir string) (Engine, error)
	// Exec runs 'landrelease --data-dir dataDir exec history'. A host that
	// runs it as a child process of the landrelease binary returns the
	// child's peak RSS in MiB (its rusage, what a user running the verb
	// sees); one that runs it in the harness's own process returns 0.
	Exec(ctx context.Context, dataDir, history string) (peakMiB float64, err error)
	// Import runs 'landrelease --data-dir dataDir import csv'.
	Import(ctx context.Context, dataDir, csv string) error
	// Projections is the projection runner's configuration the read model
	// runs with.
	Projections() projections.RunnerConfig
	// Reads is the read side as serve wires it (the HTTP API's query port)
	// on the SQL read model db and the live fold of its runner.
	Reads(db *sqlstore.Store, fold queries.Fold) *queries.Reads
}

// writeHistory writes the scale's synthetic national history as JSON Lines.
func (b *bencher) writeHistory(path string) error {
	cfg := synth.National(benchSeed, b.scale)
	b.logf("generating the history: %d commands", cfg.Commands)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	err = synth.Stream(cfg, func(env domain.CommandEnvelope) error {
		line, err := domain.EncodeCommand(env)
		if err != nil {
			return err
		}
		if _, ok := env.Command.(domain.RegisterSuspectedArea); ok {
			b.res.Areas++
		}
		b.res.Commands++
		w.Write(line)
		return w.WriteByte('\n')
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	return err
}

// rawAppends measures, on a scratch store of their own so that their
// events stay out of the history, the append ceilings (synchronous
// publishes with the expected-sequence header, and atomic batches of
// 1,000, of messages as the command path stores them) and the command path
// (validate, decide, append new registrations one at a time).
func (b *bencher) rawAppends(ctx context.Context, dir string) error {
	eng, err := b.host.OpenEngine(ctx, dir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	defer eng.Close()
	js := eng.Store.JetStream()
	msgs := make([]*nats.Msg, b.cfg.SyncMsgs)
	for i := range msgs {
		msgs[i] = rawEventMsg(i)
	}
	err = b.measure("raw_sync", func() (float64, error) {
		for _, m := range msgs {
			if _, err := js.PublishMsg(ctx, m); err != nil {
				return 0, err
			}
		}
		return float64(len(msgs)), nil
	})
	if err != nil {
		return err
	}
	batches := make([][]*nats.Msg, b.cfg.Batches)
	for i := range batches {
		batches[i] = make([]*nats.Msg, 1000)
		for j := range batches[i] {
			batches[i][j] = rawEventMsg(j)
		}
	}
	err = b.measure("raw_batch", func() (float64, error) {
		for _, batch := range batches {
			if _, err := jetstreamext.PublishMsgBatch(ctx, js, batch); err != nil {
				return 0, err
			}
		}
		return float64(len(batches) * 1000), nil
	})
	if err != nil {
		return err
	}
	if err := eng.Handler.Warm(ctx); err != nil { // as exec and serve do, before the first command
		return err
	}
	// The phase measures the command path of an engine that has started:
	// Warm's background scan of the raw phases' 21,000 messages would
	// otherwise run during the first few hundred commands (each new ID
	// waits for it, each new aggregate is looked up in the store), which
	// took the ratio from about 0.8 to 0.55. The cold-start phase measures
	// a start and its first command.
	if err := eng.Handler.WaitWarm(ctx); err != nil {
		return err
	}
	cmds := synth.Registrations(synth.DefaultConfig(benchSeed+1, b.cfg.CommandPath))
	return b.measure("command_path", func() (float64, error) {
		for _, env := range cmds {
			if _, err := eng.Handler.Handle(ctx, env); err != nil {
				return 0, err
			}
		}
		return float64(len(cmds)), nil
	})
}

// rawEventMsg is a registration as the command path stores it (same size,
// same headers), on a subject of its own.
func rawEventMsg(i int) *nats.Msg {
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
	ev := events.AreaRegistered{AreaID: ref.ID, Province: "Battambang", Hazard: "AP", Classification: "SHA",
		SizeM2: int64(1000 + i), RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS", LandUse: "AGRICULTURE", CasualtiesLast5y: 1}
	data, _ := events.Encode(ev)
	id := uuid.Must(uuid.NewV7()).String()
	return &nats.Msg{Subject: ref.Subject(), Data: data, Header: nats.Header{
		"Nats-Msg-Id": {id}, "Lr-Event-Type": {ev.EventType()}, "Lr-Schema": {"1"}, "Lr-Occurred-On": {"2020-01-01"},
		"Lr-Recorded-At": {time.Now().UTC().Format(time.RFC3339Nano)}, "Lr-Actor": {"bench"}, "Lr-Command-Id": {id}, "Lr-Correlation-Id": {id},
		"Nats-Expected-Last-Subject-Sequence": {"0"},
	}}
}

// exec runs 'landrelease exec' of the history into a fresh data dir and
// returns the events it stored. When the host runs it as a child process,
// the phase's peak RSS is the child's: the harness's own memory (the
// scratch stores of the ceilings, what earlier phases left) stays out of
// the figure.
func (b *bencher) exec(ctx context.Context, store, history string) (float64, error) {
	peak, err := b.host.Exec(ctx, store, history)
	if err != nil {
		return 0, err
	}
	b.childPeakMiB = peak
	eng, err := b.host.OpenEngine(ctx, store)
	if err != nil {
		return 0, err
	}
	defer eng.Close()
	n, err := eng.Store.LastSequence(ctx)
	return float64(n), err
}

// importCSV runs 'landrelease import' of a register of DemoAreas × scale
// areas into a fresh data dir.
func (b *bencher) importCSV(ctx context.Context, dir string) (float64, error) {
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	rows := max(10, int(float64(synth.DemoAreas)*b.scale))
	csvPath := filepath.Join(dir, "register.csv")
	if err := writeRegisterCSV(csvPath, rows); err != nil {
		return 0, err
	}
	if err := b.host.Import(ctx, filepath.Join(dir, "store"), csvPath); err != nil {
		return 0, err
	}
	return float64(rows), nil
}

// writeRegisterCSV writes n areas as an IMSMA-style CSV register.
func writeRegisterCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "local_id,province,district,hazard,classification,estimated_area,remaining_area,area_unit,evidence,registered_on,land_use")
	provinces := domain.Provinces("KH")
	for i := 0; i < n; i++ {
		size := int64(1000 + (i*7919)%400_000)
		fmt.Fprintf(w, "B-%d,%s,District %d,AP,SHA,%d,%d,m2,WITNESS,2019-03-01,AGRICULTURE\n", i, provinces[i%len(provinces)], i%7, size, size)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// reads measures the replay and query groups on the history in eng, and
// closes eng.
func (b *bencher) reads(ctx context.Context, eng Engine, dir string) error {
	defer eng.Close()
	// The events in the store: the history exec wrote, and the command the
	// cold-start phase may have added.
	last, err := eng.Store.LastSequence(ctx)
	if err != nil {
		return err
	}
	if b.cfg.wants("replay") {
		reg := events.NewRegistry()
		read := func() (float64, error) {
			n := uint64(0)
			err := eng.Store.ReplayRaw(ctx, 1, 0, func(subject string, seq uint64, h nats.Header, data []byte) error {
				_, err := reg.Decode(h.Get("Lr-Event-Type"), 1, data)
				n++
				return err
			})
			if err == nil && n != last {
				err = fmt.Errorf("read %d of %d events", n, last)
			}
			return float64(n), err
		}
		// A first read warms the server's caches and the page cache, as
		// for the replays measured after the ceiling. The ceiling is the
		// faster of the two reads: on a shared machine one read can be
		// slowed by other work.
		b.logf("warming up: reading the history once")
		start := time.Now()
		if _, err := read(); err != nil {
			return err
		}
		warm := time.Since(start).Seconds()
		if err := b.measure("raw_read", read); err != nil {
			return err
		}
		if p := &b.res.Phases[len(b.res.Phases)-1]; warm < p.Seconds {
			b.logf("raw read + decode: the first read was faster (%s): it is the ceiling", formatSeconds(warm))
			p.Seconds, p.Rate = warm, p.Units/warm
		}
	}
	// The SQLite rebuild's read model answers the queries: its runner's
	// fold (the National state of the whole history, as serve holds it
	// live) and its tables, as the API reads them.
	var fold *projections.National
	var rm readModel
	rebuild := func(dsn string, keep bool) (float64, error) {
		db, err := sqlstore.Open(ctx, dsn)
		if err != nil {
			return 0, err
		}
		r, err := projections.NewRunner(db, b.host.Projections())
		if err == nil {
			err = r.Rebuild(ctx, eng.Store, nil)
		}
		if err != nil {
			db.Close()
			return 0, err
		}
		if !keep {
			db.Close()
			return float64(r.Sequence()), nil
		}
		fold, rm = r.Fold(), readModel{db, r}
		return float64(r.Sequence()), nil
	}
	sqlitePath := filepath.Join(dir, "readmodel.sqlite")
	if b.cfg.wants("replay") {
		if err := b.measure("rebuild_sqlite", func() (float64, error) { return rebuild(sqlitePath, b.cfg.wants("query")) }); err != nil {
			return err
		}
	} else {
		b.logf("building the SQLite read model the queries read (not measured: group replay)")
		if _, err := rebuild(sqlitePath, true); err != nil {
			return err
		}
	}
	if b.cfg.wants("query") {
		err := b.queries(ctx, eng, fold, rm)
		rm.db.Close()
		if err != nil {
			return err
		}
	}
	fold, rm = nil, readModel{}
	if !b.cfg.wants("replay") {
		return nil
	}
	if b.cfg.PG == "" {
		b.skip("rebuild_pg", "no PostgreSQL (--pg or LANDRELEASE_TEST_PG)")
	} else {
		dsn, drop, err := freshPGSchema(ctx, b.cfg.PG)
		if err != nil {
			b.skip("rebuild_pg", fmt.Sprintf("no PostgreSQL: %v", err))
		} else {
			err = b.measure("rebuild_pg", func() (float64, error) { return rebuild(dsn, false) })
			fold = nil
			drop()
			if err != nil {
				return err
			}
		}
	}
	return b.measure("as_of", func() (float64, error) {
		n := 0
		keep := projections.AsOf(benchMidHistory)
		_, err := queries.ReplayState(ctx, countingSource{eng.Store, &n}, keep) // as state --as-of folds
		return float64(n), err
	})
}

// benchMidHistory is the middle of the generated histories (2018 to 2021).
var benchMidHistory = events.MustDate("2020-01-01")

// countingSource counts the events a replay reads.
type countingSource struct {
	projections.Source
	n *int
}

func (c countingSource) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	return c.Source.Replay(ctx, from, func(e events.Envelope) error {
		*c.n++
		return fn(e)
	})
}

// readModel is a SQL read model and the runner that keeps it, its fold
// live, as serve holds them.
type readModel struct {
	db     *sqlstore.Store
	runner *projections.Runner
}

// queries measures loading aggregates, a work plan, forecasts and the
// documents built from the read model.
func (b *bencher) queries(ctx context.Context, eng Engine, fold *projections.National, rm readModel) error {
	refs := make([]events.Ref, 0, b.cfg.Loads)
	rng := rand.New(rand.NewPCG(benchSeed, 1))
	ids := make([]uuid.UUID, 0, len(fold.Areas))
	for id := range fold.Areas {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return fmt.Errorf("the history has no area")
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	for range b.cfg.Loads {
		refs = append(refs, events.Ref{Country: "KH", Kind: events.KindArea, ID: ids[rng.IntN(len(ids))]})
	}
	ids = nil
	stream, err := eng.Store.JetStream().Stream(ctx, eng.Store.StreamName())
	if err != nil {
		return err
	}
	for _, r := range refs { // warm: the replays above left the blocks cold
		if _, err := stream.GetLastMsgForSubject(ctx, r.Subject()); err != nil {
			return err
		}
	}
	err = b.measure("raw_get", func() (float64, error) {
		for _, r := range refs {
			if _, err := stream.GetLastMsgForSubject(ctx, r.Subject()); err != nil {
				return 0, err
			}
		}
		return float64(len(refs)), nil
	})
	if err != nil {
		return err
	}
	err = b.measure("load", func() (float64, error) {
		for _, r := range refs {
			if _, _, err := eng.Store.Load(ctx, r); err != nil {
				return 0, err
			}
		}
		return float64(len(refs)), nil
	})
	if err != nil {
		return err
	}
	areas := float64(len(fold.Areas))
	province, year := largestProvince(fold), projections.LastDate(fold).Year()
	err = b.measure("workplan", func() (float64, error) {
		plan := projections.PlanWorkPlan(fold, province, year, projections.DefaultCriteria(), projections.DefaultForecastConfig())
		if len(plan.Areas) == 0 {
			return 0, fmt.Errorf("the work plan of %s %d is empty", province, year)
		}
		return areas, nil
	})
	if err != nil {
		return err
	}
	forecast := func(key string, trials int) error {
		return b.measure(key, func() (float64, error) {
			c := projections.DefaultForecastConfig()
			c.Trials = trials
			f := projections.RunForecast(fold, c)
			if f.Trials != trials {
				return 0, fmt.Errorf("ran %d trials of %d", f.Trials, trials)
			}
			if f.Redeploy != projections.RedeployNearest || len(f.Provinces) == 0 {
				return 0, fmt.Errorf("forecast by %q over %d provinces, want the province model (nearest)", f.Redeploy, len(f.Provinces))
			}
			if trials == 0 {
				if f.RemainingM2 == 0 {
					return 0, fmt.Errorf("nothing left to forecast")
				}
				return areas, nil
			}
			return float64(trials) * areas, nil
		})
	}
	if err := forecast("forecast", 0); err != nil {
		return err
	}
	if err := forecast("monte_carlo_1k", 1_000); err != nil {
		return err
	}
	if err := forecast("monte_carlo", b.cfg.Trials); err != nil {
		return err
	}
	if err := b.article5Plan(fold); err != nil {
		return err
	}
	return b.report(ctx, rm, fold)
}

// largestProvince is the province with the most areas.
func largestProvince(n *projections.National) string {
	count := map[string]int{}
	best := ""
	for _, a := range n.Areas {
		count[a.Province]++
		if c := count[a.Province]; c > count[best] || (c == count[best] && a.Province < best) {
			best = a.Province
		}
	}
	return best
}

// freshPGSchema creates a schema of its own on the server of dsn and
// returns a DSN that uses it, and a function that drops it.
func freshPGSchema(ctx context.Context, dsn string) (string, func(), error) {
	schema := fmt.Sprintf("lr_bench_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop := func() {
		admin.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema, drop, nil
}
