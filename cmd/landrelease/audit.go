package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
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

type auditEntryJSON struct {
	Sequence      uint64            `json:"sequence"`
	EventID       string            `json:"event_id"`
	AreaID        string            `json:"area_id"`
	Province      string            `json:"province"`
	Action        string            `json:"action"`
	OccurredOn    string            `json:"occurred_on"`
	RecordedAt    string            `json:"recorded_at"`
	Actor         string            `json:"actor"`
	CommandID     string            `json:"command_id"`
	From          string            `json:"from,omitempty"`
	To            string            `json:"to,omitempty"`
	SizeM2        int64             `json:"size_m2,omitempty"`
	Method        string            `json:"method,omitempty"`
	Reason        string            `json:"reason,omitempty"`
	Evidence      []events.Evidence `json:"evidence"`
	EvidenceCount int               `json:"evidence_count"`
	Flags         []string          `json:"flags"`
}

type evidenceShareJSON struct {
	From              string  `json:"from,omitempty"`
	To                string  `json:"to,omitempty"`
	AreasAdded        int     `json:"areas_added"`
	AddedM2           int64   `json:"added_m2"`
	WithEvidenceAreas int     `json:"with_evidence_areas"`
	WithEvidenceM2    int64   `json:"with_evidence_m2"`
	ShareWithEvidence float64 `json:"share_with_evidence"`
}

type idleJSON struct {
	AreaID         string `json:"area_id"`
	Province       string `json:"province"`
	Status         string `json:"status"`
	RemainingM2    int64  `json:"remaining_m2"`
	LastActivityOn string `json:"last_activity_on"`
}

func runAudit(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*auditOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease audit: takes no arguments")
		return exitUsage
	}
	var f sqlstore.AuditFilter
	var err error
	if opts.area != "" {
		if f.AreaID, err = uuid.Parse(opts.area); err != nil {
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
	f.Action, f.Flag, f.Limit = strings.ToUpper(opts.action), strings.ToUpper(opts.flag), opts.limit
	rm, err := openReadModel(ctx, a)
	if err != nil {
		return fail(a, "audit", err)
	}
	defer rm.Close()
	doc, err := auditDoc(ctx, rm.db, rm.runner.Fold(), f, opts.idleYears)
	if err != nil {
		return fail(a, "audit", err)
	}
	if opts.json {
		if err := writeJSON(a.stdout, doc); err != nil {
			return fail(a, "audit", err)
		}
		return exitOK
	}
	if q, ok := doc["quarantined"].([]quarantineJSON); ok {
		if len(q) == 0 {
			fmt.Fprintln(a.stdout, "No quarantined messages: every message of the history is an event.")
		}
		writeQuarantine(a.stdout, q)
		if len(q) == f.Limit && f.Limit > 0 {
			fmt.Fprintf(a.stdout, "(first %d messages; --limit 0 for all)\n", f.Limit)
		}
		return exitOK
	}
	entries, share := doc["entries"].([]auditEntryJSON), doc["evidence_share"].(evidenceShareJSON)
	idle, _ := doc["idle_areas"].([]idleJSON)
	w := a.stdout
	period := "all time"
	if share.From != "" || share.To != "" {
		period = fmt.Sprintf("%s … %s", orDash(share.From), orDash(share.To))
	}
	fmt.Fprintf(w, "Areas added (%s): %d, %s m²; with evidence: %d areas, %s m² (%.0f%% of the area)\n\n", period,
		share.AreasAdded, m2(share.AddedM2), share.WithEvidenceAreas, m2(share.WithEvidenceM2), 100*share.ShareWithEvidence)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "occurred\taction\tarea\tprovince\tclass\tm²\tmethod\tactor\treason\tevidence\tflags")
	for _, e := range entries {
		class := e.To
		if e.From != "" {
			class = e.From + "→" + orDash(e.To)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", e.OccurredOn, e.Action, e.AreaID, e.Province,
			orDash(class), m2(e.SizeM2), orDash(e.Method), orDash(e.Actor), orDash(e.Reason), len(e.Evidence), strings.Join(e.Flags, ","))
	}
	tw.Flush()
	if len(entries) == f.Limit && f.Limit > 0 {
		fmt.Fprintf(w, "(first %d entries; --limit 0 for all)\n", f.Limit)
	}
	if opts.idleYears > 0 {
		fmt.Fprintf(w, "\nOpen areas with no activity for %d years (desk-analysis candidates): %d\n", opts.idleYears, len(idle))
		for _, i := range idle {
			fmt.Fprintf(w, "  %s  %-16s %s  %s m²  last activity %s\n", i.AreaID, i.Province, i.Status, m2(i.RemainingM2), i.LastActivityOn)
		}
	}
	return exitOK
}

// FlagQuarantined is the audit filter that lists the quarantined messages of
// the history instead of audit entries.
const FlagQuarantined = "QUARANTINED"

// auditDoc is the audit document of the CLI and the API: the entries that
// match f, the evidence share of the areas added in f's period and, with
// idleYears > 0, the open areas idle that long. With f.Flag QUARANTINED it
// lists instead, under "quarantined", the messages of the history that are
// not events, in sequence order (at most f.Limit), with no entries.
func auditDoc(ctx context.Context, db *sqlstore.Store, fold *projections.National, f sqlstore.AuditFilter, idleYears int) (map[string]any, error) {
	if f.Flag == FlagQuarantined {
		qs, err := db.Quarantine(ctx, f.Limit)
		if err != nil {
			return nil, err
		}
		return map[string]any{"entries": []auditEntryJSON{}, "evidence_share": evidenceShare(fold, f.From, f.To),
			"quarantined": quarantineJSONs(qs)}, nil
	}
	rows, err := db.Audit(ctx, f)
	if err != nil {
		return nil, err
	}
	entries := make([]auditEntryJSON, 0, len(rows))
	for _, r := range rows {
		ev := r.Evidence
		if ev == nil {
			ev = []events.Evidence{}
		}
		flags := r.Flags
		if flags == nil {
			flags = []string{}
		}
		entries = append(entries, auditEntryJSON{r.Sequence, r.EventID.String(), r.AreaID.String(), r.Province, r.Action,
			r.OccurredOn.String(), r.RecordedAt.UTC().Format("2006-01-02T15:04:05Z"), r.Actor, r.CommandID.String(),
			r.FromClass, r.ToClass, r.SizeM2, r.Method, r.Reason, ev, r.EvidenceCount, flags})
	}
	doc := map[string]any{"entries": entries, "evidence_share": evidenceShare(fold, f.From, f.To)}
	if idleYears > 0 {
		doc["idle_areas"] = idleAreas(fold, idleYears)
	}
	return doc, nil
}

// evidenceShare answers "how much of the area added in the period came with
// evidence" from the register.
func evidenceShare(n *projections.National, from, to events.Date) evidenceShareJSON {
	s := evidenceShareJSON{From: from.String(), To: to.String()}
	for _, a := range n.Areas {
		if (!from.IsZero() && a.RegisteredOn.Before(from)) || (!to.IsZero() && a.RegisteredOn.After(to)) {
			continue
		}
		s.AreasAdded++
		s.AddedM2 += a.SizeM2
		if a.EvidenceCount > 0 {
			s.WithEvidenceAreas++
			s.WithEvidenceM2 += a.SizeM2
		}
	}
	if s.AddedM2 > 0 {
		s.ShareWithEvidence = float64(s.WithEvidenceM2) / float64(s.AddedM2)
	}
	return s
}

func idleAreas(n *projections.National, years int) []idleJSON {
	latest := events.Date{}
	for _, a := range n.Areas {
		if a.LastActivityOn.After(latest) {
			latest = a.LastActivityOn
		}
	}
	cut := events.NewDate(latest.Year()-years, latest.Time().Month(), latest.Time().Day())
	var out []idleJSON
	for _, a := range n.Areas {
		if a.RemainingM2 > 0 && a.LastActivityOn.Before(cut) {
			out = append(out, idleJSON{a.ID.String(), a.Province, a.Status, a.RemainingM2, a.LastActivityOn.String()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastActivityOn < out[j].LastActivityOn })
	return out
}
