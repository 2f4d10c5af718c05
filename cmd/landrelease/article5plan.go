package main

import (
	"context"
	"flag"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

func article5PlanVerb() verb {
	return verb{
		name:    "article5-plan",
		summary: "the costed multi-year work plan of an Article 5 extension request (table, JSON, CSV or printable HTML)",
		usage:   "article5-plan [--as-of DATE] [--as-recorded INSTANT] [--redeploy POLICY] [--funding renewed|ends] [--format table|json|csv|html]",
		help: `The work plan an Article 5 extension request carries (Oslo Action Plan
Action 23): year by year to completion, by province and by method (area
cancelled by non-technical survey, reduced by technical survey, cleared),
with the deminers and deployments at work, the clearance capacity, the cost,
the funding pledged and the gap, and the assumptions and risks of the model
(the rates learned from the record and their spreads, the redeployment
policy, the funding setting).

It is the forecast's own deterministic run ('landrelease forecast' with the
same flags), read month by month and province by province: its year-end
areas are the forecast's trajectory, its release per year and its cost, pledges and
gap the forecast's, so the two never disagree. Pledges naming a province
count there; pledges naming only an operator are shared among that
operator's deployments active that year in proportion to their annual
cost; the rest is national (unattributed).

--as-of, --as-recorded, --redeploy and --funding are the forecast's (see
'landrelease forecast --help'). --format html writes a self-contained
printable page (no external resources; print it to PDF from a browser).
The model and the document: docs/article5-plan.md and docs/forecast.md.
The HTTP API serves the same document at GET /api/v1/article5-plan
(docs/api.md); the dashboard's "Extension request" page shows it.`,
		flags: func(fs *flag.FlagSet) any {
			o := &article5PlanOpts{cfg: projections.DefaultForecastConfig()}
			fs.StringVar(&o.asOf, "as-of", "", "plan from what was known on this `date` (YYYY-MM-DD); the plan starts the day after")
			fs.StringVar(&o.asRecorded, "as-recorded", "", "keep only events recorded by this `instant` (RFC 3339; default now)")
			fs.IntVar(&o.cfg.DiscoveryYears, "discovery-years", o.cfg.DiscoveryYears, "`years` during which new contamination keeps being found")
			fs.StringVar(&o.cfg.Redeploy, "redeploy", o.cfg.Redeploy, "redeployment `policy` of a finished province's capacity: none, nearest, largest or pool")
			fs.StringVar(&o.cfg.Funding, "funding", projections.FundingRenewed, "capacity after the last pledged year: renewed (goes on) or ends (stops with its funding)")
			fs.StringVar(&o.format, "format", "table", "output `format`: table, json, csv or html")
			return o
		},
		run: runArticle5Plan,
	}
}

type article5PlanOpts struct {
	asOf, asRecorded, format string
	cfg                      projections.ForecastConfig
}

func runArticle5Plan(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*article5PlanOpts)
	const name = "article5-plan"
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease article5-plan: takes no arguments")
		return exitUsage
	}
	switch opts.format {
	case "table", "json", "csv", "html":
	default:
		fmt.Fprintf(a.stderr, "landrelease article5-plan: --format %q: want table, json, csv or html\n", opts.format)
		return exitUsage
	}
	_, keep, err := forecastSettings(opts.asOf, opts.asRecorded, &opts.cfg)
	if err != nil {
		fmt.Fprintf(a.stderr, "landrelease article5-plan: %v\n", err)
		return exitUsage
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, name, err)
	}
	defer eng.Close()
	fold, err := projections.Replay(ctx, eng.store, keep)
	if err != nil {
		return fail(a, name, err)
	}
	if len(fold.Areas) == 0 {
		return fail(a, name, fmt.Errorf("the history holds no hazard area to plan (run 'landrelease demo' or exec some commands first)"))
	}
	plan, err := queries.Article5PlanOf(fold, opts.cfg)
	if err != nil {
		return fail(a, name, err)
	}
	switch opts.format {
	case "json":
		err = writeJSON(a.stdout, plan)
	case "csv":
		err = writeArticle5PlanCSV(a.stdout, plan)
	case "html":
		err = article5PlanHTML.Execute(a.stdout, plan)
	default:
		writeArticle5PlanTable(a.stdout, plan)
	}
	if err != nil {
		return fail(a, name, err)
	}
	return exitOK
}

func milestoneText(v *int64) string {
	if v == nil {
		return "—"
	}
	return km2(*v)
}

func writeArticle5PlanTable(w io.Writer, p queries.Article5Plan) {
	fmt.Fprintf(w, "Article 5 extension-request work plan from %s (area with AP mines; capacity redeployed: %s; funding after pledges: %s)\n",
		p.AsOf, p.Assumptions.Redeploy, p.Assumptions.Funding)
	fmt.Fprintf(w, "  remaining: %s (SHA %s, CHA %s)\n", km2(p.RemainingM2), km2(p.RemainingSHAM2), km2(p.RemainingCHAM2))
	fmt.Fprintf(w, "  completion: %s", dateOrNever(p.DeterministicCompletion))
	if p.Deadline != nil {
		verdict := "MISSES"
		if p.OnTrack {
			verdict = "meets"
		}
		fmt.Fprintf(w, "; %s the deadline %s", verdict, p.Deadline)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  cost to completion US$ %s, pledged US$ %s, gap US$ %s\n", usdM(p.CostToCompletionUSD), usdM(p.PledgedUSD), usdM(p.GapUSD))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\n  year\tstart\tfound\tNTS cancelled\tTS reduced\tcleared\tend\tmilestone\tAT/ERW released\tdeminers\tdeployments\tcost US$\tpledged US$\tgap US$\t")
	for _, y := range p.Years {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%d\t%s\t%s\t%s\t\n", y.Year, km2(y.StartM2), km2(y.FoundM2), km2(y.CancelledM2), km2(y.ReducedM2),
			km2(y.ClearedM2), km2(y.EndM2), milestoneText(y.MilestoneM2), km2(y.OtherReleasedM2), y.Deminers, y.Teams, usdM(y.CostUSD), usdM(y.PledgedUSD), usdM(y.GapUSD))
	}
	tw.Flush()
	fmt.Fprintln(w, "\n  by province (Article 5 area; release by method; resources; money):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  year\tprovince\tstart\tNTS cancelled\tTS reduced\tcleared\tend\tAT/ERW released\tdeminers\tdeployments\tcost US$\tpledged US$\tgap US$\t\t")
	for _, y := range p.Years {
		for _, r := range y.Provinces {
			done := ""
			if r.Completes {
				done = "completes"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%d\t%s\t%s\t%s\t%s\t\n", y.Year, r.Province, km2(r.StartM2), km2(r.CancelledM2), km2(r.ReducedM2),
				km2(r.ClearedM2), km2(r.EndM2), km2(r.OtherReleasedM2), r.Deminers, r.Teams, usdM(r.CostUSD), usdM(r.PledgedUSD), usdM(r.GapUSD), done)
		}
		if y.UnattributedUSD != 0 {
			fmt.Fprintf(tw, "  %d\t(not tied to a province)\t\t\t\t\t\t\t\t\t\t%s\t\t\t\n", y.Year, usdM(y.UnattributedUSD))
		}
	}
	tw.Flush()
	as, r := p.Assumptions, p.Assumptions.Rates
	fmt.Fprintln(w, "\n  assumptions:")
	fmt.Fprintf(w, "    rates learned from %d–%d: NTS cancels %.0f%% of surveyed SHA (spread %.0f%%), TS reduces %.0f%% of worked CHA (spread %.0f%%),\n",
		r.WindowFrom, r.WindowTo, 100*r.CancelShare, 100*as.Spread.CancelShare, 100*r.ReduceShare, 100*as.Spread.ReduceShare)
	fmt.Fprintf(w, "    survey %s/yr (spread %.0f%%), discovery %s/yr for %d years (%.0f%% AP; spread %.0f%%), achieved %.0f%% of stated clearance capacity (spread %.0f%%)\n",
		km2(int64(r.SurveyM2PerYear)), 100*as.Spread.SurveyRate, km2(int64(r.DiscoveryM2PerYear)), as.DiscoveryYears, 100*r.Article5Discovery, 100*as.Spread.Discovery,
		100*r.ProductivityFactor, 100*as.Spread.Productivity)
	fmt.Fprintf(w, "    redeployment %s: %s\n", as.Redeploy, as.RedeployMeans)
	fmt.Fprintf(w, "    funding %s: %s\n", as.Funding, as.FundingMeans)
	fmt.Fprintf(w, "    cost: %.0f%% of a deployment's annual cost is fixed, the rest varies with the capacity that works\n", 100*as.FixedCostShare)
	fmt.Fprintln(w, "  risks:")
	for _, s := range p.Risks {
		fmt.Fprintf(w, "    - %s\n", s)
	}
}

func writeArticle5PlanCSV(w io.Writer, p queries.Article5Plan) error {
	cw := exchange.NewCSVWriter(w)
	cw.Write([]string{"level", "year", "province", "start_m2", "found_m2", "nts_cancelled_m2", "ts_reduced_m2", "cleared_m2", "end_m2",
		"other_released_m2", "deminers", "deployments", "clearance_capacity_m2", "cost_usd", "pledged_usd", "gap_usd", "milestone_release_m2", "completes"})
	f1 := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	for _, y := range p.Years {
		ms := ""
		if y.MilestoneM2 != nil {
			ms = i64(*y.MilestoneM2)
		}
		cw.Write([]string{"national", strconv.Itoa(y.Year), "", i64(y.StartM2), i64(y.FoundM2), i64(y.CancelledM2), i64(y.ReducedM2), i64(y.ClearedM2), i64(y.EndM2),
			i64(y.OtherReleasedM2), f1(y.Deminers), strconv.Itoa(y.Teams), i64(y.CapacityM2), i64(y.CostUSD), i64(y.PledgedUSD), i64(y.GapUSD), ms, ""})
		for _, r := range y.Provinces {
			cw.Write([]string{"province", strconv.Itoa(y.Year), r.Province, i64(r.StartM2), i64(r.FoundM2), i64(r.CancelledM2), i64(r.ReducedM2), i64(r.ClearedM2), i64(r.EndM2),
				i64(r.OtherReleasedM2), f1(r.Deminers), strconv.Itoa(r.Teams), i64(r.CapacityM2), i64(r.CostUSD), i64(r.PledgedUSD), i64(r.GapUSD), "", strconv.FormatBool(r.Completes)})
		}
		if y.UnattributedUSD != 0 {
			cw.Write([]string{"unattributed", strconv.Itoa(y.Year), "", "", "", "", "", "", "", "", "", "", "", "", i64(y.UnattributedUSD), "", "", ""})
		}
	}
	cw.Flush()
	return cw.Error()
}

var article5PlanHTML = template.Must(template.New("a5plan").Funcs(template.FuncMap{
	"km2":  km2,
	"usd":  usdM,
	"pct":  func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"date": dateOrNever,
	"ms":   milestoneText,
	"f0":   func(f float64) string { return fmt.Sprintf("%.0f", f) },
	"km2f": func(f float64) string { return km2(int64(f)) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
` + printedNarrowHead + `
<title>Article 5 extension request: work plan from {{.AsOf}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.85em}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left}td.n{text-align:right}
th{background:#eee}.gap{color:#b00}.year{background:#f6f6f6;font-weight:bold}
@media print{body{margin:0}h2{page-break-after:avoid}tr{page-break-inside:avoid}}
</style></head><body>
<h1>Article 5 extension request — costed multi-year work plan</h1>
<p>From {{.AsOf}}: {{km2 .RemainingM2}} of area with anti-personnel mines (SHA {{km2 .RemainingSHAM2}}, CHA {{km2 .RemainingCHAM2}}).
Completion forecast: {{date .DeterministicCompletion}}{{with .Deadline}}; deadline in force {{.}}{{end}}{{if .Deadline}} ({{if .OnTrack}}met{{else}}missed{{end}}){{end}}.
Cost to completion US$ {{usd .CostToCompletionUSD}}; pledged US$ {{usd .PledgedUSD}}; gap US$ {{usd .GapUSD}}.</p>
<h2>Year by year</h2>
<table><tr><th>Year</th><th>Start</th><th>Found</th><th>Cancelled by NTS</th><th>Reduced by TS</th><th>Cleared</th><th>End</th><th>Milestone</th><th>AT/ERW released</th><th>Deminers</th><th>Deployments</th><th>Cost US$</th><th>Pledged US$</th><th>Gap US$</th></tr>
{{range .Years}}<tr><td>{{.Year}}</td><td class="n">{{km2 .StartM2}}</td><td class="n">{{km2 .FoundM2}}</td><td class="n">{{km2 .CancelledM2}}</td><td class="n">{{km2 .ReducedM2}}</td><td class="n">{{km2 .ClearedM2}}</td><td class="n">{{km2 .EndM2}}</td><td class="n">{{ms .MilestoneM2}}</td><td class="n">{{km2 .OtherReleasedM2}}</td><td class="n">{{f0 .Deminers}}</td><td class="n">{{.Teams}}</td><td class="n">{{usd .CostUSD}}</td><td class="n">{{usd .PledgedUSD}}</td><td class="n{{if gt .GapUSD 0}} gap{{end}}">{{usd .GapUSD}}</td></tr>
{{end}}</table>
<h2>By province and method</h2>
<table><tr><th>Year / province</th><th>Start</th><th>Cancelled by NTS</th><th>Reduced by TS</th><th>Cleared</th><th>End</th><th>AT/ERW released</th><th>Deminers</th><th>Deployments</th><th>Cost US$</th><th>Pledged US$</th><th>Gap US$</th></tr>
{{range .Years}}<tr class="year"><td colspan="12">{{.Year}}{{if .CompletedProvince}} — completing: {{range $i, $p := .CompletedProvince}}{{if $i}}, {{end}}{{$p}}{{end}}{{end}}</td></tr>
{{range .Provinces}}<tr><td>{{.Province}}</td><td class="n">{{km2 .StartM2}}</td><td class="n">{{km2 .CancelledM2}}</td><td class="n">{{km2 .ReducedM2}}</td><td class="n">{{km2 .ClearedM2}}</td><td class="n">{{km2 .EndM2}}</td><td class="n">{{km2 .OtherReleasedM2}}</td><td class="n">{{f0 .Deminers}}</td><td class="n">{{.Teams}}</td><td class="n">{{usd .CostUSD}}</td><td class="n">{{usd .PledgedUSD}}</td><td class="n{{if gt .GapUSD 0}} gap{{end}}">{{usd .GapUSD}}</td></tr>
{{end}}{{if .UnattributedUSD}}<tr><td>Pledged, not tied to a province</td><td colspan="9"></td><td class="n">{{usd .UnattributedUSD}}</td><td></td></tr>
{{end}}{{end}}</table>
<h2>Assumptions</h2>
{{with .Assumptions}}<ul>
<li>Rates learned from the record, {{.Rates.WindowFrom}}–{{.Rates.WindowTo}} (year-to-year spread in brackets): non-technical survey cancels {{pct .Rates.CancelShare}} of the SHA surveyed ({{pct .Spread.CancelShare}});
technical survey reduces {{pct .Rates.ReduceShare}} of the CHA worked ({{pct .Spread.ReduceShare}}); survey {{km2f .Rates.SurveyM2PerYear}} a year ({{pct .Spread.SurveyRate}});
clearance achieves {{pct .Rates.ProductivityFactor}} of stated capacity ({{pct .Spread.Productivity}}); new contamination {{km2f .Rates.DiscoveryM2PerYear}} a year for {{.DiscoveryYears}} years, {{pct .Rates.Article5Discovery}} with AP mines ({{pct .Spread.Discovery}}).</li>
<li>SHA without recorded evidence: {{pct .NoEvidence.RemainingShare}} of the remaining SHA; {{.NoEvidence.Cancelled}} of {{.NoEvidence.Surveyed}} such areas surveyed were cancelled in full.</li>
<li>Redeployment ({{.Redeploy}}): {{.RedeployMeans}}.</li>
<li>Funding after the last pledge ({{.Funding}}): {{.FundingMeans}}.</li>
<li>Cost: {{pct .FixedCostShare}} of a deployment's annual cost is fixed (paid while deployed and funded); the rest varies with the capacity that finds work.</li>
<li>Deployments without stated productivity or working days: {{f0 .DefaultProductivity}} m² per deminer per day, {{.DefaultWorkingDays}} days a year. Horizon {{.Horizon}}.</li>
</ul>{{end}}
<h2>Risks</h2>
<ul>{{range .Risks}}<li>{{.}}</li>
{{end}}</ul>
<p>Prepared from the national register by the national mine action authority: ____________________ &nbsp; Date: ____________</p>
</body></html>
`))
