package projectiontest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

var (
	day0 = events.MustDate("2019-02-11")
	day1 = events.MustDate("2019-07-30")
	day2 = events.MustDate("2020-01-15")
	// Whole microseconds, in and out of daylight saving nowhere: UTC.
	at0 = time.Date(2019, 2, 12, 8, 30, 0, 123456000, time.UTC)
	at1 = time.Date(2019, 8, 1, 14, 5, 9, 654321000, time.UTC)
)

// geometry is a small GeoJSON polygon.
func geometry(x float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,13.1],[%g,13.1],[%g,13.2],[%g,13.1]]]}`, x, x+0.01, x, x))
}

// area returns a row with every field set, distinct where it can be, so a
// column mix-up cannot go unnoticed.
func area(seq uint64, province string, geom json.RawMessage) projections.AreaRow {
	return projections.AreaRow{
		ID: uuid.New(), Province: province, District: "Kamrieng", Commune: "Boeung Reang", Village: "O Da",
		Hazard: "AP", Classification: "CHA", Status: "CHA", Source: "BLS", SizeM2: 120_000, RemainingM2: 80_000,
		CancelledNTSM2: 11_000, CancelledDeskM2: 2_000, ReducedM2: 13_000, ClearedM2: 14_000, ReopenedM2: 5_000,
		EvidenceCount: 3, DirectEvidence: 2, LandUse: "AGRICULTURE", CasualtiesLast5y: 4, CommunityRequest: true,
		APMinesDestroyed: 21, ATMinesDestroyed: 2, ERWDestroyed: 17, Reclassifications: 1, LastOperator: "CMAC",
		Geometry: geom, RegisteredOn: day0, LastActivityOn: day1, ReleasedOn: day2,
		FirstRecordedAt: at0, LastRecordedAt: at1, LastSequence: seq,
		RestrictedSince: day1, RestrictedUntil: day2, RestrictionReason: "Thai border: awaits a bilateral mechanism",
	}
}

func deployment(seq uint64) projections.DeploymentRow {
	return projections.DeploymentRow{
		ID: uuid.New(), Operator: "HALO", Province: "Pailin", Method: "CLEARANCE", Deminers: 120, Women: 45,
		From: day0, To: day2, ProductivityM2PerDeminerDay: 31.25, WorkingDaysPerYear: 220,
		AnnualCostUSD: 2_400_000, LastSequence: seq,
	}
}

func statRow(year int, province, method string, m2 int64) projections.StatRow {
	return projections.StatRow{
		StatKey: projections.StatKey{Year: year, Province: province, Operator: "CMAC", Method: method},
		AreaM2:  m2, Events: 1, EvidenceM2: 3, EvidenceAreas: 4, APMinesDestroyed: 5, ATMinesDestroyed: 6,
		ERWDestroyed: 7, Deminers: 8, Women: 9,
	}
}

func auditRow(seq uint64, a projections.AreaRow) projections.AuditRow {
	return projections.AuditRow{
		Sequence: seq, EventID: uuid.New(), AreaID: a.ID, Province: a.Province, Action: "CANCELLED",
		OccurredOn: day1, RecordedAt: at1, Actor: "cmaa.analyst", CommandID: uuid.New(), FromClass: "SHA",
		ToClass: "CHA", SizeM2: 11_000, Method: "NTS", Reason: "no evidence of contamination",
		Evidence: []events.Evidence{
			{Kind: "ACCIDENT", ObservedOn: day0, Description: "cow killed", Reference: "MIS-77"},
			{Kind: "DEVICE_FOUND", ObservedOn: day1},
		},
		EvidenceCount: 2, Flags: []string{projections.FlagDeskCancellation, projections.FlagCancelledCHA},
	}
}

// fullChanges returns changes with every row type, up to sequence seq.
func fullChanges(seq uint64) projections.Changes {
	a1 := area(seq-3, "Battambang", geometry(102.9))
	a2 := area(seq-2, "Pailin", nil)
	a2.Status, a2.Classification, a2.CommunityRequest, a2.ReleasedOn = "SHA", "SHA", false, events.Date{}
	return projections.Changes{
		Areas:       []projections.AreaRow{a1, a2},
		Deployments: []projections.DeploymentRow{deployment(seq - 4)},
		Pledges: []projections.PledgeRow{{ID: uuid.New(), Donor: "Japan", Year: 2020, AmountUSD: 1_500_000,
			Operator: "CMAC", Province: "Battambang", Sequence: seq - 5}},
		Shortfalls: []projections.ShortfallRow{{Sequence: seq - 6, Year: 2021, AmountUSD: 300_000,
			Reason: "pledge not renewed", Operator: "HALO", Province: "Pailin", RecordedOn: day2}},
		Deadlines: []projections.DeadlineRow{{Sequence: seq - 7, Country: "KH", Deadline: events.MustDate("2025-12-31"),
			PreviousDeadline: events.MustDate("2019-12-31"), Reason: "extension granted",
			Milestones: []events.Milestone{{Year: 2020, ReleaseM2: 100_000_000}, {Year: 2021, ReleaseM2: 110_000_000}},
			SetOn:      day1}},
		WorkPlans: []projections.WorkPlanRow{{Province: "Battambang", Year: 2020, Revision: 2,
			Status: projections.WorkPlanEndorsed, ApprovedBy: "PMAC Battambang", EndorsedBy: "CMAA",
			AreaIDs: []uuid.UUID{a2.ID, a1.ID}, LastSequence: seq - 1}},
		Stats: []projections.StatRow{
			statRow(2019, "Battambang", projections.MethodNTS, 11_000),
			statRow(2019, "Pailin", projections.MethodClearance, 14_000),
		},
		Audit:    []projections.AuditRow{auditRow(seq-8, a1), auditRow(seq, a2)},
		Sequence: seq,
	}
}

func mustCommit(t *testing.T, s projections.Store, c projections.Changes) {
	t.Helper()
	if err := s.Commit(context.Background(), c); err != nil {
		t.Fatalf("Commit up to %d: %v", c.Sequence, err)
	}
}

func mustLoad(t *testing.T, s projections.Store) projections.State {
	t.Helper()
	st, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return normalState(st)
}

// want is the State a store must load after the given commits, computed
// the way the fold sees it: rows replaced by ID, statistics added up.
func want(commits ...projections.Changes) projections.State {
	areas := map[uuid.UUID]projections.AreaRow{}
	deps := map[uuid.UUID]projections.DeploymentRow{}
	plans := map[projections.WorkPlanKey]projections.WorkPlanRow{}
	stats := map[projections.StatKey]projections.StatRow{}
	var st projections.State
	for _, c := range commits {
		for _, a := range c.Areas {
			areas[a.ID] = a
		}
		for _, d := range c.Deployments {
			deps[d.ID] = d
		}
		for _, w := range c.WorkPlans {
			plans[projections.WorkPlanKey{Province: w.Province, Year: w.Year}] = w
		}
		for _, s := range c.Stats {
			sum := stats[s.StatKey]
			sum.StatKey = s.StatKey
			sum.AreaM2 += s.AreaM2
			sum.Events += s.Events
			sum.EvidenceM2 += s.EvidenceM2
			sum.EvidenceAreas += s.EvidenceAreas
			sum.APMinesDestroyed += s.APMinesDestroyed
			sum.ATMinesDestroyed += s.ATMinesDestroyed
			sum.ERWDestroyed += s.ERWDestroyed
			sum.Deminers += s.Deminers
			sum.Women += s.Women
			stats[s.StatKey] = sum
		}
		st.Sequence = c.Sequence
		st.Version = projections.NationalVersion
	}
	for _, a := range areas {
		st.Areas = append(st.Areas, a)
	}
	for _, d := range deps {
		st.Deployments = append(st.Deployments, d)
	}
	for _, w := range plans {
		st.WorkPlans = append(st.WorkPlans, w)
	}
	for _, s := range stats {
		st.Stats = append(st.Stats, s)
	}
	return normalState(st)
}

// normalState sorts a State and drops what Load need not return (geometry)
// and what does not count (empty versus nil lists, time zones).
func normalState(st projections.State) projections.State {
	for i := range st.Areas {
		a := &st.Areas[i]
		a.Geometry = nil
		a.FirstRecordedAt, a.LastRecordedAt = utc(a.FirstRecordedAt), utc(a.LastRecordedAt)
	}
	slices.SortFunc(st.Areas, func(a, b projections.AreaRow) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	slices.SortFunc(st.Deployments, func(a, b projections.DeploymentRow) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	slices.SortFunc(st.WorkPlans, func(a, b projections.WorkPlanRow) int {
		return strings.Compare(fmt.Sprintf("%s/%06d", a.Province, a.Year), fmt.Sprintf("%s/%06d", b.Province, b.Year))
	})
	for i := range st.WorkPlans {
		if len(st.WorkPlans[i].AreaIDs) == 0 {
			st.WorkPlans[i].AreaIDs = nil
		}
	}
	slices.SortFunc(st.Stats, func(a, b projections.StatRow) int {
		return strings.Compare(fmt.Sprintf("%06d/%s/%s/%s", a.Year, a.Province, a.Operator, a.Method),
			fmt.Sprintf("%06d/%s/%s/%s", b.Year, b.Province, b.Operator, b.Method))
	})
	if len(st.Areas) == 0 {
		st.Areas = nil
	}
	if len(st.Deployments) == 0 {
		st.Deployments = nil
	}
	if len(st.WorkPlans) == 0 {
		st.WorkPlans = nil
	}
	if len(st.Stats) == 0 {
		st.Stats = nil
	}
	return st
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func assertState(t *testing.T, what string, got, want projections.State) {
	t.Helper()
	if got.Sequence != want.Sequence || got.Version != want.Version {
		t.Errorf("%s: checkpoint %d version %d, want %d version %d", what, got.Sequence, got.Version, want.Sequence, want.Version)
	}
	check := func(name string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s differ\n got: %+v\nwant: %+v", what, name, g, w)
		}
	}
	check("areas", got.Areas, want.Areas)
	check("deployments", got.Deployments, want.Deployments)
	check("work plans", got.WorkPlans, want.WorkPlans)
	check("statistics", got.Stats, want.Stats)
}
