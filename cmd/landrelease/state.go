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
	"github.com/landrelease/landrelease/queries"
)

func stateVerb() verb {
	return verb{
		name:    "state",
		summary: "the national database state, now or as of a date",
		usage:   "state [--as-of DATE | --as-recorded INSTANT] [--json]",
		help: `Prints the national picture: areas, open SHA and CHA, remaining m² and
land released by method, per province and in total; and, when any area is
access-restricted (RestrictAccess), the restricted areas and m² per
province ("restricted_areas", "restricted_m2" in --json).

Without flags it reads the read model, brought up to date with the history.
--as-of DATE answers "what was on the ground on that date, as we know it
now": it replays only the events that occurred by then (by their date in
the field), whenever they were recorded.
--as-recorded INSTANT answers "what did the database say at that instant":
it replays the events recorded by then (RFC 3339, e.g. 2021-06-30T00:00:00Z).
Neither writes anything.

Messages on the history's subjects that the engine did not write (or a
newer engine wrote) are skipped and counted as quarantined; the count is
printed when not zero ("quarantined" in --json).`,
		flags: func(fs *flag.FlagSet) any {
			o := &stateOpts{}
			fs.StringVar(&o.asOf, "as-of", "", "replay to this `date` (YYYY-MM-DD) by when events occurred")
			fs.StringVar(&o.asRecorded, "as-recorded", "", "replay to this `instant` (RFC 3339) by when events were recorded")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			return o
		},
		run: runState,
	}
}

type stateOpts struct {
	asOf, asRecorded string
	json             bool
}

func runState(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*stateOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease state: takes no arguments")
		return exitUsage
	}
	if opts.asOf != "" && opts.asRecorded != "" {
		fmt.Fprintln(a.stderr, "landrelease state: give --as-of or --as-recorded, not both")
		return exitUsage
	}
	var keep func(events.Envelope) bool
	doc := queries.State{}
	if opts.asOf != "" {
		d, err := events.ParseDate(opts.asOf)
		if err != nil {
			fmt.Fprintf(a.stderr, "landrelease state: --as-of: %v\n", err)
			return exitUsage
		}
		keep, doc.AsOf = projections.AsOf(d), d.String()
	}
	if opts.asRecorded != "" {
		t, err := time.Parse(time.RFC3339, opts.asRecorded)
		if err != nil {
			fmt.Fprintf(a.stderr, "landrelease state: --as-recorded: want an RFC 3339 instant such as 2021-06-30T00:00:00Z: %v\n", err)
			return exitUsage
		}
		keep, doc.AsRecorded = projections.AsRecorded(t), t.UTC().Format(time.RFC3339)
	}
	var fold *projections.National
	var office string // a provincial office's sync line (text output)
	if keep != nil {
		eng, err := openEngine(ctx, a.g, a.stderr)
		if err != nil {
			return fail(a, "state", err)
		}
		defer eng.Close()
		defer replayGCPercent()()
		if fold, err = queries.ReplayState(ctx, eng.store, keep); err != nil {
			return fail(a, "state", err)
		}
	} else {
		rm, err := openReadModel(ctx, a)
		if err != nil {
			return fail(a, "state", err)
		}
		defer rm.Close()
		fold = rm.runner.Fold()
		if a.g.prov.isProvince() && !opts.json {
			office = officeSyncLine(ctx, rm.engine, &a.g.prov)
		}
	}
	doc = queries.StateOf(doc, fold)
	if opts.json {
		if err := writeJSON(a.stdout, doc); err != nil {
			return fail(a, "state", err)
		}
		return exitOK
	}
	writeState(a.stdout, doc)
	if office != "" {
		fmt.Fprintln(a.stdout, "\n"+office)
	}
	return exitOK
}

func writeState(w io.Writer, d queries.State) {
	switch {
	case d.AsOf != "":
		fmt.Fprintf(w, "National picture as of %s (events that occurred by then, as recorded now)\n\n", d.AsOf)
	case d.AsRecorded != "":
		fmt.Fprintf(w, "National picture as recorded at %s\n\n", d.AsRecorded)
	default:
		fmt.Fprintf(w, "National picture now (history up to event %d)\n\n", d.Sequence)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "province\tareas\topen SHA\topen CHA\tSHA m²\tCHA m²\tremaining m²\tcancelled NTS m²\tdesk m²\treduced m²\tcleared m²\treopened m²\tno evidence\t")
	row := func(name string, f projections.ProvinceFigures) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", name, f.Areas, f.OpenSHA, f.OpenCHA,
			m2(f.RemainingSHAM2), m2(f.RemainingCHAM2), m2(f.RemainingM2), m2(f.CancelledNTSM2), m2(f.CancelledDeskM2),
			m2(f.ReducedM2), m2(f.ClearedM2), m2(f.ReopenedM2), f.NoEvidenceAreas)
	}
	for _, p := range d.Provinces {
		row(p.Province, p)
	}
	row("Total", d.National)
	tw.Flush()
	if d.National.RestrictedAreas > 0 {
		fmt.Fprintln(w, "\nAccess-restricted (open areas whose survey and clearance await access; part of remaining m²)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "province	restricted areas	restricted m²	of remaining	")
		restricted := func(name string, f projections.ProvinceFigures) {
			share := 0.0
			if f.RemainingM2 > 0 {
				share = 100 * float64(f.RestrictedM2) / float64(f.RemainingM2)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%.1f%%\t\n", name, f.RestrictedAreas, m2(f.RestrictedM2), share)
		}
		for _, p := range d.Provinces {
			if p.RestrictedAreas > 0 {
				restricted(p.Province, p)
			}
		}
		restricted("Total", d.National)
		tw.Flush()
	}
	if len(d.Years) > 0 {
		fmt.Fprintln(w, "\nLand release per year (m²)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "year\tregistered\tcancelled NTS\tdesk analysis\treduced (TS)\tcleared\treopened\tcorrections\tAP mines\t")
		for _, y := range d.Years {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", y.Year, m2(y.RegisteredM2), m2(y.CancelledNTSM2), m2(y.CancelledDeskM2),
				m2(y.ReducedM2), m2(y.ClearedM2), m2(y.ReopenedM2), m2(y.CorrectionM2), y.APMines)
		}
		tw.Flush()
	}
	if d.Quarantined > 0 {
		fmt.Fprintf(w, "\n%d message(s) of the history are not events the engine wrote and were skipped (quarantined).\n"+
			"List them with 'landrelease quality' or 'landrelease audit --flag QUARANTINED'; see docs/security.md.\n", d.Quarantined)
	}
}

// m2 formats square metres with thousands separators.
func m2(v int64) string {
	s := fmt.Sprint(v)
	neg := v < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
