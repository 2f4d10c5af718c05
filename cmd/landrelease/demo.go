package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios"
	"github.com/landrelease/landrelease/scenarios/cambodia"
)

func demoVerb() verb {
	return verb{
		name:    "demo",
		summary: "load the Cambodia demo history and show the national picture and the Article 5 forecast",
		usage:   "demo [--trials N] [--no-scenarios] [--serve [--http ADDR] [--insecure-local]]",
		help: `Loads the shipped Cambodia demo history (scenarios/cambodia/demo.yaml,
expanded by a fixed-seed generator into about 5,000 hazard areas in 12
provinces, the operators and deployments, funding and shortfalls, and the
Article 5 deadline, from 2018 to the end of 2021) into the configured event
store. Loading is idempotent: every command has a fixed command_id, so a
second run adds nothing. Then it brings the read model up to date and
prints the national picture, capacity and funding, the Article 5 forecast
with its deadline verdict, and the shipped what-if scenarios side by side.
The figures follow DOMAIN.md section 5: sourced where marked [S], invented
where marked [I].

With --serve it then serves the API and the dashboard, as 'landrelease
serve' does (--http, --insecure-local; see 'landrelease serve --help').`,
		flags: func(fs *flag.FlagSet) any {
			o := &demoOpts{}
			fs.IntVar(&o.trials, "trials", 10_000, "Monte Carlo `trials` of the forecast")
			fs.BoolVar(&o.noScenarios, "no-scenarios", false, "skip the scenario comparison")
			fs.BoolVar(&o.serve, "serve", false, "then serve the API and the dashboard until interrupted")
			fs.StringVar(&o.serveOpts.http, "http", "127.0.0.1:8080", "with --serve: listen on `host:port`")
			fs.BoolVar(&o.serveOpts.insecureLocal, "insecure-local", false, "with --serve: no tokens, everyone the admin \"local\", loopback only")
			return o
		},
		run: runDemo,
	}
}

type demoOpts struct {
	trials      int
	noScenarios bool
	serve       bool
	serveOpts   serveOpts
}

func runDemo(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*demoOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease demo: takes no arguments")
		return exitUsage
	}
	code := loadAndShowDemo(ctx, a, opts)
	if code != exitOK || !opts.serve {
		return code
	}
	opts.serveOpts.bus = "local"
	if a.g.natsURL != "" {
		opts.serveOpts.bus = "nats"
	}
	if !opts.serveOpts.insecureLocal {
		fmt.Fprintln(a.stderr, "landrelease demo: the dashboard asks for a token: stop here and run 'landrelease token create --role planner --name NAME',\n"+
			"or run 'landrelease demo --serve --insecure-local' to look around on this machine without tokens.")
	}
	if err := serve(ctx, a, &opts.serveOpts); err != nil {
		return fail(a, "demo", err)
	}
	return exitOK
}

// loadAndShowDemo loads the demo history and prints the national picture.
func loadAndShowDemo(ctx context.Context, a *app, opts *demoOpts) int {
	start := time.Now()
	spec, err := cambodia.DefaultSpec()
	if err != nil {
		return fail(a, "demo", err)
	}
	cmds, err := cambodia.Generate(spec)
	if err != nil {
		return fail(a, "demo", err)
	}
	rm, err := openReadModel(ctx, a)
	if err != nil {
		return fail(a, "demo", err)
	}
	defer rm.Close()
	if err := rm.handler.Warm(ctx); err != nil {
		return fail(a, "demo", err)
	}
	bar := newProgress(a.stderr, int64(len(cmds)), "loading the demo history")
	var applied, dup, refused int
	const chunk = 5000
	for i := 0; i < len(cmds); i += chunk {
		end := min(i+chunk, len(cmds))
		for _, out := range rm.handler.HandleBatch(ctx, cmds[i:end], nil) {
			switch {
			case out.Err != nil:
				refused++
				if refused <= 5 {
					fmt.Fprintf(a.stderr, "landrelease demo: %s %s refused: %v\n", out.Command, out.CommandID, out.Err)
				}
			case out.Duplicate:
				dup++
			default:
				applied++
			}
		}
		if bar != nil {
			_ = bar.Set(end)
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if err := ctx.Err(); err != nil {
		return fail(a, "demo", err)
	}
	fmt.Fprintf(a.stdout, "Cambodia demo history: %d commands, %d applied now, %d already in the history, %d refused (%s)\n\n",
		len(cmds), applied, dup, refused, time.Since(start).Round(time.Millisecond))
	if err := rm.catchUp(ctx, a.stderr, false); err != nil {
		return fail(a, "demo", err)
	}
	fold, err := projections.Replay(ctx, rm.store, nil)
	if err != nil {
		return fail(a, "demo", err)
	}
	s := projections.Summarize(fold)
	writeState(a.stdout, queries.State{Sequence: fold.Sequence, National: s.National, Provinces: s.Provinces, Years: projections.ByYear(fold.Stats)})
	fmt.Fprintln(a.stdout)
	writeCapacity(a.stdout, fold)
	fmt.Fprintln(a.stdout)
	fc := projections.DefaultForecastConfig()
	fc.Trials = opts.trials
	writeForecast(a.stdout, projections.RunForecast(fold, fc))
	if !opts.noScenarios {
		scs, err := scenarios.Shipped(time.Now())
		if err != nil {
			return fail(a, "demo", err)
		}
		fc.Trials = min(opts.trials, 1000)
		r := scenarios.Runner{Source: rm.store, Country: a.g.country, Now: time.Now, Forecast: fc}
		var results []scenarios.Result
		for _, sc := range scs {
			res, err := r.Run(ctx, sc)
			if err != nil {
				return fail(a, "demo", err)
			}
			results = append(results, res)
		}
		fmt.Fprintf(a.stdout, "\nWhat-if scenarios (%d trials each; landrelease scenario compare --help):\n", fc.Trials)
		writeComparison(a.stdout, results)
	}
	fmt.Fprintf(a.stdout, "\nDone in %s. Next: landrelease state --as-of 2020-01-01, landrelease audit --flag NO_EVIDENCE,\n"+
		"landrelease workplan --province Battambang --year 2022, landrelease forecast --json.\n", time.Since(start).Round(time.Millisecond))
	if refused > 0 {
		return exitRefused
	}
	return exitOK
}

// writeCapacity prints deployments by operator and funding by year.
func writeCapacity(w io.Writer, n *projections.National) {
	type op struct {
		deminers, women, active int
		cost                    int64
	}
	ops := map[string]*op{}
	for _, d := range n.Deployments {
		if d.Withdrawn {
			continue
		}
		o := ops[d.Operator]
		if o == nil {
			o = &op{}
			ops[d.Operator] = o
		}
		o.deminers += d.Deminers
		o.women += d.Women
		o.active++
		o.cost += d.AnnualCostUSD
	}
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "Clearance capacity in the field (active deployments)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operator\tdeployments\tdeminers\twomen\tannual cost US$\t")
	var t op
	for _, k := range names {
		o := ops[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", k, o.active, o.deminers, o.women, m2(o.cost))
		t.active += o.active
		t.deminers += o.deminers
		t.women += o.women
		t.cost += o.cost
	}
	fmt.Fprintf(tw, "Total\t%d\t%d\t%d\t%s\t\n", t.active, t.deminers, t.women, m2(t.cost))
	tw.Flush()
	pledged, short := map[int]int64{}, map[int]int64{}
	var years []int
	for _, p := range n.Pledges {
		if pledged[p.Year] == 0 && short[p.Year] == 0 {
			years = append(years, p.Year)
		}
		pledged[p.Year] += p.AmountUSD
	}
	for _, s := range n.Shortfalls {
		if pledged[s.Year] == 0 && short[s.Year] == 0 {
			years = append(years, s.Year)
		}
		short[s.Year] += s.AmountUSD
	}
	sort.Ints(years)
	fmt.Fprintln(w, "\nFunding (US$)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "year\tpledged\tshortfalls\t")
	for _, y := range years {
		fmt.Fprintf(tw, "%d\t%s\t%s\t\n", y, m2(pledged[y]), m2(short[y]))
	}
	tw.Flush()
}
