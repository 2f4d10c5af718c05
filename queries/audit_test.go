package queries

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// register is a Register of plain values; asked records the filters.
type register struct {
	audit      []projections.AuditRow
	quarantine []events.Quarantined
	asked      []AuditFilter
}

func (r *register) Areas(context.Context, AreaFilter) ([]projections.AreaRow, error) { return nil, nil }
func (r *register) Area(context.Context, uuid.UUID) (projections.AreaRow, error) {
	return projections.AreaRow{}, nil
}
func (r *register) Audit(_ context.Context, f AuditFilter) ([]projections.AuditRow, error) {
	r.asked = append(r.asked, f)
	return r.audit, nil
}
func (r *register) Quarantine(_ context.Context, n int) ([]events.Quarantined, error) {
	return r.quarantine[:min(n, len(r.quarantine))], nil
}

// The audit document's keys are those the CLI and the API have always
// answered: idle_areas only when idle years are asked for (null when no
// area is idle), quarantined only for the flag QUARANTINED (a list, empty
// when none), entries and flags never null.
func TestAuditDocumentShape(t *testing.T) {
	ctx := context.Background()
	fold := projections.NewNational()
	id := uuid.MustParse("017e12ef-9c00-72c3-bc5c-2fc0c282a703")
	fold.Areas[id] = &projections.AreaRow{ID: id, Province: "Pailin", Status: "SHA", SizeM2: 100, RemainingM2: 100,
		RegisteredOn: events.NewDate(2015, 1, 1), LastActivityOn: events.NewDate(2015, 1, 1)}
	reg := &register{audit: []projections.AuditRow{{Sequence: 1, AreaID: id, Action: "REGISTERED"}}}
	for _, c := range []struct {
		what string
		q    AuditQuery
		want string
	}{
		{"plain", AuditQuery{Limit: 10}, `{"entries":[{"sequence":1,"event_id":"00000000-0000-0000-0000-000000000000","area_id":"` + id.String() +
			`","province":"","action":"REGISTERED","occurred_on":"","recorded_at":"0001-01-01T00:00:00Z","actor":"","command_id":"00000000-0000-0000-0000-000000000000","evidence":[],"evidence_count":0,"flags":[]}],` +
			`"evidence_share":{"areas_added":1,"added_m2":100,"with_evidence_areas":0,"with_evidence_m2":0,"share_with_evidence":0}}`},
		{"none idle", AuditQuery{IdleYears: 20}, `"idle_areas":null}`},
		{"idle not asked", AuditQuery{IdleYears: 0}, `"share_with_evidence":0}}`},
		{"quarantine, none", AuditQuery{Flag: FlagQuarantined, Limit: 5}, `{"entries":[],"evidence_share":{"areas_added":1,"added_m2":100,"with_evidence_areas":0,"with_evidence_m2":0,"share_with_evidence":0},"quarantined":[]}`},
	} {
		doc, err := AuditOf(ctx, reg, fold, c.q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(string(b), c.want) || (c.q.IdleYears == 0 && strings.Contains(string(b), "idle_areas")) ||
			(c.q.Flag == "" && strings.Contains(string(b), "quarantined")) {
			t.Errorf("%s: %s\nwant it to end with %s", c.what, b, c.want)
		}
	}
	reg.quarantine = []events.Quarantined{{Sequence: 7, Subject: "x", Reason: "not JSON"}}
	doc, err := AuditOf(ctx, reg, fold, AuditQuery{Flag: FlagQuarantined})
	if err != nil || doc.Quarantined == nil || len(*doc.Quarantined) != 0 { // Limit 0 here: the fake's n
		t.Fatalf("quarantine with limit 0 on the fake: %+v %v", doc.Quarantined, err)
	}
	doc, err = AuditOf(ctx, reg, fold, AuditQuery{Flag: FlagQuarantined, Limit: 3})
	if err != nil || doc.Quarantined == nil || len(*doc.Quarantined) != 1 || (*doc.Quarantined)[0].Sequence != 7 {
		t.Fatalf("quarantine: %+v %v", doc.Quarantined, err)
	}
	doc, err = AuditOf(ctx, reg, fold, AuditQuery{IdleYears: 1})
	if err != nil || doc.IdleAreas == nil || len(*doc.IdleAreas) != 0 {
		t.Fatalf("one area, active on the latest day: want an empty list of idle areas, got %+v %v", doc.IdleAreas, err)
	}
}

// Idle areas list the longest idle first and, on the same date, by ID, so
// that two runs answer the same document.
func TestIdleAreasOrder(t *testing.T) {
	fold := projections.NewNational()
	add := func(id string, last events.Date) {
		u := uuid.MustParse(id)
		fold.Areas[u] = &projections.AreaRow{ID: u, RemainingM2: 1, LastActivityOn: last}
	}
	add("00000000-0000-0000-0000-00000000000c", events.NewDate(2010, 1, 1))
	add("00000000-0000-0000-0000-00000000000a", events.NewDate(2010, 1, 1))
	add("00000000-0000-0000-0000-00000000000b", events.NewDate(2009, 1, 1))
	add("00000000-0000-0000-0000-00000000000d", events.NewDate(2020, 1, 1)) // the latest activity
	var got []string
	for _, a := range IdleAreas(fold, 5) {
		got = append(got, a.AreaID[len(a.AreaID)-1:])
	}
	if strings.Join(got, "") != "bac" {
		t.Errorf("idle areas in the order %v, want b a c", got)
	}
}
