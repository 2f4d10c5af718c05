package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
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
		summary: "a MAPU annual work plan for a province (table, JSON, CSV, printable HTML or GeoPackage)",
		usage:   "workplan --province NAME --year YEAR [--format table|json|csv|html|gpkg] [--lang en|km] [--out FILE] [--criteria FILE] [--approve BY] [--actual]",
		help: `Proposes the province's work plan for the year in land-release order
(IMAS 07.11; docs/workplan.md): SHAs are planned for non-technical survey
first, within the SHA area the province's history surveyed per year, with
the expected cancellation and the expected CHA that follows (for a later
year's technical survey and clearance); CHAs are planned for technical
survey and clearance within the clearance capacity the province's
deployments have that year (deminers × productivity × working days, less
recorded funding shortfalls, times the productivity the history shows).
Areas are ranked by the criteria (casualties, land use, community request,
direct evidence, expected cost per m² by method, size; weights in
scenarios/criteria.yaml, or --criteria FILE); each stage keeps the better
of a greedy by score that splits the first area that does not fit (the rest
carried to the next year) and first-fit, so it is never worse than
first-fit. Every open area left out is listed with the reason. Totals per
operator and method, capacity used, and cost against the funding pledged
for the province (pledges to an operator attributed to its deployments in
proportion to their cost) and the gap.

--approve BY records the proposed plan (ApproveWorkPlan, approved_by BY;
the areas planned for NTS and for clearance); endorse it nationally with
an EndorseWorkPlan command through exec.
--actual compares the approved plan with what was released that year.
--format gpkg writes the plan as a GeoPackage (--out FILE.gpkg required:
SQLite cannot write to stdout) that QGIS, ArcGIS and GDAL open as a layer
"work_plan": one feature per area (list plan, nts or left_out) with the
CSV's columns and the area's polygon, WGS 84 longitude/latitude (EPSG:4326).

Refused, naming the field: a province with nothing recorded, a year
outside the history (its first year to the year after its last), and a
criteria file with an unknown field.`,
		flags: func(fs *flag.FlagSet) any {
			o := &workplanOpts{}
			fs.StringVar(&o.province, "province", "", "the `province` (required)")
			fs.IntVar(&o.year, "year", 0, "the plan's `year` (required)")
			fs.StringVar(&o.format, "format", "table", "output `format`: table, json, csv, html or gpkg")
			fs.StringVar(&o.out, "out", "", "output `file` (default stdout; required for gpkg, a .gpkg file)")
			fs.StringVar(&o.lang, "lang", "en", "`language` of --format html: en or km (the catalogues in adapters/dashboard/i18n)")
			fs.StringVar(&o.criteria, "criteria", "", "ranking criteria YAML `file` (default: the shipped scenarios/criteria.yaml)")
			fs.StringVar(&o.approve, "approve", "", "record the proposed plan as approved by `name`")
			fs.BoolVar(&o.actual, "actual", false, "compare the approved plan with what was released that year")
			return o
		},
		run: runWorkplan,
	}
}

type workplanOpts struct {
	province, format, criteria, approve, out, lang string
	year                                           int
	actual                                         bool
}

func runWorkplan(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*workplanOpts)
	if len(args) > 0 || opts.province == "" || opts.year == 0 {
		fmt.Fprintln(a.stderr, "landrelease workplan: --province and --year are required\nRun 'landrelease workplan --help' for usage.")
		return exitUsage
	}
	switch opts.format {
	case "table", "json", "csv", "html":
	case "gpkg":
		if opts.actual {
			fmt.Fprintln(a.stderr, "landrelease workplan: --actual writes a table or JSON, not a GeoPackage: leave out --format gpkg")
			return exitUsage
		}
		if err := gpkgOut(opts.out); err != nil {
			fmt.Fprintf(a.stderr, "landrelease workplan: %v\n", err)
			return exitUsage
		}
	default:
		fmt.Fprintf(a.stderr, "landrelease workplan: --format %q: want table, json, csv, html or gpkg\n", opts.format)
		return exitUsage
	}
	if !checkLang(a, "workplan", opts.lang) {
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
	// A GeoPackage takes the areas' polygons from the read model.
	var eng *engine
	var rm *readModel
	if opts.format == "gpkg" {
		if rm, err = openReadModel(ctx, a); err != nil {
			return fail(a, "workplan", err)
		}
		defer rm.Close()
		eng = rm.engine
	} else {
		if eng, err = openEngine(ctx, a.g, a.stderr); err != nil {
			return fail(a, "workplan", err)
		}
		defer eng.Close()
	}
	fold, err := projections.Replay(ctx, eng.store, nil)
	if err != nil {
		return fail(a, "workplan", err)
	}
	if opts.actual {
		return planVsActual(ctx, a, eng, fold, opts)
	}
	plan, err := projections.WorkPlanFor(fold, opts.province, opts.year, crit, projections.DefaultForecastConfig())
	if err != nil {
		return fail(a, "workplan", queries.WorkPlanError(err))
	}
	if opts.approve != "" {
		ids := make([]uuid.UUID, 0, len(plan.ForNTS)+len(plan.Areas))
		for _, p := range plan.ForNTS {
			ids = append(ids, p.AreaID)
		}
		for _, p := range plan.Areas {
			ids = append(ids, p.AreaID)
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
	if opts.format == "gpkg" {
		n, err := writePlanGeoPackage(ctx, rm.db, plan, opts.out)
		if err != nil {
			return fail(a, "workplan", err)
		}
		fmt.Fprintf(a.stderr, "landrelease workplan: %d areas written to %s (GeoPackage, layer \"work_plan\", EPSG:4326)\n", n, opts.out)
		return exitOK
	}
	out, closeOut, err := outputFile(a, opts.out)
	if err != nil {
		return fail(a, "workplan", err)
	}
	switch opts.format {
	case "json":
		err = writeJSON(out, plan)
	case "csv":
		err = writePlanCSV(out, plan)
	case "html":
		err = renderPlanHTML(out, plan, opts.lang)
	default:
		writePlanTable(out, plan)
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(a, "workplan", err)
	}
	return exitOK
}

func writePlanTable(w io.Writer, p queries.WorkPlan) {
	fmt.Fprintf(w, "MAPU work plan %s %d (proposed, land-release order: survey first, clear what survey confirms)\n", p.Province, p.Year)
	fmt.Fprintf(w, "  1. non-technical survey: capacity %s m² of SHA (%s); planned %s m² in %d SHAs; expected cancelled %s m² (%.0f%%), expected CHA %s m² for a later year\n",
		m2(p.SurveyCapacityM2), p.SurveyCapacityBy, m2(p.SurveyPlannedM2), len(p.ForNTS), m2(p.ExpectCancelM2), 100*p.CancelShare, m2(p.ExpectCHAM2))
	fmt.Fprintf(w, "  2. technical survey and clearance: capacity %s m² to clear, planned %s m² (%.0f%%) in %d CHAs (TS reduces %.0f%%)\n",
		m2(p.CapacityM2), m2(p.PlannedM2), 100*p.CapacityUsed, len(p.Areas), 100*p.ReduceShare)
	fmt.Fprintf(w, "  cost US$ %s; pledged for the province US$ %s; gap US$ %s; shortfalls US$ %s\n", m2(p.CostUSD), m2(p.FundingUSD), m2(p.GapUSD), m2(p.ShortfallUSD))
	fmt.Fprintf(w, "  selection %s; priority total %.1f (first-fit %.1f)\n", p.Selection, p.PriorityTotal, p.FirstFitTotal)
	if p.ApprovedRevision > 0 {
		fmt.Fprintf(w, "  on record: revision %d, %s, %d areas\n", p.ApprovedRevision, p.ApprovedStatus, p.ApprovedAreaCount)
	}
	fmt.Fprintf(w, "\n1. SHAs for non-technical survey: %d areas\n", len(p.ForNTS))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tarea\tdistrict\tvillage\tland use\tremaining m²\tsurvey m²\tcarried m²\texp. cancelled m²\texp. CHA m²\tscore")
	for i, a := range p.ForNTS {
		if i == 20 {
			fmt.Fprintf(tw, "… and %d more (--format json for all)\n", len(p.ForNTS)-20)
			break
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\n", a.Rank, a.AreaID.String(), orDash(a.District), orDash(a.Village),
			orDash(a.LandUse), m2(a.RemainingM2), m2(a.PlannedM2), m2(a.CarriedM2), m2(a.ExpectCancel), m2(a.ExpectCHA), a.Score)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n2. CHAs for technical survey and clearance: %d areas\n", len(p.Areas))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tarea\tdistrict\tvillage\thazard\tland use\tremaining m²\tplanned m²\tcarried m²\tto clear m²\tcasualties\trequest\toperator\tmethod\tcost US$\tscore")
	for _, a := range p.Areas {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%v\t%s\t%s\t%s\t%.1f\n", a.Rank, a.AreaID.String(), orDash(a.District), orDash(a.Village),
			a.Hazard, orDash(a.LandUse), m2(a.RemainingM2), m2(a.PlannedM2), m2(a.CarriedM2), m2(a.ToClearM2), a.Casualties, a.Community, a.Operator, a.Method, m2(a.CostUSD), a.Score)
	}
	tw.Flush()
	for _, a := range append(append([]projections.PlannedArea{}, p.ForNTS...), p.Areas...) {
		if a.CarriedM2 > 0 {
			fmt.Fprintf(w, "  split: %s (%s) %s m² this year, the remaining %s m² carried to %d\n", a.AreaID, a.Stage, m2(a.PlannedM2), m2(a.CarriedM2), p.Year+1)
		}
	}
	fmt.Fprintf(w, "\nBy operator and method:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "operator\tmethod\tareas\tto clear m²\tcapacity m²\tcost US$")
	for _, t := range p.ByOperator {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", t.Operator, t.Method, t.Areas, m2(t.ToClearM2), m2(t.CapacityM2), m2(t.CostUSD))
	}
	tw.Flush()
	if p.NotPlanned > 0 {
		fmt.Fprintf(w, "\nOpen areas left for later years: %d; the highest scores and why:\n", p.NotPlanned)
		for i, a := range p.LeftOut {
			if i == 20 {
				fmt.Fprintf(w, "  … and %d more (--format json for all)\n", len(p.LeftOut)-20)
				break
			}
			fmt.Fprintf(w, "  %s  %-12s %s  %s m²  score %.1f: %s\n", a.AreaID, a.Stage, a.Class, m2(a.RemainingM2), a.Score, a.Reason)
		}
	}
}

func writePlanCSV(w io.Writer, p queries.WorkPlan) error {
	cw := exchange.NewCSVWriter(w)
	cw.Write(planColumns)
	eachPlanned(p, func(list string, a projections.PlannedArea) error { return cw.Write(planRecord(p, list, a)) })
	cw.Flush()
	return cw.Error()
}

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

// outputFile is --out FILE created (or stdout for "" and "-"), and the
// function that closes it.
func outputFile(a *app, path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return a.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}
