package peers

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Level is one concurrency row: Clients goroutines share Commands commands.
type Level struct {
	Clients  int
	Commands int
}

// Config says how much to measure.
type Config struct {
	Dir        string  // parent of the stores; must be on a real disk (fsync)
	Aggregates int     // aggregates seeded in every system
	Levels     []Level // command-path rows
	Warmup     int     // untimed commands per system before the rows
	RawSync    int     // raw synchronous publishes (1 client)
	RawBatches int     // raw atomic batches of Clients events, in each row of more than one client
	RawAsync   int     // raw asynchronous publishes, Clients in flight, in each row of more than one client
	Loads      int     // single-aggregate loads per system
	Seed       uint64
	Progress   io.Writer // progress lines; nil for none
}

// DefaultConfig is the workload of issues 9 and 17: 20,000 aggregates; 1,
// 4 and 16 clients; about a minute and a half on 2 cores.
func DefaultConfig(dir string) Config {
	return Config{
		Dir: dir, Aggregates: 20_000,
		Levels: []Level{{1, 4000}, {4, 8000}, {16, 16000}},
		Warmup: 300, RawSync: 4000, RawBatches: 150, RawAsync: 8000, Loads: 2000, Seed: 9,
	}
}

// Result is one measured cell.
type Result struct {
	Row      string
	System   string
	Unit     string // "events/s" or "loads/s"
	Count    int
	Elapsed  time.Duration
	P50, P99 time.Duration // per operation; 0 when not measured per operation
	Retries  int64         // conflicts met and retried
	Note     string
}

// Rate is Count per second.
func (r Result) Rate() float64 { return float64(r.Count) / r.Elapsed.Seconds() }

// Report is the outcome of one run.
type Report struct {
	Results []Result
	Cores   int
	Elapsed time.Duration
}

// Row names.
const (
	RowReplay     = "replay (decode + fold)"
	RowReplayWarm = "replay again (warm)"
	RowLoad       = "load one aggregate"
	SysRaw        = "raw JetStream sync publish"
	SysRawBatch   = "raw JetStream atomic batch of %d"
	SysRawAsync   = "raw JetStream async publish with fsync, %d in flight"
)

// RowName names a concurrency row.
func RowName(clients int) string {
	if clients == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", clients)
}

func (r *Report) find(row, system string) (Result, bool) {
	for _, x := range r.Results {
		if x.Row == row && x.System == system {
			return x, true
		}
	}
	return Result{}, false
}

// Ratio returns landrelease's rate divided by the best peer's in row (the
// raw JetStream ceiling is not a peer), and the best peer's name.
func (r *Report) Ratio(row string) (float64, string) {
	lr, ok := r.find(row, "landrelease")
	if !ok {
		return 0, ""
	}
	best, name := 0.0, ""
	for _, x := range r.Results {
		if x.Row == row && x.System != "landrelease" && !strings.HasPrefix(x.System, "raw ") && x.Rate() > best {
			best, name = x.Rate(), x.System
		}
	}
	if best == 0 {
		return 0, ""
	}
	return lr.Rate() / best, name
}

// RatioTo returns landrelease's rate in row divided by system's.
func (r *Report) RatioTo(row, system string) float64 {
	lr, ok1 := r.find(row, "landrelease")
	x, ok2 := r.find(row, system)
	if !ok1 || !ok2 || x.Rate() == 0 {
		return 0
	}
	return lr.Rate() / x.Rate()
}

// Target is one goal of issue 17 and whether it was met.
type Target struct {
	Name   string
	Metric string // unit for testing.B.ReportMetric
	Got    float64
	Want   float64
	Met    bool
	Extra  string
}

// Targets evaluates issue 17's targets on the peer table (those of its
// targets that the peer benchmark measures).
func (r *Report) Targets() []Target {
	var out []Target
	add := func(name, metric string, got, want float64, extra string) {
		out = append(out, Target{Name: name, Metric: metric, Got: got, Want: want, Met: got >= want, Extra: extra})
	}
	g, best := r.Ratio(RowName(16))
	add("16 clients: landrelease / best durable peer", "x16_vs_best_peer", g, 1.3, best)
	add("16 clients: landrelease / "+fmt.Sprintf(SysRawAsync, 16), "x16_vs_raw_async", r.RatioTo(RowName(16), fmt.Sprintf(SysRawAsync, 16)), 0.8, "")
	add("1 client: landrelease / raw JetStream sync publish", "x1_vs_raw_sync", r.RatioTo(RowName(1), SysRaw), 0.8, "")
	g, best = r.Ratio(RowReplay)
	add("replay: landrelease / best peer", "replay_vs_best_peer", g, 1.2, best)
	g, best = r.Ratio(RowReplayWarm)
	add("replay again (warm): landrelease / best peer", "replay_warm_vs_best_peer", g, 1.2, best)
	g, best = r.Ratio(RowLoad)
	add("load one aggregate: landrelease / best peer", "load_vs_best_peer", g, 0.5, best)
	return out
}

func dur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
}

// Table formats the report as a Markdown table followed by the targets.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| row | system | rate | p50 | p99 | retries | landrelease ÷ best peer | notes |\n")
	fmt.Fprintf(&b, "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, x := range r.Results {
		ratio := ""
		if x.System == "landrelease" {
			if g, best := r.Ratio(x.Row); g > 0 {
				ratio = fmt.Sprintf("**%.2f×** (vs %s)", g, best)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f %s | %s | %s | %d | %s | %s |\n",
			x.Row, x.System, x.Rate(), x.Unit, dur(x.P50), dur(x.P99), x.Retries, ratio, x.Note)
	}
	fmt.Fprintf(&b, "\nTargets (issue 17), measured in this run (%d cores, %s):\n\n", r.Cores, r.Elapsed.Round(time.Second))
	for _, t := range r.Targets() {
		verdict := "MET"
		if !t.Met {
			verdict = "MISSED"
		}
		extra := ""
		if t.Extra != "" {
			extra = " (best peer: " + t.Extra + ")"
		}
		fmt.Fprintf(&b, "- %s: %.2f (target ≥ %g) — %s%s\n", t.Name, t.Got, t.Want, verdict, extra)
	}
	return b.String()
}

// Run seeds every system and measures them in one process.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	start := time.Now()
	logf := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "peers: "+format+"\n", args...)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	ids := AggregateIDs(cfg.Seed, cfg.Aggregates)

	lr, err := OpenLandrelease(ctx, cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("landrelease: %w", err)
	}
	defer lr.Close()
	hg, err := OpenHallgren(ctx, cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("hallgren: %w", err)
	}
	defer hg.Close()
	st, err := OpenSQLTable(ctx, cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("sql table: %w", err)
	}
	defer st.Close()
	systems := []System{lr, hg, st}

	var n atomic.Int64 // event number, for distinct references
	for _, s := range systems {
		t0 := time.Now()
		if err := s.Seed(ctx, ids); err != nil {
			return nil, fmt.Errorf("%s: seed: %w", s.Name(), err)
		}
		logf("%s: seeded %d aggregates in %s", s.Name(), len(ids), time.Since(t0).Round(time.Millisecond))
		if _, err := runLevel(ctx, s, 1, cfg.Warmup, cfg.Aggregates, cfg.Seed+1000, &n); err != nil {
			return nil, fmt.Errorf("%s: warm-up: %w", s.Name(), err)
		}
	}

	flushDisk()
	time.Sleep(500 * time.Millisecond)

	rep := &Report{Cores: runtime.NumCPU()}
	for _, lv := range cfg.Levels {
		row := RowName(lv.Clients)
		if lv.Clients == 1 && cfg.RawSync > 0 {
			raw, err := lr.RawSync(ctx)
			if err != nil {
				return nil, fmt.Errorf("raw sync publish: %w", err)
			}
			res, err := measure(cfg.RawSync, func(int) (int, error) { return 0, raw.Publish(ctx, n.Add(1)) })
			if err != nil {
				return nil, fmt.Errorf("raw sync publish: %w", err)
			}
			res.Row, res.System, res.Unit, res.Note = row, SysRaw, "events/s", "ceiling, not a peer"
			rep.Results = append(rep.Results, res)
			logf("%s %s: %.0f events/s", row, SysRaw, res.Rate())
		}
		if lv.Clients > 1 && cfg.RawBatches > 0 {
			raw, err := lr.RawSync(ctx)
			if err != nil {
				return nil, fmt.Errorf("raw batch publish: %w", err)
			}
			res, err := measure(cfg.RawBatches, func(int) (int, error) {
				return 0, raw.PublishBatch(ctx, lv.Clients, func() int64 { return n.Add(1) })
			})
			if err != nil {
				return nil, fmt.Errorf("raw batch publish: %w", err)
			}
			res.Count *= lv.Clients
			res.Row, res.System, res.Unit = row, fmt.Sprintf(SysRawBatch, lv.Clients), "events/s"
			res.Note = "ceiling of group commit at this concurrency; p50/p99 per batch"
			rep.Results = append(rep.Results, res)
			logf("%s %s: %.0f events/s", row, res.System, res.Rate())
		}
		if lv.Clients > 1 && cfg.RawAsync > 0 {
			raw, err := lr.RawSync(ctx)
			if err != nil {
				return nil, fmt.Errorf("raw async publish: %w", err)
			}
			t0 := time.Now()
			lat, err := raw.PublishAsync(ctx, cfg.RawAsync, lv.Clients, func() int64 { return n.Add(1) })
			if err != nil {
				return nil, fmt.Errorf("raw async publish: %w", err)
			}
			res := Result{Count: len(lat), Elapsed: time.Since(t0)}
			res.P50, res.P99 = percentiles(lat)
			res.Row, res.System, res.Unit = row, fmt.Sprintf(SysRawAsync, lv.Clients), "events/s"
			res.Note = "ceiling of pipelined single appends at this concurrency; p50/p99 publish to ack"
			rep.Results = append(rep.Results, res)
			logf("%s %s: %.0f events/s", row, res.System, res.Rate())
		}
		for _, s := range systems {
			var conflicts0, appends0, writes0 int64
			if s == System(lr) {
				conflicts0 = lr.Conflicts()
				appends0, writes0 = lr.GroupStats()
			}
			res, err := runLevel(ctx, s, lv.Clients, lv.Commands, cfg.Aggregates, cfg.Seed+uint64(lv.Clients), &n)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", row, s.Name(), err)
			}
			res.Row, res.System, res.Unit = row, s.Name(), "events/s"
			if s == System(lr) {
				res.Retries = lr.Conflicts() - conflicts0
				a, w := lr.GroupStats()
				if a > appends0 {
					res.Note = fmt.Sprintf("%.1f commands per append", float64(w-writes0)/float64(a-appends0))
				}
			}
			rep.Results = append(rep.Results, res)
			logf("%s %s: %.0f events/s, p50 %s, p99 %s", row, s.Name(), res.Rate(), dur(res.P50), dur(res.P99))
		}
	}

	// Each system replays twice: the first pass reads what the writes
	// left in the OS page cache (and fills nats-server's block cache), the
	// second repeats it with every cache warm.
	for pass, row := range []string{RowReplay, RowReplayWarm} {
		for _, s := range systems {
			runtime.GC()
			t0 := time.Now()
			count, err := s.Replay(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: replay: %w", s.Name(), err)
			}
			res := Result{Row: row, System: s.Name(), Unit: "events/s", Count: count, Elapsed: time.Since(t0),
				Note: fmt.Sprintf("%d events", count)}
			if pass == 0 && s == System(lr) {
				res.Note += "; ordered consumer, decoded to events.Envelope"
			}
			rep.Results = append(rep.Results, res)
			logf("%s %s: %.0f events/s", row, s.Name(), res.Rate())
		}
	}

	for _, s := range systems {
		rng := rand.New(rand.NewPCG(cfg.Seed, 77))
		aggs := make([]int, cfg.Loads)
		for i := range aggs {
			aggs[i] = rng.IntN(cfg.Aggregates)
		}
		events := 0
		res, err := measure(cfg.Loads, func(i int) (int, error) {
			k, err := s.Load(ctx, aggs[i])
			events += k
			return 0, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: load: %w", s.Name(), err)
		}
		res.Row, res.System, res.Unit = RowLoad, s.Name(), "loads/s"
		res.Note = fmt.Sprintf("%.1f events per aggregate", float64(events)/float64(cfg.Loads))
		rep.Results = append(rep.Results, res)
		logf("%s %s: %.0f loads/s", RowLoad, s.Name(), res.Rate())
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// measure runs op count times on one goroutine, timing each.
func measure(count int, op func(i int) (retries int, err error)) (Result, error) {
	runtime.GC()
	lat := make([]time.Duration, count)
	var retries int64
	t0 := time.Now()
	for i := range count {
		s := time.Now()
		r, err := op(i)
		if err != nil {
			return Result{}, err
		}
		lat[i] = time.Since(s)
		retries += int64(r)
	}
	elapsed := time.Since(t0)
	p50, p99 := percentiles(lat)
	return Result{Count: count, Elapsed: elapsed, P50: p50, P99: p99, Retries: retries}, nil
}

// runLevel runs commands on s from clients goroutines, each with its own
// random sequence of aggregates, and times each command.
func runLevel(ctx context.Context, s System, clients, commands, aggregates int, seed uint64, n *atomic.Int64) (Result, error) {
	runtime.GC()
	per := commands / clients
	lats := make([][]time.Duration, clients)
	errs := make([]error, clients)
	var retries atomic.Int64
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	for c := range clients {
		lats[c] = make([]time.Duration, 0, per)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			<-startGate
			for range per {
				agg := rng.IntN(aggregates)
				t := time.Now()
				r, err := s.Command(ctx, agg, n.Add(1))
				if err != nil {
					errs[c] = err
					return
				}
				lats[c] = append(lats[c], time.Since(t))
				retries.Add(int64(r))
			}
		}()
	}
	t0 := time.Now()
	close(startGate)
	wg.Wait()
	elapsed := time.Since(t0)
	for _, err := range errs {
		if err != nil {
			return Result{}, err
		}
	}
	all := slices.Concat(lats...)
	p50, p99 := percentiles(all)
	return Result{Count: len(all), Elapsed: elapsed, P50: p50, P99: p99, Retries: retries.Load()}, nil
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.5) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return at(0.50), at(0.99)
}
