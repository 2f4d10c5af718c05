package main

import (
	"context"
	"flag"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios"
)

func workplanVerb() verb {
	return verb{
		name:    "workplan",
		summary: "a MAPU annual work plan for a province (table, JSON, CSV or printable HTML)",
		usage:   "workplan --province NAME --year YEAR [--format table|json|csv|html] [--criteria FILE] [--approve BY] [--actual]",
		help: `Proposes the province's work plan for the year: its open areas ranked by the
criteria (casualties, land use, community request, direct evidence, cost;
weights in scenarios/criteria.yaml, or --criteria FILE), filled into the
clearance capacity the province's deployments have that year (deminers ×
productivity × working days, less recorded funding shortfalls, times the
productivity the history shows) and never beyond it. Areas with no
recorded evidence are listed apart, for non-technical survey and possible
cancellation first. Totals per operator and method, capacity used, and
cost against the funding pledged for the province.

--approve BY records the proposed plan (ApproveWorkPlan, approved_by BY);
endorse it nationally with an EndorseWorkPlan command through exec.
--actual compares the approved plan with what was released that year.`,
		flags: func(fs *flag.FlagSet) any {
			o := &workplanOpts{}
			fs.StringVar(&o.province, "province", "", "the `province` (required)")
			fs.IntVar(&o.year, "year", 0, "the plan's `year` (required)")
			fs.StringVar(&o.format, "format", "table", "output `format`: table, json, csv or html")
			fs.StringVar(&o.criteria, "criteria", "", "ranking criteria YAML `file` (default: the shipped scenarios/criteria.yaml)")
			fs.StringVar(&o.approve, "approve", "", "record the proposed plan as approved by `name`")
			fs.BoolVar(&o.actual, "actual", false, "compare the approved plan with what was released that year")
			return o
		},
		run: runWorkplan,
	}
}

type workplanOpts struct {
	province, format, criteria, approve string
	year                                int
	actual                              bool
}

func runWorkplan(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*workplanOpts)
	if len(args) > 0 || opts.province == "" || opts.year == 0 {
		fmt.Fprintln(a.stderr, "landrelease workplan: --province and --year are required\nRun 'landrelease workplan --help' for usage.")
		return exitUsage
	}
	switch opts.format {
	case "table", "json", "csv", "html":
	default:
		fmt.Fprintf(a.stderr, "landrelease workplan: --format %q: want table, json, csv or html\n", opts.format)
		return exitUsage
	}
	if list := domain.Provinces(a.g.country); list != nil && !events.Contains(list, opts.province) {
		fmt.Fprintf(a.stderr, "landrelease workplan: --province %q is not a province of %s; one of %v\n", opts.province, a.g.country, list)
		return exitUsage
	}
	crit, err := scenarios.DefaultCriteria()
	if opts.criteria != "" {
		crit, err = scenarios.LoadCriteriaFile(opts.criteria)
	}
	if err != nil {
		return fail(a, "workplan", err)
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "workplan", err)
	}
	defer eng.Close()
	fold, err := projections.Replay(ctx, eng.store, nil)
	if err != nil {
		return fail(a, "workplan", err)
	}
	if opts.actual {
		return planVsActual(ctx, a, eng, fold, opts)
	}
	plan := projections.PlanWorkPlan(fold, opts.province, opts.year, crit, projections.DefaultForecastConfig())
	if opts.approve != "" {
		ids := make([]uuid.UUID, len(plan.Areas))
		for i, p := range plan.Areas {
			ids[i] = p.AreaID
		}
		if err := eng.handler.Warm(ctx); err != nil {
			return fail(a, "workplan", err)
		}
		res, err := eng.handler.Handle(ctx, domain.CommandEnvelope{Actor: "mapu:" + opts.province, Command: domain.ApproveWorkPlan{
			Province: opts.province, Year: opts.year, AreaIDs: ids, ApprovedBy: opts.approve}})
		if err != nil {
			return fail(a, "workplan", err)
		}
		fmt.Fprintf(a.stderr, "landrelease workplan: recorded ApproveWorkPlan for %s %d (%d areas) at sequence %d\n", opts.province, opts.year, len(ids), res.Sequence)
	}
	switch opts.format {
	case "json":
		err = writeJSON(a.stdout, plan)
	case "csv":
		err = writePlanCSV(a.stdout, plan)
	case "html":
		err = planHTML.Execute(a.stdout, plan)
	default:
		writePlanTable(a.stdout, plan)
	}
	if err != nil {
		return fail(a, "workplan", err)
	}
	return exitOK
}

func writePlanTable(w io.Writer, p queries.WorkPlan) {
	fmt.Fprintf(w, "MAPU work plan %s %d (proposed)\n", p.Province, p.Year)
	fmt.Fprintf(w, "  capacity %s m² to clear, planned %s m² (%.0f%%) in %d areas; cost US$ %s, pledged for the province US$ %s, shortfalls US$ %s\n",
		m2(p.CapacityM2), m2(p.PlannedM2), 100*p.CapacityUsed, len(p.Areas), m2(p.CostUSD), m2(p.FundingUSD), m2(p.ShortfallUSD))
	if p.ApprovedRevision > 0 {
		fmt.Fprintf(w, "  on record: revision %d, %s, %d areas\n", p.ApprovedRevision, p.ApprovedStatus, p.ApprovedAreaCount)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nrank\tarea\tdistrict\tvillage\tclass\thazard\tland use\tremaining m²\tto clear m²\tcasualties\trequest\toperator\tmethod\tcost US$\tscore")
	for _, a := range p.Areas {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%v\t%s\t%s\t%s\t%.1f\n", a.Rank, a.AreaID.String(), orDash(a.District), orDash(a.Village),
			a.Class, a.Hazard, orDash(a.LandUse), m2(a.RemainingM2), m2(a.ToClearM2), a.Casualties, a.Community, a.Operator, a.Method, m2(a.CostUSD), a.Score)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nBy operator and method:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "operator\tmethod\tareas\tto clear m²\tcapacity m²\tcost US$")
	for _, t := range p.ByOperator {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", t.Operator, t.Method, t.Areas, m2(t.ToClearM2), m2(t.CapacityM2), m2(t.CostUSD))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nProposed for non-technical survey first (no recorded evidence): %d areas\n", len(p.ForNTS))
	for i, a := range p.ForNTS {
		if i == 20 {
			fmt.Fprintf(w, "  … and %d more (--format json for all)\n", len(p.ForNTS)-20)
			break
		}
		fmt.Fprintf(w, "  %s  %-14s %s  %s m²\n", a.AreaID, orDash(a.District), a.Class, m2(a.RemainingM2))
	}
	if p.NotPlanned > 0 {
		fmt.Fprintf(w, "Open areas with evidence left for later years: %d\n", p.NotPlanned)
	}
}

func writePlanCSV(w io.Writer, p queries.WorkPlan) error {
	cw := exchange.NewCSVWriter(w)
	cw.Write([]string{"list", "rank", "area_id", "province", "district", "village", "classification", "hazard", "land_use",
		"remaining_m2", "to_clear_m2", "casualties_last_5y", "community_request", "evidence_count", "operator", "method", "cost_usd", "score"})
	row := func(list string, a projections.PlannedArea) {
		cw.Write([]string{list, strconv.Itoa(a.Rank), a.AreaID.String(), p.Province, a.District, a.Village, a.Class, a.Hazard, a.LandUse,
			i64(a.RemainingM2), i64(a.ToClearM2), strconv.Itoa(a.Casualties), strconv.FormatBool(a.Community), strconv.Itoa(a.EvidenceCount),
			a.Operator, a.Method, i64(a.CostUSD), strconv.FormatFloat(a.Score, 'f', 2, 64)})
	}
	for _, a := range p.Areas {
		row("plan", a)
	}
	for _, a := range p.ForNTS {
		row("nts", a)
	}
	cw.Flush()
	return cw.Error()
}

var planHTML = template.Must(template.New("plan").Funcs(template.FuncMap{
	"m2":  m2,
	"pct": func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<title>Work plan {{.Province}} {{.Year}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.85em}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left}td.n{text-align:right}
th{background:#eee}.cha{color:#b00}.sha{color:#c60}
@media print{body{margin:0}a{color:inherit;text-decoration:none}}
</style></head><body>
<h1>MAPU annual work plan — {{.Province}}, {{.Year}}</h1>
<p>Capacity {{m2 .CapacityM2}} m² to clear; planned {{m2 .PlannedM2}} m² ({{pct .CapacityUsed}}) in {{len .Areas}} areas.
Cost US$ {{m2 .CostUSD}}; pledged for the province US$ {{m2 .FundingUSD}}; recorded shortfalls US$ {{m2 .ShortfallUSD}}.</p>
<table><tr><th>#</th><th>Area</th><th>District</th><th>Village</th><th>Class</th><th>Hazard</th><th>Land use</th><th>Remaining m²</th><th>To clear m²</th><th>Casualties</th><th>Operator</th><th>Method</th><th>Cost US$</th></tr>
{{range .Areas}}<tr><td class="n">{{.Rank}}</td><td>{{.AreaID}}</td><td>{{.District}}</td><td>{{.Village}}</td><td class="{{if eq .Class "CHA"}}cha{{else}}sha{{end}}">{{.Class}}</td><td>{{.Hazard}}</td><td>{{.LandUse}}</td><td class="n">{{m2 .RemainingM2}}</td><td class="n">{{m2 .ToClearM2}}</td><td class="n">{{.Casualties}}</td><td>{{.Operator}}</td><td>{{.Method}}</td><td class="n">{{m2 .CostUSD}}</td></tr>
{{end}}</table>
<h2>By operator and method</h2>
<table><tr><th>Operator</th><th>Method</th><th>Areas</th><th>To clear m²</th><th>Capacity m²</th><th>Cost US$</th></tr>
{{range .ByOperator}}<tr><td>{{.Operator}}</td><td>{{.Method}}</td><td class="n">{{.Areas}}</td><td class="n">{{m2 .ToClearM2}}</td><td class="n">{{m2 .CapacityM2}}</td><td class="n">{{m2 .CostUSD}}</td></tr>
{{end}}</table>
<h2>Proposed for non-technical survey first ({{len .ForNTS}} areas without recorded evidence)</h2>
<table><tr><th>#</th><th>Area</th><th>District</th><th>Class</th><th>Remaining m²</th></tr>
{{range .ForNTS}}<tr><td class="n">{{.Rank}}</td><td>{{.AreaID}}</td><td>{{.District}}</td><td>{{.Class}}</td><td class="n">{{m2 .RemainingM2}}</td></tr>
{{end}}</table>
<p>Approved by the Provincial Mine Action Committee: ____________________ &nbsp; Endorsed by CMAA: ____________________</p>
</body></html>
`))

// planVsActual compares the approved plan of the year with the land
// released that year, area by area.
func planVsActual(ctx context.Context, a *app, eng *engine, fold *projections.National, opts *workplanOpts) int {
	w := fold.WorkPlans[projections.WorkPlanKey{Province: opts.province, Year: opts.year}]
	if w == nil {
		return fail(a, "workplan", fmt.Errorf("no approved %d work plan for %s on record", opts.year, opts.province))
	}
	planned := map[uuid.UUID]bool{}
	for _, id := range w.AreaIDs {
		planned[id] = true
	}
	released := map[uuid.UUID]int64{}
	err := eng.store.Replay(ctx, 1, func(e events.Envelope) error {
		if e.OccurredOn.Year() != opts.year {
			return nil
		}
		switch d := e.Data.(type) {
		case events.AreaCancelled:
			released[d.AreaID] += d.SizeM2
		case events.AreaReduced:
			released[d.AreaID] += d.SizeM2
		case events.AreaCleared:
			released[d.AreaID] += d.SizeM2
		}
		return nil
	})
	if err != nil {
		return fail(a, "workplan", err)
	}
	type row struct {
		AreaID     string `json:"area_id"`
		Planned    bool   `json:"planned"`
		ReleasedM2 int64  `json:"released_m2"`
	}
	var rows []row
	var inPlan, worked, outside int
	var inPlanM2, outsideM2 int64
	for _, id := range w.AreaIDs {
		r := row{AreaID: id.String(), Planned: true, ReleasedM2: released[id]}
		inPlan++
		if r.ReleasedM2 > 0 {
			worked++
			inPlanM2 += r.ReleasedM2
		}
		rows = append(rows, r)
	}
	for id, m := range released {
		if !planned[id] && fold.Areas[id] != nil && fold.Areas[id].Province == opts.province {
			outside++
			outsideM2 += m
			rows = append(rows, row{AreaID: id.String(), ReleasedM2: m})
		}
	}
	if opts.format == "json" {
		writeJSON(a.stdout, map[string]any{"province": opts.province, "year": opts.year, "revision": w.Revision, "status": w.Status,
			"planned_areas": inPlan, "planned_areas_worked": worked, "released_in_plan_m2": inPlanM2,
			"areas_worked_outside_plan": outside, "released_outside_plan_m2": outsideM2, "areas": rows})
		return exitOK
	}
	fmt.Fprintf(a.stdout, "Plan vs actual, %s %d (revision %d, %s)\n", opts.province, opts.year, w.Revision, w.Status)
	fmt.Fprintf(a.stdout, "  planned areas: %d, of which worked: %d, releasing %s m²\n", inPlan, worked, m2(inPlanM2))
	fmt.Fprintf(a.stdout, "  areas worked outside the plan: %d, releasing %s m²\n", outside, m2(outsideM2))
	return exitOK
}
