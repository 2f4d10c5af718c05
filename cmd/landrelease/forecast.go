package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

func forecastVerb() verb {
	return verb{
		name:    "forecast",
		summary: "Article 5 completion forecast: deterministic and Monte Carlo",
		usage:   "forecast [--as-of DATE] [--as-recorded INSTANT] [--trials N] [--seed S] [--json]",
		help: `Forecasts when the last suspected (SHA) and confirmed (CHA) hazardous area
will be released, from the remaining area and the rates the recorded
history shows: the share of surveyed SHA cancelled, the share of worked CHA
reduced by technical survey, the survey rate, achieved clearance
productivity, new contamination found, and funding shortfalls (a recorded
shortfall removes the capacity it pays for). Steps month by month; with
--trials, a seeded Monte Carlo gives P10/P50/P90 completion dates and the
probability of meeting the Article 5 deadline. The model: docs/forecast.md.

--as-of DATE forecasts from what was known on that date: the field facts
(registrations, evidence, releases, reclassifications) that occurred by
then, and the plans on record (deployments with their future dates,
withdrawals, pledges, shortfalls, the Article 5 deadline and its
milestones) whatever their start date; a deadline with a decision date
after DATE is left out. The forecast starts the day after DATE (default:
the first of the month after the last recorded activity, whose month is
taken as reported in full). --as-recorded INSTANT keeps only
what had been recorded by that instant (RFC 3339, default now): with
--as-of, "what the database said then". --json prints every rate used.`,
		flags: func(fs *flag.FlagSet) any {
			o := &forecastOpts{cfg: projections.DefaultForecastConfig()}
			fs.StringVar(&o.asOf, "as-of", "", "forecast from what was known on this `date` (YYYY-MM-DD); the forecast starts the day after")
			fs.StringVar(&o.asRecorded, "as-recorded", "", "keep only events recorded by this `instant` (RFC 3339; default now)")
			fs.IntVar(&o.cfg.Trials, "trials", 10_000, "Monte Carlo `trials` (0: deterministic only)")
			fs.Uint64Var(&o.cfg.Seed, "seed", 1, "Monte Carlo `seed`")
			fs.IntVar(&o.cfg.DiscoveryYears, "discovery-years", o.cfg.DiscoveryYears, "`years` during which new contamination keeps being found")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			return o
		},
		run: runForecast,
	}
}

type forecastOpts struct {
	asOf       string
	asRecorded string
	cfg        projections.ForecastConfig
	json       bool
}

func runForecast(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*forecastOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease forecast: takes no arguments")
		return exitUsage
	}
	if opts.cfg.Trials < 0 || opts.cfg.Trials > 1_000_000 {
		fmt.Fprintln(a.stderr, "landrelease forecast: --trials must be between 0 and 1,000,000")
		return exitUsage
	}
	var keep func(events.Envelope) bool
	var recorded time.Time
	if opts.asRecorded != "" {
		t, err := time.Parse(time.RFC3339, opts.asRecorded)
		if err != nil {
			fmt.Fprintf(a.stderr, "landrelease forecast: --as-recorded: want an RFC 3339 instant such as 2021-06-30T00:00:00Z: %v\n", err)
			return exitUsage
		}
		recorded = t
		keep = projections.AsRecorded(t)
	}
	if opts.asOf != "" {
		d, err := events.ParseDate(opts.asOf)
		if err != nil {
			fmt.Fprintf(a.stderr, "landrelease forecast: --as-of: %v\n", err)
			return exitUsage
		}
		keep, opts.cfg.AsOf = projections.KnownAt(d, recorded), d.AddDays(1)
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "forecast", err)
	}
	defer eng.Close()
	fold, err := projections.Replay(ctx, eng.store, keep)
	if err != nil {
		return fail(a, "forecast", err)
	}
	if len(fold.Areas) == 0 {
		return fail(a, "forecast", fmt.Errorf("the history holds no hazard area to forecast (run 'landrelease demo' or exec some commands first)"))
	}
	f := projections.RunForecast(fold, opts.cfg)
	if opts.json {
		if err := writeJSON(a.stdout, f); err != nil {
			return fail(a, "forecast", err)
		}
		return exitOK
	}
	writeForecast(a.stdout, f)
	return exitOK
}

func dateOrNever(d *events.Date) string {
	if d == nil {
		return "not by the horizon"
	}
	return d.String()
}

func km2(v int64) string { return fmt.Sprintf("%.1f km²", float64(v)/1e6) }

func writeForecast(w io.Writer, f projections.Forecast) {
	fmt.Fprintf(w, "Article 5 forecast from %s\n", f.AsOf)
	fmt.Fprintf(w, "  remaining: %s (SHA %s, CHA %s)\n", km2(f.RemainingM2), km2(f.RemainingSHAM2), km2(f.RemainingCHAM2))
	if f.Deadline != nil {
		fmt.Fprintf(w, "  deadline: %s\n", f.Deadline)
	}
	fmt.Fprintf(w, "  deterministic completion: %s\n", dateOrNever(f.DeterministicCompletion))
	if f.Trials > 0 {
		fmt.Fprintf(w, "  Monte Carlo (%d trials, seed %d): P10 %s, P50 %s, P90 %s; probability of meeting the deadline %.0f%%\n",
			f.Trials, f.Seed, dateOrNever(f.Completion.P10), dateOrNever(f.Completion.P50), dateOrNever(f.Completion.P90), 100*f.ProbabilityByDeadline)
	}
	switch {
	case f.Deadline == nil:
		fmt.Fprintln(w, "  verdict: no Article 5 deadline recorded")
	case f.OnTrack:
		fmt.Fprintf(w, "  verdict: ON TRACK to meet the %s deadline\n", f.Deadline)
	default:
		rem := "?"
		if f.RemainingAtDeadlineM2 != nil {
			rem = km2(*f.RemainingAtDeadlineM2)
		}
		fmt.Fprintf(w, "  verdict: MISSES the %s deadline, with %s still to release at the end of %d\n", f.Deadline, rem, f.Deadline.Year())
	}
	r := f.Rates
	fmt.Fprintf(w, "  rates from %d–%d: NTS cancels %.0f%% of surveyed SHA, TS reduces %.0f%% of worked CHA, survey %s/yr, discovery %s/yr,\n",
		r.WindowFrom, r.WindowTo, 100*r.CancelShare, 100*r.ReduceShare, km2(int64(r.SurveyM2PerYear)), km2(int64(r.DiscoveryM2PerYear)))
	fmt.Fprintf(w, "         achieved %.0f%% of stated clearance capacity; capacity now %s/yr; shortfalls took %.0f%% of capacity a year\n",
		100*r.ProductivityFactor, km2(int64(r.CapacityAtAsOfM2Year)), 100*r.ShortfallShare)
	if len(f.Trajectory) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\n  year-end\tremaining\t")
		for i, y := range f.Trajectory {
			if i >= 25 {
				fmt.Fprintf(tw, "  …\t\t\n")
				break
			}
			fmt.Fprintf(tw, "  %d\t%s\t\n", y.Year, km2(y.RemainingM2))
		}
		tw.Flush()
	}
	if len(f.Milestones) > 0 {
		fmt.Fprintln(w, "\n  milestones (release per year):")
		for _, m := range f.Milestones {
			mark := "missed"
			if m.Met {
				mark = "met"
			}
			fmt.Fprintf(w, "    %d planned %s, %s %s: %s\n", m.Year, km2(m.PlannedReleaseM2), m.Basis, km2(m.ReleasedM2), mark)
		}
	}
}
