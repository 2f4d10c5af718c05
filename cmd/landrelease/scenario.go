package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios"
)

func scenarioVerb() verb {
	return verb{
		name:    "scenario",
		summary: "what-if forecasts (more deminers, a funding cut, faster survey) that never touch the recorded history",
		usage:   "scenario run|compare [--trials N] [--seed S] [--json] [FILE...]",
		help: `Runs what-if scenarios: each YAML file names a base (the whole history, or
the history as of a date) and hypothetical commands (DeployCapacity of
2,000 more deminers, a funding cut, faster non-technical survey). They are
applied to an in-memory copy of the history, never to the recorded stream,
and the Article 5 forecast is run on the result.

Levers a file may set (docs/forecast.md, "Scenario levers"):
  nts_cancel_share: 0.7          replaces the learned NTS cancellation share
  survey_capacity: {teams: 30}   NTS teams × m2_per_team_year (default 4 km²)
  qa_visits_per_year: 1200       a check printed with the forecast, not an input
  move: [{from: Battambang, to: Kampong Speu, deminers: 200, on: 2023-01-01}]

  run FILE...      the forecast of each scenario
  compare FILE...  the scenarios side by side with the baseline: completion
                   P50/P90, probability of meeting the deadline, remaining
                   at the deadline, cost to completion

Without FILE, the scenarios shipped in scenarios/*.yaml are used (baseline,
rcaf-2000, rcaf-2000-faster-nts, faster-nts, funding-cut-20).`,
		flags: func(fs *flag.FlagSet) any {
			o := &scenarioOpts{cfg: projections.DefaultForecastConfig()}
			fs.IntVar(&o.cfg.Trials, "trials", 2_000, "Monte Carlo `trials` per scenario")
			fs.Uint64Var(&o.cfg.Seed, "seed", 1, "Monte Carlo `seed`")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			return o
		},
		run: runScenario,
	}
}

type scenarioOpts struct {
	cfg  projections.ForecastConfig
	json bool
}

func runScenario(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*scenarioOpts)
	if len(args) == 0 || (args[0] != "run" && args[0] != "compare") {
		fmt.Fprintln(a.stderr, "landrelease scenario: want 'run' or 'compare', then scenario files\nRun 'landrelease scenario --help' for usage.")
		return exitUsage
	}
	mode, files := args[0], args[1:]
	now := time.Now()
	var scs []scenarios.Scenario
	if len(files) == 0 {
		var err error
		if scs, err = scenarios.Shipped(now); err != nil {
			return fail(a, "scenario", err)
		}
	}
	for _, f := range files {
		sc, err := scenarios.LoadFile(f, now)
		if err != nil {
			return fail(a, "scenario", err)
		}
		scs = append(scs, sc)
	}
	if mode == "compare" && (len(scs) == 0 || scs[0].Name != "baseline") {
		base, err := scenarios.Shipped(now)
		if err != nil {
			return fail(a, "scenario", err)
		}
		scs = append([]scenarios.Scenario{base[0]}, scs...)
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "scenario", err)
	}
	defer eng.Close()
	r := scenarios.Runner{Source: eng.store, Country: a.g.country, Now: time.Now, Forecast: opts.cfg}
	var results []scenarios.Result
	for _, sc := range scs {
		res, err := r.Run(ctx, sc)
		if err != nil {
			return fail(a, "scenario", err)
		}
		results = append(results, res)
	}
	if opts.json {
		if err := writeJSON(a.stdout, queries.Comparison{Scenarios: results}); err != nil {
			return fail(a, "scenario", err)
		}
		return exitOK
	}
	if mode == "run" {
		for _, res := range results {
			fmt.Fprintf(a.stdout, "== %s: %s\n", res.Name, res.Description)
			writeForecast(a.stdout, res.Forecast)
			writeQACheck(a.stdout, res)
			fmt.Fprintln(a.stdout)
		}
		return exitOK
	}
	writeComparison(a.stdout, results)
	return exitOK
}

func writeComparison(w io.Writer, results []scenarios.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tcompletion\tP50\tP90\tP(deadline)\tremaining at deadline\tcost to completion\tvs baseline")
	var base *projections.Forecast
	for i, r := range results {
		f := r.Forecast
		if i == 0 {
			base = &results[0].Forecast
		}
		rem := "-"
		if f.RemainingAtDeadlineM2 != nil {
			rem = km2(*f.RemainingAtDeadlineM2)
		}
		delta := ""
		if i > 0 && base.DeterministicCompletion != nil && f.DeterministicCompletion != nil {
			months := (f.DeterministicCompletion.Year()-base.DeterministicCompletion.Year())*12 +
				int(f.DeterministicCompletion.Time().Month()) - int(base.DeterministicCompletion.Time().Month())
			delta = fmt.Sprintf("%+d months", months)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f%%\t%s\tUS$ %s\t%s\n", r.Name, dateOrNever(f.DeterministicCompletion),
			dateOrNever(f.Completion.P50), dateOrNever(f.Completion.P90), 100*f.ProbabilityByDeadline, rem, m2(f.CostToCompletionUSD), delta)
	}
	tw.Flush()
	if len(results) > 0 && results[0].Forecast.Deadline != nil {
		fmt.Fprintf(w, "deadline: %s\n", results[0].Forecast.Deadline)
	}
	for _, r := range results {
		writeQACheck(w, r)
	}
}

// writeQACheck prints a scenario's QA capacity check (qa_visits_per_year),
// the busiest year first: a check only, the forecast has no QA model.
func writeQACheck(w io.Writer, r scenarios.Result) {
	q := r.QA
	if q == nil {
		return
	}
	fmt.Fprintf(w, "QA check (%s): %d QA visits a year; %s\n", r.Name, q.VisitsPerYear, q.Note)
	for _, y := range q.Years {
		fmt.Fprintf(w, "  %d: %s released, %s m² per QA visit\n", y.Year, km2(y.ReleasedM2), m2(y.M2PerVisit))
	}
}
