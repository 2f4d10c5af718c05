package queries

import (
	"context"
	"sort"
	"time"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// FlagQuarantined is the audit filter that lists the quarantined messages of
// the history instead of audit entries.
const FlagQuarantined = "QUARANTINED"

// Audit is the audit document of `audit --json` and GET /api/v1/audit: the
// entries that match, the evidence share of the areas added in the period,
// the open areas idle (when asked for), or, with the flag QUARANTINED, the
// messages of the history that are not events (and no entries).
type Audit struct {
	Entries       []AuditEntry  `json:"entries"`
	EvidenceShare EvidenceShare `json:"evidence_share"`
	// IdleAreas is there when idle years were asked for (null when none).
	IdleAreas *[]IdleArea `json:"idle_areas,omitempty"`
	// Quarantined is there with the flag QUARANTINED (empty when none).
	Quarantined *[]QuarantinedMessage `json:"quarantined,omitempty"`
}

// AuditEntry is one entry of the audit trail.
type AuditEntry struct {
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

// EvidenceShare answers "how much of the area added in the period came with
// evidence".
type EvidenceShare struct {
	From              string  `json:"from,omitempty"`
	To                string  `json:"to,omitempty"`
	AreasAdded        int     `json:"areas_added"`
	AddedM2           int64   `json:"added_m2"`
	WithEvidenceAreas int     `json:"with_evidence_areas"`
	WithEvidenceM2    int64   `json:"with_evidence_m2"`
	ShareWithEvidence float64 `json:"share_with_evidence"`
}

// IdleArea is an open area with no recorded activity for some years.
type IdleArea struct {
	AreaID         string `json:"area_id"`
	Province       string `json:"province"`
	Status         string `json:"status"`
	RemainingM2    int64  `json:"remaining_m2"`
	LastActivityOn string `json:"last_activity_on"`
}

// QuarantinedMessage is a message of the history that is not an event, as
// quality and audit --flag QUARANTINED list it.
type QuarantinedMessage struct {
	Sequence   uint64 `json:"sequence"`
	Subject    string `json:"subject"`
	Reason     string `json:"reason"`
	RecordedAt string `json:"recorded_at,omitempty"` // when the stream stored it
}

// QuarantinedMessages are the documents of quarantined messages (never nil).
func QuarantinedMessages(qs []events.Quarantined) []QuarantinedMessage {
	out := make([]QuarantinedMessage, 0, len(qs))
	for _, q := range qs {
		j := QuarantinedMessage{Sequence: q.Sequence, Subject: q.Subject, Reason: q.Reason}
		if !q.StoredAt.IsZero() {
			j.RecordedAt = q.StoredAt.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, j)
	}
	return out
}

// AuditOf builds the audit document of q from the register and a fold (the
// evidence share and idle areas come from the fold).
func AuditOf(ctx context.Context, reg Register, fold *projections.National, q AuditQuery) (Audit, error) {
	if q.Flag == FlagQuarantined {
		return AuditHead(ctx, reg, fold, q)
	}
	f := auditFilter(q)
	rows, err := reg.Audit(ctx, f)
	if err != nil {
		return Audit{}, err
	}
	entries := make([]AuditEntry, 0, len(rows))
	for _, r := range rows {
		entries = append(entries, AuditEntryOf(r))
	}
	doc := Audit{Entries: entries, EvidenceShare: EvidenceShareOf(fold, f.From, f.To)}
	if q.IdleYears > 0 {
		idle := IdleAreas(fold, q.IdleYears)
		doc.IdleAreas = &idle
	}
	return doc, nil
}

// AuditHead is the audit document of q without its entries (Entries empty),
// which EachAuditEntry hands over one at a time: AuditOf's document is
// AuditHead's with the entries of EachAuditEntry, in their order. With the
// flag QUARANTINED it is the whole document.
func AuditHead(ctx context.Context, reg Register, fold *projections.National, q AuditQuery) (Audit, error) {
	f := auditFilter(q)
	doc := Audit{Entries: []AuditEntry{}, EvidenceShare: EvidenceShareOf(fold, f.From, f.To)}
	if f.Flag == FlagQuarantined {
		qs, err := reg.Quarantine(ctx, f.Limit)
		if err != nil {
			return Audit{}, err
		}
		msgs := QuarantinedMessages(qs)
		doc.Quarantined = &msgs
		return doc, nil
	}
	if q.IdleYears > 0 {
		idle := IdleAreas(fold, q.IdleYears)
		doc.IdleAreas = &idle
	}
	return doc, nil
}

// AuditStreamer is a Register that hands over audit entries one at a time,
// as it reads them, instead of in one list (the SQL read model streams its
// cursor).
type AuditStreamer interface {
	// EachAudit calls fn with each audit entry that matches f, oldest
	// first; an error of fn stops it and is returned.
	EachAudit(ctx context.Context, f AuditFilter, fn func(projections.AuditRow) error) error
}

// EachAuditEntry calls fn with each entry of the audit document of q, in
// the document's order, without holding them when reg is an AuditStreamer
// (at 2.5 million events the trail has millions of entries). With the flag
// QUARANTINED there are none.
func EachAuditEntry(ctx context.Context, reg Register, q AuditQuery, fn func(AuditEntry) error) error {
	if q.Flag == FlagQuarantined {
		return nil
	}
	f := auditFilter(q)
	if s, ok := reg.(AuditStreamer); ok {
		return s.EachAudit(ctx, f, func(r projections.AuditRow) error { return fn(AuditEntryOf(r)) })
	}
	rows, err := reg.Audit(ctx, f)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := fn(AuditEntryOf(r)); err != nil {
			return err
		}
	}
	return nil
}

func auditFilter(q AuditQuery) AuditFilter {
	return AuditFilter{AreaID: q.Area, From: q.From, To: q.To, Action: q.Action, Flag: q.Flag, Limit: q.Limit}
}

// AuditEntryOf is the document of one audit row (evidence and flags never
// null).
func AuditEntryOf(r projections.AuditRow) AuditEntry {
	ev := r.Evidence
	if ev == nil {
		ev = []events.Evidence{}
	}
	flags := r.Flags
	if flags == nil {
		flags = []string{}
	}
	return AuditEntry{r.Sequence, r.EventID.String(), r.AreaID.String(), r.Province, r.Action,
		r.OccurredOn.String(), r.RecordedAt.UTC().Format("2006-01-02T15:04:05Z"), r.Actor, r.CommandID.String(),
		r.FromClass, r.ToClass, r.SizeM2, r.Method, r.Reason, ev, r.EvidenceCount, flags}
}

// EvidenceShareOf answers "how much of the area added in the period came
// with evidence" from the register.
func EvidenceShareOf(n *projections.National, from, to events.Date) EvidenceShare {
	s := EvidenceShare{From: from.String(), To: to.String()}
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

// IdleAreas are the open areas with no activity in the years before the
// latest activity of the history, longest idle first, then by ID (nil
// when none).
func IdleAreas(n *projections.National, years int) []IdleArea {
	latest := events.Date{}
	for _, a := range n.Areas {
		if a.LastActivityOn.After(latest) {
			latest = a.LastActivityOn
		}
	}
	cut := events.NewDate(latest.Year()-years, latest.Time().Month(), latest.Time().Day())
	var out []IdleArea
	for _, a := range n.Areas {
		if a.RemainingM2 > 0 && a.LastActivityOn.Before(cut) {
			out = append(out, IdleArea{a.ID.String(), a.Province, a.Status, a.RemainingM2, a.LastActivityOn.String()})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].LastActivityOn != out[j].LastActivityOn {
			return out[i].LastActivityOn < out[j].LastActivityOn
		}
		return out[i].AreaID < out[j].AreaID // the same order on every run
	})
	return out
}

// Audit answers the audit document from the register and the live fold.
func (r *Reads) Audit(ctx context.Context, q AuditQuery) (Audit, error) {
	var doc Audit
	var err error
	r.Fold.View(func(n *projections.National) { doc, err = AuditOf(ctx, r.Register, n, q) })
	return doc, err
}
