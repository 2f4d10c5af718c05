package perf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"time"
)

// Config says what landrelease bench measures.
type Config struct {
	Scales []float64 // 1 is the size of the Cambodia demo
	Groups []string  // phase groups to measure; empty: all
	PG     string    // PostgreSQL DSN; empty skips the PostgreSQL rebuild
	Dir    string    // scratch directory; empty: a temporary one, removed
	Trials int       // Monte Carlo trials of the large forecast
	Keep   bool      // keep each scale's store and read model in Dir
	Settle bool      // wait for the store's dedupe window to pass before the replays

	// Sizes of the fixed-size phases (the ceilings and the command path do
	// not grow with the history).
	SyncMsgs    int // raw synchronous publishes
	Batches     int // raw atomic batches of 1,000 events
	CommandPath int // commands handled one at a time
	Loads       int // aggregates loaded
	// Rounds of the backup and restore phases and their ceilings, taking
	// turns; each keeps its fastest.
	Rounds int
}

// benchGroups are the phase groups, in the order they run.
var benchGroups = []string{"append", "import", "backup", "restore", "replay", "query"}

func DefaultConfig() Config {
	return Config{Scales: []float64{1}, PG: os.Getenv("LANDRELEASE_TEST_PG"), Trials: 10_000, Settle: true,
		SyncMsgs: 1_000, Batches: 20, CommandPath: 1_000, Loads: 200, Rounds: 3}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Scales) == 0 {
		errs = append(errs, errors.New("--scales: want at least one scale"))
	}
	for _, g := range c.Groups {
		if !slices.Contains(benchGroups, g) {
			errs = append(errs, fmt.Errorf("--only %q: want a comma-separated list of %v", g, benchGroups))
		}
	}
	if c.Keep && c.Dir == "" {
		errs = append(errs, errors.New("--keep needs --dir"))
	}
	if c.Trials < 1 || c.Trials > 1_000_000 {
		errs = append(errs, errors.New("--trials: want 1 to 1,000,000"))
	}
	if c.SyncMsgs < 1 || c.Batches < 1 || c.CommandPath < 1 || c.Loads < 1 || c.Rounds < 1 {
		errs = append(errs, errors.New("phase sizes must be at least 1"))
	}
	return errors.Join(errs...)
}

func (c Config) wants(group string) bool {
	return len(c.Groups) == 0 || slices.Contains(c.Groups, group)
}

// Report is the result of a run: the --json document.
type Report struct {
	Machine Machine     `json:"machine"`
	Started time.Time   `json:"started"`
	Seconds float64     `json:"seconds"`
	Scales  []Scale     `json:"scales"`
	Growth  []GrowthRow `json:"growth,omitempty"`
}

// Scale is what one scale measured.
type Scale struct {
	Scale    float64 `json:"scale"`
	Commands int     `json:"commands"` // of the generated history
	Areas    int     `json:"areas"`    // registered by it
	Events   uint64  `json:"events"`   // in the store after the append phases
	Phases   []Phase `json:"phases"`
}

// Phase is one measured phase.
type Phase struct {
	Key        string  `json:"key"`
	Group      string  `json:"group"`
	Name       string  `json:"name"`
	Units      float64 `json:"units"` // work done, in Unit
	Unit       string  `json:"unit"`
	Seconds    float64 `json:"seconds"`
	Rate       float64 `json:"rate"`              // units per second
	Ceiling    string  `json:"ceiling,omitempty"` // key of the phase it is compared with
	Ratio      float64 `json:"ratio,omitempty"`   // rate ÷ the ceiling's rate
	Target     string  `json:"target,omitempty"`
	Met        *bool   `json:"met,omitempty"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	// Child: the work ran in a child process (the landrelease binary
	// running the verb) and PeakRSSMiB is that process's peak (rusage),
	// not the harness's.
	Child   bool   `json:"child,omitempty"`
	Skipped string `json:"skipped,omitempty"`
	// Bytes is the size of what the phase wrote (the backup phases: the
	// file); OfStore is it ÷ the store's size on disk, SizeRatio it ÷ the
	// ceiling's.
	Bytes     int64   `json:"bytes,omitempty"`
	OfStore   float64 `json:"of_store,omitempty"`
	SizeRatio float64 `json:"size_ratio,omitempty"`
}

// GrowthRow is how a phase's cost per unit grows with the scale.
type GrowthRow struct {
	Key    string             `json:"key"`
	Name   string             `json:"name"`
	Growth map[string]float64 `json:"growth"` // scale → cost per unit ÷ that at the smallest scale
}

// Run measures every scale of cfg, one after the other, on engines and
// verbs host gives, writing progress to progress.
func Run(ctx context.Context, cfg Config, host Host, progress io.Writer) (Report, error) {
	rep := Report{Machine: describeMachine(), Started: time.Now().UTC()}
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "landrelease-bench-")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return rep, err
	}
	rep.Machine.FsyncMillis = fsyncMillis(dir)
	for _, s := range cfg.Scales {
		b := &bencher{cfg: cfg, host: host, scale: s, progress: progress, res: Scale{Scale: s}}
		if err := b.run(ctx, dir); err != nil {
			return rep, fmt.Errorf("%s: %w", ScaleName(s), err)
		}
		rep.Scales = append(rep.Scales, b.res)
	}
	rep.Growth = growth(rep.Scales)
	return rep, nil
}

func ScaleName(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) + "×" }

// growth compares each phase's cost per unit with the smallest scale's.
func growth(scales []Scale) []GrowthRow {
	if len(scales) < 2 {
		return nil
	}
	base := scales[0]
	for _, s := range scales[1:] {
		if s.Scale < base.Scale {
			base = s
		}
	}
	var rows []GrowthRow
	for _, p := range base.Phases {
		if p.Skipped != "" || p.Units == 0 || p.Seconds == 0 {
			continue
		}
		row := GrowthRow{Key: p.Key, Name: p.Name, Growth: map[string]float64{}}
		for _, s := range scales {
			if q, ok := findPhase(s.Phases, p.Key); ok && q.Skipped == "" && q.Units > 0 {
				row.Growth[ScaleName(s.Scale)] = (q.Seconds / q.Units) / (p.Seconds / p.Units)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func findPhase(ps []Phase, key string) (Phase, bool) {
	for _, p := range ps {
		if p.Key == key {
			return p, true
		}
	}
	return Phase{}, false
}

// bencher measures one scale.
type bencher struct {
	cfg      Config
	host     Host
	scale    float64
	progress io.Writer
	res      Scale
	// childPeakMiB is set by a phase whose work ran in a child process:
	// its peak RSS replaces the harness's own.
	childPeakMiB float64
}

func (b *bencher) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench %s %s: %s\n", time.Now().Format("15:04:05"), ScaleName(b.scale), fmt.Sprintf(format, args...))
}

// measure runs fn as phase key after releasing what earlier phases left,
// with the peak RSS reset, and records its time and peak. fn returns the
// units of work done.
func (b *bencher) measure(key string, fn func() (float64, error)) error {
	spec := b.spec(key)
	b.logf("%s …", spec.name)
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	b.childPeakMiB = 0
	start := time.Now()
	units, err := fn()
	d := time.Since(start)
	if err != nil {
		return fmt.Errorf("%s: %w", spec.name, err)
	}
	p := Phase{Key: key, Group: spec.group, Name: spec.name, Unit: spec.unit, Units: units, Seconds: d.Seconds(),
		Rate: units / d.Seconds(), PeakRSSMiB: peakRSSMiB()}
	if b.childPeakMiB > 0 {
		p.PeakRSSMiB, p.Child = b.childPeakMiB, true
	}
	b.judge(&p, spec)
	b.res.Phases = append(b.res.Phases, p)
	b.logf("%s: %s in %s (%s)", spec.name, formatCount(units, spec.unit), formatSeconds(p.Seconds), formatRate(p))
	return nil
}

// skip records a phase that could not be measured.
func (b *bencher) skip(key, why string) {
	spec := b.spec(key)
	b.res.Phases = append(b.res.Phases, Phase{Key: key, Group: spec.group, Name: spec.name, Unit: spec.unit, Skipped: why})
	b.logf("%s: skipped: %s", spec.name, why)
}

// spec returns the phase's description, with the configured trials.
func (b *bencher) spec(key string) phaseSpec {
	s := phaseSpecs[key]
	if key == "monte_carlo" {
		s.name = fmt.Sprintf("Monte Carlo, %s trials", thousands(float64(b.cfg.Trials)))
	}
	return s
}

// judge sets the ratio to the ceiling and whether the targets are met;
// Target marks each one (✔ met, ✘ missed).
func (b *bencher) judge(p *Phase, spec phaseSpec) {
	var targets []string
	met := true
	check := func(name string, ok bool) {
		targets = append(targets, name+map[bool]string{true: " ✔", false: " ✘"}[ok])
		met = met && ok
	}
	if spec.ceiling != "" {
		p.Ceiling = spec.ceiling
		if c, ok := findPhase(b.res.Phases, spec.ceiling); ok && c.Rate > 0 {
			p.Ratio = p.Rate / c.Rate
			if spec.minRatio > 0 {
				check(fmt.Sprintf("ratio ≥ %g", spec.minRatio), p.Ratio >= spec.minRatio)
			}
		}
	}
	if spec.maxSeconds > 0 && b.scale <= 1 {
		check(fmt.Sprintf("< %g s at 1×", spec.maxSeconds), p.Seconds < spec.maxSeconds)
	}
	if spec.maxSeconds100 > 0 && b.scale >= 100 {
		check(fmt.Sprintf("< %g s at 100×", spec.maxSeconds100), p.Seconds < spec.maxSeconds100)
	}
	if spec.maxRSSMiB100 > 0 && b.scale >= 100 {
		check("peak < "+mib(spec.maxRSSMiB100)+" at 100×", p.PeakRSSMiB < spec.maxRSSMiB100)
	} else if spec.maxRSSMiB > 0 {
		check("peak < "+mib(spec.maxRSSMiB), p.PeakRSSMiB < spec.maxRSSMiB)
	}
	if len(targets) > 0 {
		p.Target = joinTargets(targets)
		p.Met = &met
	}
}

// mib writes a memory target: in GiB from 1 GiB on.
func mib(m float64) string {
	if m >= 1024 {
		return fmt.Sprintf("%g GiB", m/1024)
	}
	return fmt.Sprintf("%g MiB", m)
}

func joinTargets(ts []string) string {
	out := ""
	for i, t := range ts {
		if i > 0 {
			out += ", "
		}
		out += t
	}
	return out
}

// phaseSpec describes a phase: its name, unit, ceiling and targets.
type phaseSpec struct {
	group, name, unit string
	ceiling           string  // key of the raw phase it is compared with
	minRatio          float64 // target ratio to the ceiling
	maxSeconds        float64 // target time at 1× (and below)
	maxSeconds100     float64 // target time at 100× (and above)
	maxRSSMiB         float64 // target peak RSS (at every scale, or below 100× if maxRSSMiB100 is set)
	maxRSSMiB100      float64 // target peak RSS at 100× (and above)
}

// phaseSpecs holds every phase by key; the targets are issue 8's.
var phaseSpecs = map[string]phaseSpec{
	"raw_sync":       {group: "append", name: "raw synchronous publish", unit: "events"},
	"raw_batch":      {group: "append", name: "raw atomic batches of 1,000", unit: "events"},
	"exec":           {group: "append", name: "exec of the history", unit: "events", ceiling: "raw_batch", minRatio: 0.5, maxRSSMiB: 400, maxRSSMiB100: 1024},
	"command_path":   {group: "append", name: "command path, one at a time", unit: "events", ceiling: "raw_sync", minRatio: 0.5},
	"import":         {group: "import", name: "import of a CSV register", unit: "events", ceiling: "raw_batch", minRatio: 0.5},
	"raw_read":       {group: "replay", name: "raw read + decode", unit: "events"},
	"rebuild_sqlite": {group: "replay", name: "rebuild into SQLite", unit: "events", ceiling: "raw_read", minRatio: 0.3, maxRSSMiB: 2048},
	"rebuild_pg":     {group: "replay", name: "rebuild into PostgreSQL", unit: "events", ceiling: "raw_read", minRatio: 0.2, maxRSSMiB: 2048},
	"as_of":          {group: "replay", name: "state --as-of mid-history", unit: "events", ceiling: "raw_read"},
	"raw_get":        {group: "query", name: "raw last message of a subject", unit: "loads"},
	"load":           {group: "query", name: "load one aggregate", unit: "loads", ceiling: "raw_get"},
	"workplan":       {group: "query", name: "one work plan", unit: "areas", maxSeconds: 1, maxSeconds100: 10}, // issue 16: under 1 s at 1×, 10 s at 100×
	"forecast":       {group: "query", name: "deterministic forecast", unit: "areas"},
	"monte_carlo_1k": {group: "query", name: "Monte Carlo, 1,000 trials", unit: "trial-areas", ceiling: "forecast"},
	// The forecast's ceiling is the deterministic forecast: the ratio is how
	// many trials run in the time of one deterministic forecast (per area).
	// Targets of issue 14: under 2 s at 1×, under 10 s at 100×, 10,000 trials.
	"monte_carlo": {group: "query", name: "Monte Carlo, 10,000 trials", unit: "trial-areas", ceiling: "forecast", maxSeconds: 2, maxSeconds100: 10},
}

// PhaseKeys lists the key of every phase the harness measures, sorted.
func PhaseKeys() []string {
	keys := make([]string, 0, len(phaseSpecs))
	for k := range phaseSpecs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
