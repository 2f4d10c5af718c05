package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/queries"
)

func auditVerb() verb {
	return verb{
		name:    "audit",
		summary: "why areas were added, reclassified, cancelled, corrected or reopened, and on what evidence",
		usage:   "audit [--area ID] [--from DATE] [--to DATE] [--action A] [--flag F] [--idle-years N] [--json]",
		help: `Lists the audit trail: every registration, confirmation, reclassification,
cancellation, correction, reopening and piece of evidence, with its date,
actor, reason, evidence and the command that caused it, oldest first.

It also answers the data-quality questions of a national authority:
  - how much of the area added in the period came with evidence
    (registrations flagged NO_EVIDENCE are candidates for non-technical survey);
  - cancellations without a field survey (DESK_CANCELLATION), confirmed
    areas cancelled (CANCELLED_CHA), downgrades (DOWNGRADED), CHAs with no
    direct evidence (CHA_WITHOUT_DIRECT), size corrections (SIZE_CORRECTION,
    SIZE_CORRECTED_10X for a unit error), residual contamination;
  - with --idle-years N, open areas with no recorded activity in the N years
    before the latest activity in the history
    (candidates for desk analysis).

--flag QUARANTINED lists instead the messages of the history that are not
events the engine wrote (skipped by every reader: see docs/security.md),
with their sequence, subject and reason ("quarantined" in --json).`,
		flags: func(fs *flag.FlagSet) any {
			o := &auditOpts{}
			fs.StringVar(&o.area, "area", "", "only this area `id`")
			fs.StringVar(&o.from, "from", "", "entries that occurred on or after this `date`")
			fs.StringVar(&o.to, "to", "", "entries that occurred on or before this `date`")
			fs.StringVar(&o.action, "action", "", "only this `action` (REGISTERED, CONFIRMED, RECLASSIFIED, CANCELLED, CORRECTED, REOPENED, EVIDENCE)")
			fs.StringVar(&o.flag, "flag", "", "only entries with this `flag`; QUARANTINED lists the messages that are not events")
			fs.IntVar(&o.idleYears, "idle-years", 0, "also list open areas with no activity for `N` years")
			fs.IntVar(&o.limit, "limit", 1000, "at most `N` entries (0: all)")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			return o
		},
		run: runAudit,
	}
}

type auditOpts struct {
	area, from, to, action, flag string
	idleYears, limit             int
	json                         bool
}

func runAudit(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*auditOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease audit: takes no arguments")
		return exitUsage
	}
	var f queries.AuditQuery
	var err error
	if opts.area != "" {
		if f.Area, err = uuid.Parse(opts.area); err != nil {
			fmt.Fprintf(a.stderr, "landrelease audit: --area: not a UUID: %q\n", opts.area)
			return exitUsage
		}
	}
	for _, d := range []struct {
		flag, v string
		dst     *events.Date
	}{{"--from", opts.from, &f.From}, {"--to", opts.to, &f.To}} {
		if d.v == "" {
			continue
		}
		if *d.dst, err = events.ParseDate(d.v); err != nil {
			fmt.Fprintf(a.stderr, "landrelease audit: %s: %v\n", d.flag, err)
			return exitUsage
		}
	}
	f.Action, f.Flag, f.Limit, f.IdleYears = strings.ToUpper(opts.action), strings.ToUpper(opts.flag), opts.limit, opts.idleYears
	rm, err := openReadModel(ctx, a)
	if err != nil {
		return fail(a, "audit", err)
	}
	defer rm.Close()
	reg := sqlRegister{rm.db}
	// The entries are printed as the register reads them, never held: at
	// 2.5 million events --limit 0 lists millions.
	head, err := queries.AuditHead(ctx, reg, rm.runner.Fold(), f)
	if err != nil {
		return fail(a, "audit", err)
	}
	if opts.json {
		err = writeAuditJSON(ctx, a.stdout, reg, head, f)
	} else {
		err = writeAuditText(ctx, a.stdout, reg, head, f)
	}
	if err != nil {
		return fail(a, "audit", err)
	}
	return exitOK
}
