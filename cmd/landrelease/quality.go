package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios/cambodia/boundaries"
)

func qualityVerb() verb {
	return verb{
		name:    "quality",
		summary: "data-quality report: evidence, geometry, overlaps, sizes, stale areas, reconciliation with an operator report",
		usage:   "quality [--boundaries FILE] [--stale-years N] [--operator-report FILE --operator NAME --year Y] [--json]",
		help: `Replays the whole history and reports what a national authority must fix
before it can trust its register (see docs/quality.md):
  - areas without evidence (candidates for non-technical survey);
  - invalid geometry: open rings, fewer than 4 positions, coordinates that
    are not WGS84 longitude/latitude, self-intersecting rings;
  - stated sizes that disagree with the polygon's area by more than a factor
    of 2, naming the hectares-entered-as-m² error (×10,000) when it is one;
  - overlapping areas, and duplicates (identical polygons or more than 95%
    mutual overlap);
  - areas not inside their stated province: against the boundaries of
    Cambodia's provinces that ship with the binary (Natural Earth, public
    domain) when --country is KH, or those of --boundaries FILE
    (--boundaries none skips the check);
  - open areas with no activity for --stale-years years before the latest
    activity in the register;
  - areas that released more than their size (cancelled + reduced +
    cleared − reopened), which the domain should make impossible;
  - messages of the history that are not events the engine wrote
    (quarantined: skipped by every reader), with sequence, subject and
    reason.

With --operator-report, an operator's CSV of its monthly outputs (columns
month YYYY-MM, local_id or area_id, activity CANCEL|REDUCE|CLEAR, size_m2)
is compared with the cancellations, reductions and clearances recorded for
--operator in --year, listing every discrepancy: missing in the database,
missing in the operator report, different m².

Exit status 0 when the report is produced, whatever it finds.`,
		flags: func(fs *flag.FlagSet) any {
			o := &qualityOpts{cfg: exchange.DefaultQualityConfig()}
			fs.StringVar(&o.boundaries, "boundaries", "", "GeoJSON FeatureCollection `file` of province boundaries (property \"province\" or \"name\"); default: Cambodia's, embedded, when --country is KH; none: skip the check")
			fs.IntVar(&o.cfg.StaleYears, "stale-years", o.cfg.StaleYears, "open areas idle for `N` years are stale (0: skip)")
			fs.StringVar(&o.operatorReport, "operator-report", "", "operator's monthly outputs CSV `file` to reconcile")
			fs.StringVar(&o.operator, "operator", "", "the `name` of the operator of --operator-report")
			fs.IntVar(&o.year, "year", 0, "the `year` of --operator-report")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			return o
		},
		run: runQuality,
	}
}

type qualityOpts struct {
	cfg                                  exchange.QualityConfig
	boundaries, operatorReport, operator string
	year                                 int
	json                                 bool
}

func (o *qualityOpts) validate() error {
	var problems []string
	if err := o.cfg.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if o.operatorReport != "" {
		if strings.TrimSpace(o.operator) == "" {
			problems = append(problems, "--operator-report needs --operator")
		}
		if o.year < 1900 || o.year > 2200 {
			problems = append(problems, "--operator-report needs --year (e.g. 2024)")
		}
	} else if o.operator != "" || o.year != 0 {
		problems = append(problems, "--operator and --year go with --operator-report")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

func runQuality(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*qualityOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease quality: takes no arguments")
		return exitUsage
	}
	if err := opts.validate(); err != nil {
		fmt.Fprintf(a.stderr, "landrelease quality: %v\n", err)
		return exitUsage
	}
	switch {
	case opts.boundaries == "" && a.g.country == "KH":
		// Cambodia's province boundaries ship with the binary.
		var err error
		if opts.cfg.Boundaries, err = exchange.ReadBoundaries(boundaries.GeoJSON()); err != nil {
			return fail(a, "quality", fmt.Errorf("the embedded boundaries: %w", err))
		}
	case opts.boundaries != "" && opts.boundaries != "none":
		data, err := os.ReadFile(opts.boundaries)
		if err != nil {
			return fail(a, "quality", err)
		}
		if opts.cfg.Boundaries, err = exchange.ReadBoundaries(data); err != nil {
			return fail(a, "quality", fmt.Errorf("%s: %w", opts.boundaries, err))
		}
	}
	var opRep exchange.OperatorReport
	var tally *exchange.OutputTally
	if opts.operatorReport != "" {
		f, err := os.Open(opts.operatorReport)
		if err != nil {
			return fail(a, "quality", err)
		}
		country := a.g.country
		opRep, err = exchange.ReadOperatorReport(f, opts.year, func(local string) uuid.UUID { return exchange.AreaID(country, local) })
		f.Close()
		if err != nil {
			return fail(a, "quality", fmt.Errorf("%s: %w", opts.operatorReport, err))
		}
		tally = exchange.NewOutputTally(opts.operator, opts.year)
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "quality", err)
	}
	defer eng.Close()
	// One pass over the history: the fold for the register, the tally for
	// the reconciliation.
	fold, err := projections.Replay(ctx, eng.store, func(e events.Envelope) bool {
		if tally != nil {
			tally.Add(e)
		}
		return true
	})
	if err != nil {
		return fail(a, "quality", err)
	}
	rep := qualityJSON{QualityReport: exchange.CheckQuality(fold, opts.cfg), Quarantined: queries.QuarantinedMessages(fold.QuarantineLog)}
	if tally != nil {
		r := exchange.Reconcile(opRep, tally, func(id uuid.UUID) bool { return fold.Areas[id] != nil })
		rep.Reconciliation = &r
	}
	if opts.json {
		if err := writeJSON(a.stdout, rep); err != nil {
			return fail(a, "quality", err)
		}
		return exitOK
	}
	writeQuality(a.stdout, rep.QualityReport)
	writeQuarantine(a.stdout, rep.Quarantined)
	return exitOK
}

// qualityJSON is the --json document of quality: the data-quality report
// and the quarantined messages of the history.
type qualityJSON struct {
	exchange.QualityReport
	Quarantined []queries.QuarantinedMessage `json:"quarantined"`
}

// writeQuarantine lists quarantined messages (nothing when there are none).
func writeQuarantine(w io.Writer, qs []queries.QuarantinedMessage) {
	if len(qs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nMessages of the history that are not events (quarantined, skipped by every reader): %d\n", len(qs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  sequence\tsubject\treason")
	for _, q := range qs {
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", q.Sequence, q.Subject, q.Reason)
	}
	tw.Flush()
}

func writeQuality(w io.Writer, r exchange.QualityReport) {
	fmt.Fprintf(w, "Data quality of %d areas (%d with geometry); latest activity %s; %d findings\n",
		r.Areas, r.AreasWithGeometry, orDash(r.LatestActivityOn), r.Issues())
	section := func(title string, n int) bool {
		fmt.Fprintf(w, "\n%s: %d\n", title, n)
		return n > 0
	}
	newTable := func(head string) *tabwriter.Writer {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  "+head)
		return tw
	}
	if section("Areas without evidence", len(r.WithoutEvidence)) {
		tw := newTable("area\tprovince\tstatus\tsize m²\tremaining m²")
		for _, x := range r.WithoutEvidence {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", x.AreaID, x.Province, x.Status, m2(x.SizeM2), m2(x.RemainingM2))
		}
		tw.Flush()
	}
	if section("Invalid geometry", len(r.InvalidGeometry)) {
		tw := newTable("area\tprovince\tproblems")
		for _, x := range r.InvalidGeometry {
			var ps []string
			for _, p := range x.Problems {
				ps = append(ps, p.String())
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", x.AreaID, x.Province, strings.Join(ps, "; "))
		}
		tw.Flush()
	}
	if section(fmt.Sprintf("Stated size against geometry outside [%g, %g]", r.SizeTolerance[0], r.SizeTolerance[1]), len(r.SizeMismatches)) {
		tw := newTable("area\tprovince\tstated m²\tgeometry m²\tratio\tkind")
		for _, x := range r.SizeMismatches {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%.4g\t%s\n", x.AreaID, x.Province, m2(x.StatedM2), m2(int64(x.GeometryM2+0.5)), x.Ratio, x.Kind)
		}
		tw.Flush()
	}
	pairs := func(title string, list []exchange.OverlapFinding) {
		if section(title, len(list)) {
			tw := newTable("area A\tarea B\tprovince\tshare of A\tshare of B\toverlap m²\tidentical")
			for _, x := range list {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%.0f%%\t%.0f%%\t%s\t%v\n", x.A.AreaID, x.B.AreaID, x.A.Province,
					100*x.ShareA, 100*x.ShareB, m2(int64(x.OverlapM2)), x.Identical)
			}
			tw.Flush()
		}
	}
	pairs("Duplicates (identical or > 95% mutual overlap)", r.Duplicates)
	pairs("Overlapping areas", r.Overlaps)
	if r.BoundariesChecked {
		if section("Areas outside their stated province", len(r.OutsideProvince)) {
			tw := newTable("area\tstated province\tfound in")
			for _, x := range r.OutsideProvince {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", x.AreaID, x.Province, orDash(x.FoundIn))
			}
			tw.Flush()
		}
		if len(r.NoProvinceBoundary) > 0 {
			fmt.Fprintf(w, "  (no boundary in the file for: %s)\n", strings.Join(r.NoProvinceBoundary, ", "))
		}
	}
	if r.StaleYears > 0 && section(fmt.Sprintf("Open areas with no activity for %d years", r.StaleYears), len(r.Stale)) {
		tw := newTable("area\tprovince\tstatus\tremaining m²\tlast activity")
		for _, x := range r.Stale {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", x.AreaID, x.Province, x.Status, m2(x.RemainingM2), x.LastActivityOn)
		}
		tw.Flush()
	}
	if section("Areas that released more than their size", len(r.ReleasedMoreThanSize)) {
		tw := newTable("area\tprovince\tsize m²\treleased m²")
		for _, x := range r.ReleasedMoreThanSize {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", x.AreaID, x.Province, m2(x.SizeM2), m2(x.ReleasedM2))
		}
		tw.Flush()
	}
	if rc := r.Reconciliation; rc != nil {
		fmt.Fprintf(w, "\nReconciliation with %s's report for %d: %d lines, %s m² reported; %d entries, %s m² recorded; %d matched\n",
			rc.Operator, rc.Year, rc.OperatorLines, m2(rc.OperatorM2), rc.RecordedEntries, m2(rc.RecordedM2), rc.Matched)
		if section("Discrepancies", len(rc.Discrepancies)) {
			tw := newTable("kind\tmonth\tactivity\tarea\tlocal id\toperator m²\trecorded m²\tdiff m²\tlines")
			for _, d := range rc.Discrepancies {
				lines := make([]string, len(d.Lines))
				for i, l := range d.Lines {
					lines[i] = fmt.Sprint(l)
				}
				kind := d.Kind
				if d.Registered != nil && !*d.Registered {
					kind += " (area not registered)"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", kind, d.Month, d.Activity, d.AreaID, orDash(d.LocalID),
					m2(d.OperatorM2), m2(d.RecordedM2), m2(d.DiffM2), orDash(strings.Join(lines, ",")))
			}
			tw.Flush()
		}
		if len(rc.LineProblems) > 0 {
			fmt.Fprintf(w, "\nOperator report lines not used: %d\n", len(rc.LineProblems))
			for _, p := range rc.LineProblems {
				fmt.Fprintf(w, "  line %d: %s: %s\n", p.Line, orDash(p.Field), p.Reason)
			}
		}
	}
}
