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

func forecastVerb() verb {
	return verb{
		name:    "forecast",
		summary: "Article 5 completion forecast: deterministic and Monte Carlo",
		usage:   "forecast [--as-of DATE] [--as-recorded INSTANT] [--redeploy POLICY] [--funding renewed|ends] [--trials N] [--seed S] [--json]",
		help: `Forecasts when the last suspected (SHA) and confirmed (CHA) area with
anti-personnel mines (the Article 5 area: hazard AP or MIXED) will be
released, province by province, from the remaining area and the rates the recorded
history shows: the share of surveyed SHA cancelled, the share of worked CHA
reduced by technical survey, the survey rate, achieved clearance
productivity, new contamination found, and funding shortfalls (a recorded
shortfall removes the capacity it pays for). Steps month by month; with
--trials, a seeded Monte Carlo gives P10/P50/P90 completion dates and the
probability of meeting the Article 5 deadline, nationally and per province.
Each province's area is worked by the deployments in that province; the
nation completes with its last province. When a province is done, its
capacity follows --redeploy: none (it stays, works the province's AT/ERW
area, then is stranded), nearest (to the nearest province with Article 5
area left), largest (to the province with the most left), or pool (one
national pool, for comparison). --funding says what happens after the last
year with a pledge: renewed (deployments go on) or ends (each stops after
the last year its operator has a pledge for). AT/ERW-only area is forecast on its own
line; Article 5 area found after its province completed is reported as
residual contamination per year. The model: docs/forecast.md.

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
			fs.StringVar(&o.cfg.Redeploy, "redeploy", o.cfg.Redeploy, "redeployment `policy` of a finished province's capacity: none, nearest, largest or pool")
			fs.StringVar(&o.cfg.Funding, "funding", projections.FundingRenewed, "capacity after the last pledged year: renewed (goes on) or ends (stops with its funding)")
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
	_, keep, err := forecastSettings(opts.asOf, opts.asRecorded, &opts.cfg)
	if err != nil {
		fmt.Fprintf(a.stderr, "landrelease forecast: %v\n", err)
		return exitUsage
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
	writePolicies(a.stdout, fold, opts.cfg, f)
	return exitOK
}

func dateOrNever(d *events.Date) string {
	if d == nil {
		return "not by the horizon"
	}
	return d.String()
}

// usdM writes US$ in millions, signed.
func usdM(v int64) string { return fmt.Sprintf("%.1fM", float64(v)/1e6) }

func km2(v int64) string { return fmt.Sprintf("%.1f km²", float64(v)/1e6) }

func writeForecast(w io.Writer, f queries.Forecast) {
	fmt.Fprintf(w, "Article 5 forecast from %s (area with AP mines; capacity redeployed: %s)\n", f.AsOf, f.Redeploy)
	fmt.Fprintf(w, "  remaining: %s (SHA %s, CHA %s); AT/ERW-only area %s on its own line\n",
		km2(f.RemainingM2), km2(f.RemainingSHAM2), km2(f.RemainingCHAM2), km2(f.OtherRemainingM2))
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
	if f.OtherRemainingM2 > 0 {
		if f.OtherCompletion != nil {
			fmt.Fprintf(w, "  AT/ERW-only area: %s, released by %s\n", km2(f.OtherRemainingM2), f.OtherCompletion)
		} else {
			fmt.Fprintf(w, "  AT/ERW-only area: %s, not released by the horizon\n", km2(f.OtherRemainingM2))
		}
	}
	if len(f.ResidualM2PerYear) > 0 {
		fmt.Fprintf(w, "  residual contamination (Article 5 area expected to be found after its province completed):")
		for _, r := range f.ResidualM2PerYear {
			fmt.Fprintf(w, " %d %s", r.Year, km2(r.M2))
		}
		fmt.Fprintln(w)
	}
	if len(f.FundingGap) > 0 {
		fmt.Fprintf(w, "  cost to completion: US$ %s (fixed costs, and variable costs of the capacity that works); funding gap (cost − pledged) per year:", usdM(f.CostToCompletionUSD))
		for i, g := range f.FundingGap {
			if i >= 12 {
				fmt.Fprint(w, " …")
				break
			}
			fmt.Fprintf(w, " %d %s", g.Year, usdM(g.GapUSD))
		}
		fmt.Fprintln(w)
	}
	r := f.Rates
	fmt.Fprintf(w, "  rates from %d–%d: NTS cancels %.0f%% of surveyed SHA, TS reduces %.0f%% of worked CHA, survey %s/yr, discovery %s/yr (%.0f%% AP),\n",
		r.WindowFrom, r.WindowTo, 100*r.CancelShare, 100*r.ReduceShare, km2(int64(r.SurveyM2PerYear)), km2(int64(r.DiscoveryM2PerYear)), 100*r.Article5Discovery)
	fmt.Fprintf(w, "         achieved %.0f%% of stated clearance capacity; capacity now %s/yr; shortfalls took %.0f%% of capacity a year\n",
		100*r.ProductivityFactor, km2(int64(r.CapacityAtAsOfM2Year)), 100*r.ShortfallShare)
	if f.Trials > 0 {
		sp := r.Spread
		fmt.Fprintf(w, "  spread (year-to-year CV, %d years): productivity %.0f%%, cancel share %.0f%%, reduce share %.0f%%, survey %.0f%%, discovery %.0f%%; SHA without evidence %.0f%% (%d of %d such areas surveyed were cancelled)\n",
			r.SpreadYears, 100*sp.Productivity, 100*sp.CancelShare, 100*sp.ReduceShare, 100*sp.SurveyRate, 100*sp.Discovery,
			100*r.NoEvidence.RemainingShare, r.NoEvidence.Cancelled, r.NoEvidence.Surveyed)
	}
	if len(f.Provinces) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\n  province\tArticle 5 left\tcapacity/yr\tyears of own capacity\tcompletion\tP10\tP90\tby deadline\tstranded capacity\t")
		for _, p := range f.Provinces {
			years := "—"
			if p.CapacityM2PerYear > 0 {
				years = fmt.Sprintf("%.1f", float64(p.ClearanceWorkM2)/float64(p.CapacityM2PerYear))
			}
			done := dateOrNever(p.DeterministicCompletion)
			if p.Done {
				done = "done"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f%%\t%s\t\n", p.Province, km2(p.RemainingM2), km2(p.CapacityM2PerYear), years,
				shortDate(done), shortDate(dateOrNever(p.Completion.P10)), shortDate(dateOrNever(p.Completion.P90)), 100*p.ProbabilityByDeadline, km2(p.StrandedM2))
		}
		tw.Flush()
	}
	if len(f.Trajectory) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\n  year-end\tArticle 5 left\tAT/ERW left\t")
		for i, y := range f.Trajectory {
			if i >= 25 {
				fmt.Fprintf(tw, "  …\t\t\t\n")
				break
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t\n", y.Year, km2(y.RemainingM2), km2(y.OtherM2))
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

// shortDate keeps a table narrow: "never" for the long form.
func shortDate(s string) string {
	if s == "not by the horizon" {
		return "never"
	}
	return s
}

// writePolicies compares the deterministic national completion under each
// redeployment policy (cheap: no trials).
func writePolicies(w io.Writer, fold *projections.National, cfg projections.ForecastConfig, f queries.Forecast) {
	cfg.Trials, cfg.AsOf = 0, f.AsOf
	fmt.Fprint(w, "\n  national completion by redeployment policy:")
	for _, p := range projections.RedeployPolicies {
		c := cfg
		c.Redeploy = p
		g := projections.RunForecast(fold, c)
		fmt.Fprintf(w, " %s %s (stranded %s);", p, shortDate(dateOrNever(g.DeterministicCompletion)), km2(g.StrandedM2))
	}
	fmt.Fprintln(w)
}
