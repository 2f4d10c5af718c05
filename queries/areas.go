package queries

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// Area is an area of the register as the API shows it.
type Area struct {
	ID                string          `json:"id"`
	Province          string          `json:"province"`
	District          string          `json:"district,omitempty"`
	Commune           string          `json:"commune,omitempty"`
	Village           string          `json:"village,omitempty"`
	Hazard            string          `json:"hazard"`
	Classification    string          `json:"classification"`
	Status            string          `json:"status"`
	Source            string          `json:"source,omitempty"`
	SizeM2            int64           `json:"size_m2"`
	RemainingM2       int64           `json:"remaining_m2"`
	CancelledNTSM2    int64           `json:"cancelled_nts_m2"`
	CancelledDeskM2   int64           `json:"cancelled_desk_m2"`
	ReducedM2         int64           `json:"reduced_m2"`
	ClearedM2         int64           `json:"cleared_m2"`
	ReopenedM2        int64           `json:"reopened_m2"`
	EvidenceCount     int             `json:"evidence_count"`
	DirectEvidence    int             `json:"direct_evidence"`
	LandUse           string          `json:"land_use,omitempty"`
	CasualtiesLast5y  int             `json:"casualties_last_5y"`
	CommunityRequest  bool            `json:"community_request"`
	APMinesDestroyed  int             `json:"ap_mines_destroyed"`
	ATMinesDestroyed  int             `json:"at_mines_destroyed"`
	ERWDestroyed      int             `json:"erw_destroyed"`
	Reclassifications int             `json:"reclassifications"`
	LastOperator      string          `json:"last_operator,omitempty"`
	RegisteredOn      string          `json:"registered_on"`
	LastActivityOn    string          `json:"last_activity_on"`
	ReleasedOn        string          `json:"released_on,omitempty"`
	LastSequence      uint64          `json:"last_sequence"`
	Geometry          json.RawMessage `json:"geometry,omitempty"`
	// Access restriction (RestrictAccess), absent when access is open:
	// since when, the date access is expected to open (absent when not
	// known) and why.
	RestrictedSince   string `json:"restricted_since,omitempty"`
	RestrictedUntil   string `json:"restricted_until,omitempty"`
	RestrictionReason string `json:"restriction_reason,omitempty"`
}

// AreaOf is the document of a register row.
func AreaOf(a projections.AreaRow) Area {
	out := Area{ID: a.ID.String(), Province: a.Province, District: a.District, Commune: a.Commune, Village: a.Village,
		Hazard: a.Hazard, Classification: a.Classification, Status: a.Status, Source: a.Source, SizeM2: a.SizeM2,
		RemainingM2: a.RemainingM2, CancelledNTSM2: a.CancelledNTSM2, CancelledDeskM2: a.CancelledDeskM2,
		ReducedM2: a.ReducedM2, ClearedM2: a.ClearedM2, ReopenedM2: a.ReopenedM2, EvidenceCount: a.EvidenceCount,
		DirectEvidence: a.DirectEvidence, LandUse: a.LandUse, CasualtiesLast5y: a.CasualtiesLast5y,
		CommunityRequest: a.CommunityRequest, APMinesDestroyed: a.APMinesDestroyed, ATMinesDestroyed: a.ATMinesDestroyed,
		ERWDestroyed: a.ERWDestroyed, Reclassifications: a.Reclassifications, LastOperator: a.LastOperator,
		RegisteredOn: a.RegisteredOn.String(), LastActivityOn: a.LastActivityOn.String(), LastSequence: a.LastSequence}
	if !a.ReleasedOn.IsZero() {
		out.ReleasedOn = a.ReleasedOn.String()
	}
	if a.Restricted() {
		out.RestrictedSince, out.RestrictionReason = a.RestrictedSince.String(), a.RestrictionReason
		if !a.RestrictedUntil.IsZero() {
			out.RestrictedUntil = a.RestrictedUntil.String()
		}
	}
	if len(a.Geometry) > 0 && string(a.Geometry) != "null" {
		out.Geometry = a.Geometry
	}
	return out
}

// AreaPage is a page of the register: GET /api/v1/areas.
type AreaPage struct {
	Areas  []Area `json:"areas"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
	Total  int    `json:"total"` // areas that match, over all pages
}

// HistoryEvent is one event of an area's history.
type HistoryEvent struct {
	Sequence   uint64       `json:"sequence"`
	EventID    string       `json:"event_id"`
	Type       string       `json:"type"`
	OccurredOn string       `json:"occurred_on"`
	RecordedAt string       `json:"recorded_at"`
	Actor      string       `json:"actor,omitempty"`
	CommandID  string       `json:"command_id"`
	Data       events.Event `json:"data"`
}

// AreaHistory is one area and every event of it: GET /api/v1/areas/{id}.
type AreaHistory struct {
	Area    Area           `json:"area"`
	History []HistoryEvent `json:"history"`
}

// Areas answers a page of the register and how many areas match in all.
func (r *Reads) Areas(ctx context.Context, q AreaQuery) (AreaPage, error) {
	rows, err := r.Register.Areas(ctx, AreaFilter(q))
	if err != nil {
		return AreaPage{}, err
	}
	total := 0
	r.Fold.View(func(n *projections.National) {
		for _, a := range n.Areas {
			if (q.Province == "" || a.Province == q.Province) && (q.Status == "" || a.Status == q.Status) {
				total++
			}
		}
	})
	out := make([]Area, len(rows))
	for i, row := range rows {
		out[i] = AreaOf(row)
	}
	return AreaPage{Areas: out, Total: total, Limit: q.Limit, Offset: q.Offset}, nil
}

// Area answers one area of the register with its history.
func (r *Reads) Area(ctx context.Context, id uuid.UUID) (AreaHistory, error) {
	row, err := r.Register.Area(ctx, id)
	if err != nil {
		return AreaHistory{}, err
	}
	envs, _, err := r.History.Load(ctx, events.Ref{Country: r.Country, Kind: events.KindArea, ID: id})
	if err != nil {
		return AreaHistory{}, err
	}
	hist := make([]HistoryEvent, len(envs))
	for i, e := range envs {
		hist[i] = HistoryEvent{e.Sequence, e.ID.String(), e.Type, e.OccurredOn.String(), e.RecordedAt.UTC().Format(time.RFC3339),
			e.Actor, e.CommandID.String(), e.Data}
	}
	return AreaHistory{Area: AreaOf(row), History: hist}, nil
}
