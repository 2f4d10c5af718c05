package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/queries"
)

func statsVerb() verb {
	return verb{
		name:    "stats",
		summary: "land-release statistics per year, province, operator and method",
		usage:   "stats [--year YEAR] [--province NAME] [--json | --csv]",
		help: `Prints the land-release statistics: for each year, province, operator and
method, the m² registered (REGISTERED), corrected (CORRECTION, signed),
cancelled by non-technical survey (NTS) or desk analysis (DESK_ANALYSIS),
reduced by technical survey (TS), cleared (CLEARANCE) and reopened
(REOPENED), with devices destroyed, the share of new area that came with
evidence, and deminers deployed (method MANUAL, MECHANICAL, MDD, MIXED)
with the women among them.

Accounting identity: registered + corrections − cancelled − reduced −
cleared + reopened = remaining, nationally.`,
		flags: func(fs *flag.FlagSet) any {
			o := &statsOpts{}
			fs.IntVar(&o.year, "year", 0, "only this `year`")
			fs.StringVar(&o.province, "province", "", "only this `province`")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			fs.BoolVar(&o.csv, "csv", false, "CSV on stdout")
			return o
		},
		run: runStats,
	}
}

type statsOpts struct {
	year     int
	province string
	json     bool
	csv      bool
}

func runStats(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*statsOpts)
	if len(args) > 0 || (opts.json && opts.csv) {
		fmt.Fprintln(a.stderr, "landrelease stats: takes no arguments, and one of --json or --csv")
		return exitUsage
	}
	rm, err := openReadModel(ctx, a)
	if err != nil {
		return fail(a, "stats", err)
	}
	defer rm.Close()
	rows := queries.StatRows(rm.runner.Fold(), queries.StatsQuery{Year: opts.year, Province: opts.province})
	switch {
	case opts.json:
		if err := writeJSON(a.stdout, queries.Statistics{Statistics: rows}); err != nil {
			return fail(a, "stats", err)
		}
	case opts.csv:
		if err := writeStatsCSV(a.stdout, rows); err != nil {
			return fail(a, "stats", err)
		}
	default:
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "year\tprovince\toperator\tmethod\tarea m²\tevents\twith evidence m²\tAP\tAT\tERW\tdeminers\twomen")
		for _, r := range rows {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\n", r.Year, r.Province, orDash(r.Operator), r.Method,
				m2(r.AreaM2), r.Events, m2(r.EvidenceM2), r.APMinesDestroyed, r.ATMinesDestroyed, r.ERWDestroyed, r.Deminers, r.Women)
		}
		tw.Flush()
	}
	return exitOK
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }

// writeStatsCSV writes statistics rows as CSV (stats --csv, export).
func writeStatsCSV(w io.Writer, rows []queries.StatRow) error {
	cw := exchange.NewCSVWriter(w)
	cw.Write([]string{"year", "province", "operator", "method", "area_m2", "events", "with_evidence_m2", "with_evidence_areas",
		"ap_mines_destroyed", "at_mines_destroyed", "erw_destroyed", "deminers", "women"})
	for _, r := range rows {
		cw.Write([]string{strconv.Itoa(r.Year), r.Province, r.Operator, r.Method, i64(r.AreaM2), i64(r.Events), i64(r.EvidenceM2),
			i64(r.EvidenceAreas), i64(r.APMinesDestroyed), i64(r.ATMinesDestroyed), i64(r.ERWDestroyed), i64(r.Deminers), i64(r.Women)})
	}
	cw.Flush()
	return cw.Error()
}
