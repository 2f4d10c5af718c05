package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

func backtestVerb() verb {
	return verb{
		name:    "backtest",
		summary: "how well the forecast would have done: each year forecast from the year before, compared with the record",
		usage:   "backtest [--from YEAR] [--to YEAR] [--trials N] [--seed S] [--redeploy POLICY] [--as-recorded INSTANT] [--json]",
		help: `For each year N from --from to --to, forecasts from what was known at the
end of N−1 (field facts that occurred by then, plans on record: see
'forecast --as-of') and compares with what was recorded in N: land
released by method (cancelled, reduced, cleared), the Article 5 area
remaining at the year's end, and how far the completion estimate moved.
Reports each year's error, the mean absolute percentage error (MAPE) and
the calibration of the Monte Carlo P10–P90 band (the share of years whose
actual remaining area fell inside it; 80% for a well-calibrated band).
Default years: the second year of the register to the last year with a
record.`,
		flags: func(fs *flag.FlagSet) any {
			o := &backtestOpts{cfg: projections.DefaultForecastConfig()}
			fs.IntVar(&o.from, "from", 0, "first `year` tested (forecast from the end of the year before)")
			fs.IntVar(&o.to, "to", 0, "last `year` tested")
			fs.IntVar(&o.cfg.Trials, "trials", 1_000, "Monte Carlo `trials` per year (0: no band, no calibration)")
			fs.Uint64Var(&o.cfg.Seed, "seed", 1, "Monte Carlo `seed`")
			fs.StringVar(&o.cfg.Redeploy, "redeploy", o.cfg.Redeploy, "redeployment `policy`: none, nearest, largest or pool")
			fs.StringVar(&o.asRecorded, "as-recorded", "", "keep only events recorded by this `instant` (RFC 3339; default now)")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			return o
		},
		run: runBacktest,
	}
}

type backtestOpts struct {
	from, to   int
	cfg        projections.ForecastConfig
	asRecorded string
	json       bool
}

func runBacktest(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*backtestOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease backtest: takes no arguments")
		return exitUsage
	}
	if opts.cfg.Trials < 0 || opts.cfg.Trials > 100_000 {
		fmt.Fprintln(a.stderr, "landrelease backtest: --trials must be between 0 and 100,000")
		return exitUsage
	}
	if (opts.from != 0 && (opts.from < 1990 || opts.from > 2100)) || (opts.to != 0 && (opts.to < 1990 || opts.to > 2100)) ||
		(opts.from != 0 && opts.to != 0 && opts.from > opts.to) {
		fmt.Fprintf(a.stderr, "landrelease backtest: --from %d --to %d: want years between 1990 and 2100, from ≤ to\n", opts.from, opts.to)
		return exitUsage
	}
	recorded, _, err := forecastSettings("", opts.asRecorded, &opts.cfg)
	if err != nil {
		fmt.Fprintf(a.stderr, "landrelease backtest: %v\n", err)
		return exitUsage
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "backtest", err)
	}
	defer eng.Close()
	knownAt := func(d events.Date) (*projections.National, error) {
		return projections.Replay(ctx, eng.store, projections.KnownAt(d, recorded))
	}
	bt, err := projections.RunBacktest(knownAt, projections.BacktestConfig{From: opts.from, To: opts.to, Forecast: opts.cfg})
	if err != nil {
		return fail(a, "backtest", err)
	}
	if opts.json {
		if err := writeJSON(a.stdout, bt); err != nil {
			return fail(a, "backtest", err)
		}
		return exitOK
	}
	writeBacktest(a.stdout, bt)
	return exitOK
}

func writeBacktest(w io.Writer, bt queries.Backtest) {
	fmt.Fprintf(w, "Backtest: each year forecast from the end of the year before (capacity redeployed: %s, %d trials)\n\n", bt.Redeploy, bt.Trials)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "year\tcancelled f/a\treduced f/a\tcleared f/a\trelease err\tArticle 5 left f/a\tP10–P90\tinside\tleft err\tcompletion\tmoved\t")
	for _, y := range bt.Years {
		moved := "—"
		if y.CompletionMoveMonths != nil {
			moved = fmt.Sprintf("%+d mo", *y.CompletionMoveMonths)
		}
		in := "no"
		if y.InsideBand {
			in = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s / %s\t%s / %s\t%s / %s\t%+.1f%%\t%s / %s\t%s–%s\t%s\t%+.1f%%\t%s\t%s\t\n", y.Year,
			km2(y.ForecastCancelledM2), km2(y.ActualCancelledM2), km2(y.ForecastReducedM2), km2(y.ActualReducedM2),
			km2(y.ForecastClearedM2), km2(y.ActualClearedM2), y.ReleaseErrorPct,
			km2(y.ForecastRemainingM2), km2(y.ActualRemainingM2), km2(y.LowM2), km2(y.HighM2), in, y.RemainingErrorPct,
			shortDate(dateOrNever(y.Completion)), moved)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nMAPE: remaining %.1f%%, release %.1f%%", bt.RemainingMAPE, bt.ReleaseMAPE)
	if bt.Calibration != nil {
		fmt.Fprintf(w, "; calibration: %.0f%% of years inside P10–P90 (80%% expected)", 100**bt.Calibration)
	}
	fmt.Fprintln(w)
}
