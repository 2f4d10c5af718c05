package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/queries"
)

func reportVerb() verb {
	return verb{
		name:    "report",
		summary: "the annual progress report of a year (Article 5): contamination, release, indicators",
		usage:   "report --year YEAR [--province NAME] [--format table|json|csv|html] [--lang en|km]",
		help: `Prints the programme's annual progress report for a calendar year, as the
Article 5 report and an independent review read it (docs/report.md):
  - remaining contamination by province and class (SHA, CHA) on 1 January
    and 31 December;
  - land released by method: cancelled by non-technical survey, cancelled
    by desk analysis, reduced by technical survey, cleared; by province;
  - AP mines, AT mines and ERW destroyed;
  - areas added and how many came with evidence; size corrections;
  - confirmations, reclassifications (to CHA, to SHA) and reopenings;
  - deminers and women deployed (starting in the year, and active in it);
  - funding pledged for the year and recorded shortfalls;
  - progress against the milestones of the Article 5 deadline in force;
  - indicators: targets met, evidence share of additions, share of SHA
    cancelled by NTS, QA visits per release, women's share of capacity,
    and data discrepancies with operator reports (not recorded in the
    history: reconcile one with quality --operator-report).

It reads the read model (brought up to date first, as state and stats do),
not the history: each area's state on every 31 December is kept by the
projections, so a report costs the same however long the history. Figures
keep what had occurred by each 31 December, whenever it was recorded (plans,
pledges and deployments whatever their date). Each section
names its source (statistics, audit trail, register, events and their
sequences) so every figure can be traced. A year before anything happened
gives an empty report. --year must lie in 1990–2100.

The HTTP API serves it at GET /api/v1/reports/{year} (docs/api.md); the
dashboard's "Annual report" page shows it.`,
		flags: func(fs *flag.FlagSet) any {
			o := &reportOpts{}
			fs.IntVar(&o.year, "year", 0, "the calendar `year` (required, 1990–2100)")
			fs.StringVar(&o.province, "province", "", "only this `province` (default: national)")
			fs.StringVar(&o.format, "format", "table", "output `format`: table, json, csv or html (printable)")
			fs.StringVar(&o.lang, "lang", "en", "`language` of --format html: en or km (the catalogues in adapters/dashboard/i18n)")
			return o
		},
		run: runReport,
	}
}

type reportOpts struct {
	year                   int
	province, format, lang string
}

func runReport(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*reportOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease report: takes no arguments\nRun 'landrelease report --help' for usage.")
		return exitUsage
	}
	switch opts.format {
	case "table", "json", "csv", "html":
	default:
		fmt.Fprintf(a.stderr, "landrelease report: --format %q: want table, json, csv or html\n", opts.format)
		return exitUsage
	}
	if !checkLang(a, "report", opts.lang) {
		return exitUsage
	}
	q := queries.ReportQuery{Year: opts.year, Province: opts.province}
	if q.Province != "" {
		if p, ok := domain.CanonicalProvince(a.g.country, q.Province); ok {
			q.Province = p
		}
	}
	if err := q.Validate(domain.Provinces(a.g.country)); err != nil {
		fmt.Fprintf(a.stderr, "landrelease report: %v\n", err)
		return exitUsage
	}
	rm, err := openReadModel(ctx, a)
	if err != nil {
		return fail(a, "report", err)
	}
	defer rm.Close()
	// As the API does: the read model caught up, no replay of the history.
	doc, err := newReads(rm, a.g.country).Report(ctx, q)
	if err != nil {
		return fail(a, "report", err)
	}
	switch opts.format {
	case "json":
		err = writeJSON(a.stdout, doc)
	case "csv":
		err = writeReportCSV(a.stdout, doc)
	case "html":
		err = renderReportHTML(a.stdout, doc, opts.lang)
	default:
		writeReportTable(a.stdout, doc)
	}
	if err != nil {
		return fail(a, "report", err)
	}
	return exitOK
}

func scope(r queries.Report) string {
	if r.Province == "" {
		return "national"
	}
	return r.Province
}

func pctOf(f *float64) string {
	if f == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100**f)
}

func ratioOf(f *float64) string {
	if f == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*f, 'f', 2, 64)
}

func writeReportTable(w io.Writer, r queries.Report) {
	fmt.Fprintf(w, "Annual progress report %d (%s), %s … %s; history to sequence %d; %d events in the year", r.Year, scope(r), r.From, r.To, r.Sequence, r.Events.Count)
	if r.Events.Count > 0 {
		fmt.Fprintf(w, " (sequences %d–%d)", r.Events.FirstSequence, r.Events.LastSequence)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "\nRemaining contamination (m²)   [%s]\n", r.Contamination.Source)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "province\tSHA 1 Jan\tCHA 1 Jan\tareas 1 Jan\tSHA 31 Dec\tCHA 31 Dec\tareas 31 Dec\t")
	for _, p := range append(append([]queries.ReportProvinceClass{}, r.Contamination.Provinces...), r.Contamination.Total) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t\n", p.Province, m2(p.StartSHAM2), m2(p.StartCHAM2), p.StartAreas, m2(p.EndSHAM2), m2(p.EndCHAM2), p.EndAreas)
	}
	tw.Flush()
	if t := r.Contamination.Total; t.EndRestrictedAreas > 0 {
		fmt.Fprintf(w, "Access-restricted on 31 Dec (part of the remaining above):")
		for _, p := range r.Contamination.Provinces {
			if p.EndRestrictedAreas > 0 {
				fmt.Fprintf(w, " %s %s m² (%d areas);", p.Province, m2(p.EndRestrictedM2), p.EndRestrictedAreas)
			}
		}
		fmt.Fprintf(w, " total %s m² (%d areas)\n", m2(t.EndRestrictedM2), t.EndRestrictedAreas)
	}
	fmt.Fprintf(w, "\nLand released by method   [%s]\n", r.Release.Source)
	for _, m := range r.Release.Methods {
		fmt.Fprintf(w, "  %-14s %14s m²  %6d events\n", m.Method, m2(m.AreaM2), m.Events)
	}
	fmt.Fprintf(w, "  %-14s %14s m²  %6d events\n", "total", m2(r.Release.TotalM2), r.Release.Events)
	fmt.Fprintf(w, "\nDestroyed: %d AP mines, %d AT mines, %d ERW   [%s]\n", r.Devices.APMinesDestroyed, r.Devices.ATMinesDestroyed, r.Devices.ERWDestroyed, r.Devices.Source)
	ad := r.Additions
	fmt.Fprintf(w, "\nAreas added: %d, %s m²; with evidence at registration: %d areas, %s m²; by year end: %d areas; size corrections %s m² (%d)\n  [%s]\n",
		ad.Areas, m2(ad.AreaM2), ad.WithEvidenceAreas, m2(ad.WithEvidenceM2), ad.EvidenceByYearEnd.WithEvidenceAreas, m2(ad.CorrectionsM2), ad.CorrectionEvents, ad.Source)
	c := r.Changes
	fmt.Fprintf(w, "\nConfirmed SHA→CHA: %d (%s m²); reclassified to CHA: %d, to SHA: %d; reopened: %d (%s m²)\n  [%s]\n",
		c.ConfirmedAreas, m2(c.ConfirmedM2), c.UpgradedToCHA, c.DowngradedToSHA, c.Reopenings, m2(c.ReopenedM2), c.Source)
	k := r.Capacity
	fmt.Fprintf(w, "\nCapacity: %d deployments active, %d deminers, %d women; deployed in the year %d deminers, %d women\n  [%s]\n",
		k.ActiveDeployments, k.ActiveDeminers, k.ActiveWomen, k.DeployedDeminers, k.DeployedWomen, k.Source)
	f := r.Funding
	fmt.Fprintf(w, "\nFunding: pledged US$ %s (%d pledges), shortfalls US$ %s (%d), net US$ %s\n  [%s]\n",
		m2(f.PledgedUSD), f.Pledges, m2(f.ShortfallUSD), f.Shortfalls, m2(f.NetUSD), f.Source)
	ms := r.Milestones
	fmt.Fprintf(w, "\nArticle 5 deadline in force: %s   [%s]\n", orDash(ms.Deadline), ms.Source)
	for _, m := range ms.Items {
		state := "not yet due"
		if m.Due {
			state = map[bool]string{true: "met", false: "missed"}[m.Met]
		}
		fmt.Fprintf(w, "  %d  planned %14s m²  released %14s m²  %s\n", m.Year, m2(m.PlannedReleaseM2), m2(m.ReleasedM2), state)
	}
	in := r.Indicators
	fmt.Fprintf(w, "\nIndicators   [%s]\n", in.Source)
	ofYear := "no milestone"
	if in.TargetOfYearMet != nil {
		ofYear = map[bool]string{true: "met", false: "missed"}[*in.TargetOfYearMet]
	}
	fmt.Fprintf(w, "  targets met                       %d of %d due (this year's: %s)\n", in.TargetsMet, in.TargetsDue, ofYear)
	fmt.Fprintf(w, "  evidence share of additions       %s\n", pctOf(in.EvidenceShare))
	fmt.Fprintf(w, "  share of SHA cancelled by NTS     %s\n", pctOf(in.NTSCancellation))
	fmt.Fprintf(w, "  QA visits per release             %s (%d visits)\n", ratioOf(in.QAVisitsPerRelease), in.QAVisits)
	fmt.Fprintf(w, "  women's share of capacity         %s\n", pctOf(in.WomenShare))
	fmt.Fprintf(w, "  data discrepancies                %s\n", in.DiscrepanciesReason)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
}

// writeReportCSV writes the report in long form: one figure a row, with
// its section and source.
func writeReportCSV(w io.Writer, r queries.Report) error {
	cw := exchange.NewCSVWriter(w)
	cw.Write([]string{"year", "scope", "section", "province", "measure", "value", "source"})
	row := func(section, province, measure, value, source string) {
		cw.Write([]string{strconv.Itoa(r.Year), scope(r), section, province, measure, value, source})
	}
	for _, p := range append(append([]queries.ReportProvinceClass{}, r.Contamination.Provinces...), r.Contamination.Total) {
		src := r.Contamination.Source
		row("contamination", p.Province, "start_sha_m2", i64(p.StartSHAM2), src)
		row("contamination", p.Province, "start_cha_m2", i64(p.StartCHAM2), src)
		row("contamination", p.Province, "start_areas", strconv.Itoa(p.StartAreas), src)
		row("contamination", p.Province, "end_sha_m2", i64(p.EndSHAM2), src)
		row("contamination", p.Province, "end_cha_m2", i64(p.EndCHAM2), src)
		row("contamination", p.Province, "end_areas", strconv.Itoa(p.EndAreas), src)
		row("contamination", p.Province, "end_restricted_m2", i64(p.EndRestrictedM2), src)
		row("contamination", p.Province, "end_restricted_areas", strconv.Itoa(p.EndRestrictedAreas), src)
	}
	for _, m := range r.Release.Methods {
		row("release", "", strings.ToLower(m.Method)+"_m2", i64(m.AreaM2), r.Release.Source)
		row("release", "", strings.ToLower(m.Method)+"_events", i64(m.Events), r.Release.Source)
	}
	row("release", "", "total_m2", i64(r.Release.TotalM2), r.Release.Source)
	for _, p := range r.Release.ByProvince {
		row("release", p.Province, "nts_m2", i64(p.CancelledNTSM2), r.Release.Source)
		row("release", p.Province, "desk_analysis_m2", i64(p.CancelledDesk), r.Release.Source)
		row("release", p.Province, "ts_m2", i64(p.ReducedTSM2), r.Release.Source)
		row("release", p.Province, "clearance_m2", i64(p.ClearedM2), r.Release.Source)
	}
	d := r.Devices
	row("devices_destroyed", "", "ap_mines", i64(d.APMinesDestroyed), d.Source)
	row("devices_destroyed", "", "at_mines", i64(d.ATMinesDestroyed), d.Source)
	row("devices_destroyed", "", "erw", i64(d.ERWDestroyed), d.Source)
	ad := r.Additions
	row("additions", "", "areas", i64(ad.Areas), ad.Source)
	row("additions", "", "area_m2", i64(ad.AreaM2), ad.Source)
	row("additions", "", "with_evidence_areas", i64(ad.WithEvidenceAreas), ad.Source)
	row("additions", "", "with_evidence_m2", i64(ad.WithEvidenceM2), ad.Source)
	row("additions", "", "with_evidence_by_year_end_areas", strconv.Itoa(ad.EvidenceByYearEnd.WithEvidenceAreas), ad.Source)
	row("additions", "", "corrections_m2", i64(ad.CorrectionsM2), ad.Source)
	c := r.Changes
	row("changes", "", "confirmed", strconv.Itoa(c.ConfirmedAreas), c.Source)
	row("changes", "", "confirmed_m2", i64(c.ConfirmedM2), c.Source)
	row("changes", "", "reclassified_to_cha", strconv.Itoa(c.UpgradedToCHA), c.Source)
	row("changes", "", "reclassified_to_sha", strconv.Itoa(c.DowngradedToSHA), c.Source)
	row("changes", "", "reopenings", strconv.Itoa(c.Reopenings), c.Source)
	row("changes", "", "reopened_m2", i64(c.ReopenedM2), c.Source)
	k := r.Capacity
	row("capacity", "", "active_deployments", strconv.Itoa(k.ActiveDeployments), k.Source)
	row("capacity", "", "active_deminers", i64(k.ActiveDeminers), k.Source)
	row("capacity", "", "active_women", i64(k.ActiveWomen), k.Source)
	row("capacity", "", "deployed_in_year_deminers", i64(k.DeployedDeminers), k.Source)
	row("capacity", "", "deployed_in_year_women", i64(k.DeployedWomen), k.Source)
	f := r.Funding
	row("funding", "", "pledged_usd", i64(f.PledgedUSD), f.Source)
	row("funding", "", "shortfall_usd", i64(f.ShortfallUSD), f.Source)
	row("funding", "", "net_usd", i64(f.NetUSD), f.Source)
	for _, m := range r.Milestones.Items {
		src := r.Milestones.Source
		y := strconv.Itoa(m.Year)
		row("milestones", "", y+"_planned_release_m2", i64(m.PlannedReleaseM2), src)
		if m.Due {
			row("milestones", "", y+"_released_m2", i64(m.ReleasedM2), src)
			row("milestones", "", y+"_met", strconv.FormatBool(m.Met), src)
		}
	}
	in := r.Indicators
	opt := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', 4, 64)
	}
	row("indicators", "", "targets_due", strconv.Itoa(in.TargetsDue), in.Source)
	row("indicators", "", "targets_met", strconv.Itoa(in.TargetsMet), in.Source)
	row("indicators", "", "evidence_share_of_additions", opt(in.EvidenceShare), in.Source)
	row("indicators", "", "sha_cancelled_by_nts_share", opt(in.NTSCancellation), in.Source)
	row("indicators", "", "qa_visits", strconv.Itoa(in.QAVisits), in.Source)
	row("indicators", "", "qa_visits_per_release", opt(in.QAVisitsPerRelease), in.Source)
	row("indicators", "", "women_share_of_capacity", opt(in.WomenShare), in.Source)
	row("indicators", "", "data_discrepancies", "", in.DiscrepanciesReason)
	cw.Flush()
	return cw.Error()
}
