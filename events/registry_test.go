package events_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

var (
	areaID       = uuid.MustParse("01920000-0000-7000-8000-00000000a001")
	otherAreaID  = uuid.MustParse("01920000-0000-7000-8000-00000000a002")
	deploymentID = uuid.MustParse("01920000-0000-7000-8000-00000000d001")
	fundingID    = uuid.MustParse("01920000-0000-7000-8000-00000000f001")
	polygon      = json.RawMessage(`{"type":"Polygon","coordinates":[[[102.5,13.1],[102.6,13.1],[102.6,13.2],[102.5,13.1]]]}`)
)

func ptr[T any](v T) *T { return &v }

// catalogue holds one value of every event type, every field set, so that a
// field lost by encoding shows up as a difference.
func catalogue() []events.Event {
	d := events.MustDate
	ev := events.Evidence{Kind: "DEVICE_FOUND", ObservedOn: d("2020-02-03"), Description: "PMN-2 at the field edge", Reference: "QC-17"}
	return []events.Event{
		events.AreaRegistered{
			AreaID: areaID, Province: "Battambang", District: "Kamrieng", Commune: "Ta Krei", Village: "O Da",
			Hazard: events.HazardAP, Classification: events.SHA, SizeM2: 250_000, RegisteredOn: d("2020-01-01"),
			Source: "BLS", Geometry: polygon, LandUse: "AGRICULTURE", CasualtiesLast5y: 3, CommunityRequest: true,
			Evidence: []events.Evidence{ev},
		},
		events.EvidenceRecorded{AreaID: areaID, Evidence: ev},
		events.AreaConfirmed{AreaID: areaID, On: d("2020-03-01"), SizeM2: 120_000},
		events.AreaCancelled{AreaID: areaID, On: d("2020-03-01"), Method: events.CancelByDeskAnalysis, Reason: "no evidence", SizeM2: 130_000, Operator: "HALO", RemainingM2: 120_000},
		events.AreaReduced{AreaID: areaID, On: d("2020-04-01"), SizeM2: 20_000, Operator: "MAG", RemainingM2: 100_000},
		events.AreaCleared{AreaID: areaID, On: d("2020-05-01"), SizeM2: 100_000, Operator: "CMAC", APMinesDestroyed: 12, ATMinesDestroyed: 1, ERWDestroyed: 4, RemainingM2: 0},
		events.AreaReclassified{AreaID: areaID, On: d("2020-02-10"), From: events.SHA, To: events.CHA, Reason: "device found"},
		events.AreaRecordCorrected{
			AreaID: areaID, On: d("2020-02-11"), Reason: "hectares entered as m²",
			Set: events.AreaFields{SizeM2: ptr(int64(250_000)), Province: ptr("Pailin"), District: ptr("Sala Krau"), Commune: ptr("Stueng Kach"),
				Village: ptr("Phsar"), Geometry: polygon, Hazard: ptr(events.HazardMixed), LandUse: ptr(events.LandUse("FOREST"))},
			Was: events.AreaFields{SizeM2: ptr(int64(25)), Province: ptr("Battambang"), District: ptr("Kamrieng"), Commune: ptr("Ta Krei"),
				Village: ptr("O Da"), Hazard: ptr(events.HazardAP), LandUse: ptr(events.LandUse("AGRICULTURE"))},
			RemainingM2: 250_000,
		},
		events.AreaReopened{AreaID: areaID, On: d("2023-06-01"), To: events.CHA, SizeM2: 5_000, Reason: "accident on cleared land", Evidence: []events.Evidence{ev}, RemainingM2: 5_000},
		events.QAVisitRecorded{AreaID: areaID, On: d("2020-05-10"), Result: events.QAFail, Notes: "missed PMN", Operator: "CMAA QA"},
		events.CapacityDeployed{
			DeploymentID: deploymentID, Operator: "HALO", Province: "Battambang", Method: "MANUAL", Deminers: 120, Women: 40,
			From: d("2020-01-01"), To: d("2025-12-31"), ProductivityM2PerDeminerDay: 70.5, WorkingDaysPerYear: 200, AnnualCostUSD: 1_200_000,
		},
		events.CapacityWithdrawn{DeploymentID: deploymentID, On: d("2022-01-01"), Reason: "funding ended"},
		events.TaskAssigned{AreaID: areaID, DeploymentID: deploymentID, On: d("2020-03-02"), Task: "CLEARANCE", Operator: "HALO"},
		events.FundingPledged{FundingID: fundingID, Donor: "Japan", Year: 2021, AmountUSD: 3_000_000, Operator: "CMAC", Province: "Pailin"},
		events.FundingShortfallRecorded{Year: 2020, AmountUSD: 500_000, Reason: "COVID", Operator: "MAG", Province: "Battambang"},
		events.Article5DeadlineSet{Country: "KH", Deadline: d("2030-12-31"), Reason: "third extension",
			Milestones: []events.Milestone{{Year: 2026, ReleaseM2: 90_000_000}, {Year: 2027, ReleaseM2: 80_000_000}}, PreviousDeadline: d("2025-12-31"),
			DecidedOn: d("2025-12-05")},
		events.WorkPlanApproved{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID, otherAreaID}, ApprovedBy: "PMAC Battambang", Revision: 2},
		events.WorkPlanEndorsed{Province: "Battambang", Year: 2021, EndorsedBy: "CMAA", Revision: 2},
		events.AccessRestricted{AreaID: areaID, On: d("2021-01-15"), Reason: "Thai border: awaits a bilateral mechanism", ExpectedUntil: d("2027-01-01")},
		events.AccessRestrictionLifted{AreaID: areaID, On: d("2026-11-30"), Reason: "joint survey agreed"},
	}
}

func TestEveryCatalogueTypeSurvivesEncodeThenDecode(t *testing.T) {
	reg := events.NewRegistry()
	var seen []string
	for _, want := range catalogue() {
		t.Run(want.EventType(), func(t *testing.T) {
			data, err := events.Encode(want)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			schema, ok := reg.Schema(want.EventType())
			if !ok || schema != want.SchemaVersion() {
				t.Fatalf("Schema(%s) = %d, %v; want %d, true", want.EventType(), schema, ok, want.SchemaVersion())
			}
			got, err := reg.Decode(want.EventType(), want.SchemaVersion(), data)
			if err != nil {
				t.Fatalf("Decode: %v\ndata: %s", err, data)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the event\n got: %#v\nwant: %#v\ndata: %s", got, want, data)
			}
		})
		seen = append(seen, want.EventType())
	}
	slices.Sort(seen)
	if types := reg.Types(); !slices.Equal(types, seen) {
		t.Errorf("registry types %v\n  tested types %v\n(a new event type needs a value in catalogue())", types, seen)
	}
	if len(seen) != 20 {
		t.Errorf("the catalogue has %d types, docs/contract.md lists 20", len(seen))
	}
}

func TestEventTypeNamesAreTheContractsNames(t *testing.T) {
	// These strings are stored on disk; renaming a Go type must not change them.
	want := []string{
		"AreaRegistered", "EvidenceRecorded", "AreaConfirmed", "AreaCancelled", "AreaReduced",
		"AreaCleared", "AreaReclassified", "AreaRecordCorrected", "AreaReopened", "QAVisitRecorded",
		"CapacityDeployed", "CapacityWithdrawn", "TaskAssigned", "FundingPledged",
		"FundingShortfallRecorded", "Article5DeadlineSet", "WorkPlanApproved", "WorkPlanEndorsed",
		"AccessRestricted", "AccessRestrictionLifted",
	}
	var got []string
	for _, e := range catalogue() {
		got = append(got, e.EventType())
	}
	if !slices.Equal(got, want) {
		t.Errorf("event type names\n got %v\nwant %v", got, want)
	}
}

func TestDecodeRefusesWhatThisBuildCannotRead(t *testing.T) {
	reg := events.NewRegistry()
	valid, err := events.Encode(events.AreaReduced{AreaID: areaID, On: events.MustDate("2020-01-02"), SizeM2: 10, Operator: "MAG"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		eventType string
		schema    int
		data      []byte
	}{
		{"an unknown event type", "AreaTeleported", 1, valid},
		{"a type name in the wrong case", "areareduced", 1, valid},
		{"a schema newer than this build knows", events.TypeAreaReduced, 2, valid},
		{"a much newer AreaCancelled", events.TypeAreaCancelled, 3, []byte(`{}`)},
		{"schema zero", events.TypeAreaReduced, 0, valid},
		{"malformed data", events.TypeAreaReduced, 1, []byte(`{"size_m2":`)},
		{"a wrongly typed field", events.TypeAreaReduced, 1, []byte(`{"size_m2":"big"}`)},
		{"an impossible date", events.TypeAreaReduced, 1, []byte(`{"on":"2021-02-30"}`)},
		{"a malformed schema 1 AreaCancelled", events.TypeAreaCancelled, 1, []byte(`[1,2]`)},
		{"a schema 1 AreaCancelled stored as null", events.TypeAreaCancelled, 1, []byte(`null`)},
		{"an empty schema 1 AreaCancelled", events.TypeAreaCancelled, 1, []byte(``)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ev, err := reg.Decode(tt.eventType, tt.schema, tt.data); err == nil {
				t.Errorf("Decode(%q, %d) = %#v, want an error", tt.eventType, tt.schema, ev)
			}
		})
	}
}

func TestStoredAreaCancelledSchema1IsUpcastToTheCurrentShape(t *testing.T) {
	// As written by the first release: the size under "area_m2", no method,
	// because every cancellation then was by non-technical survey.
	stored := []byte(`{"area_id":"01920000-0000-7000-8000-00000000a001","on":"2020-06-15","reason":"BLS re-survey found no evidence","area_m2":42000,"operator":"CMAC","remaining_m2":8000}`)
	got, err := events.NewRegistry().Decode(events.TypeAreaCancelled, 1, stored)
	if err != nil {
		t.Fatalf("Decode schema 1: %v", err)
	}
	want := events.AreaCancelled{
		AreaID: areaID, On: events.MustDate("2020-06-15"), Method: events.CancelByNTS,
		Reason: "BLS re-survey found no evidence", SizeM2: 42000, Operator: "CMAC", RemainingM2: 8000,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("upcast AreaCancelled\n got %#v\nwant %#v", got, want)
	}
}

func TestStoredArticle5DeadlineSetSchema1IsUpcastWithNoDecisionDate(t *testing.T) {
	stored := []byte(`{"country":"KH","deadline":"2025-12-31","reason":"second extension","milestones":[{"year":2020,"release_m2":110000000}],"previous_deadline":"2020-01-01"}`)
	got, err := events.NewRegistry().Decode(events.TypeArticle5DeadlineSet, 1, stored)
	if err != nil {
		t.Fatalf("Decode schema 1: %v", err)
	}
	want := events.Article5DeadlineSet{Country: "KH", Deadline: events.MustDate("2025-12-31"), Reason: "second extension",
		Milestones: []events.Milestone{{Year: 2020, ReleaseM2: 110_000_000}}, PreviousDeadline: events.MustDate("2020-01-01")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("upcast Article5DeadlineSet\n got %#v\nwant %#v", got, want)
	}
	if on := events.OccurredOn(got); !on.IsZero() {
		t.Errorf("a schema 1 deadline has no decision date, OccurredOn gave %s", on)
	}
	for _, bad := range [][]byte{[]byte(`null`), []byte(`[1]`), []byte(``)} {
		if _, err := events.NewRegistry().Decode(events.TypeArticle5DeadlineSet, 1, bad); err == nil {
			t.Errorf("schema 1 %q decoded without error", bad)
		}
	}
}

func TestTheCurrentAreaCancelledSchemaIsNotUpcast(t *testing.T) {
	current := events.AreaCancelled{AreaID: areaID, On: events.MustDate("2021-01-05"), Method: events.CancelByDeskAnalysis, Reason: "desk", SizeM2: 7, RemainingM2: 0}
	data, err := events.Encode(current)
	if err != nil {
		t.Fatal(err)
	}
	got, err := events.NewRegistry().Decode(events.TypeAreaCancelled, 2, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, current) {
		t.Errorf("got %#v, want %#v (a DESK_ANALYSIS method must survive)", got, current)
	}
}

func TestAnUpcasterRunsOnlyForOlderSchemas(t *testing.T) {
	reg := events.NewRegistry()
	calls := 0
	reg.AddUpcaster(events.TypeAreaCancelled, 1, func(b []byte) ([]byte, error) {
		calls++
		return []byte(`{"method":"DESK_ANALYSIS","size_m2":9,"reason":"replaced"}`), nil
	})
	got, err := reg.Decode(events.TypeAreaCancelled, 1, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("upcaster called %d times, want 1", calls)
	}
	if c := got.(events.AreaCancelled); c.SizeM2 != 9 || c.Method != events.CancelByDeskAnalysis {
		t.Errorf("decoded %#v, want the upcaster's output", c)
	}
	if _, err := reg.Decode(events.TypeAreaCancelled, 2, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("upcaster called for the current schema")
	}
}

func TestAddUpcasterPanicsOnAStepThatCannotExist(t *testing.T) {
	tests := []struct {
		name      string
		eventType string
		from      int
	}{
		{"unknown type", "AreaTeleported", 1},
		{"from the current version", events.TypeAreaCancelled, 2},
		{"from version 0", events.TypeAreaCancelled, 0},
		{"a type still at schema 1", events.TypeAreaReduced, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("AddUpcaster(%q, %d) did not panic", tt.eventType, tt.from)
				}
			}()
			events.NewRegistry().AddUpcaster(tt.eventType, tt.from, func(b []byte) ([]byte, error) { return b, nil })
		})
	}
}

func TestOccurredOnIsTheFactsOwnDate(t *testing.T) {
	for _, e := range catalogue() {
		got := events.OccurredOn(e)
		switch e.(type) {
		case events.Article5DeadlineSet: // its decision date, when stated
			if want := e.(events.Article5DeadlineSet).DecidedOn; got != want {
				t.Errorf("OccurredOn(%s) = %s, want the decision date %s", e.EventType(), got, want)
			}
		case events.FundingPledged, events.FundingShortfallRecorded,
			events.WorkPlanApproved, events.WorkPlanEndorsed:
			if !got.IsZero() {
				t.Errorf("OccurredOn(%s) = %s, want no date", e.EventType(), got)
			}
		default:
			if got.IsZero() {
				t.Errorf("OccurredOn(%s) has no date", e.EventType())
			}
		}
	}
	if got := events.OccurredOn(events.CapacityDeployed{From: events.MustDate("2022-07-01")}); got != events.MustDate("2022-07-01") {
		t.Errorf("OccurredOn(CapacityDeployed) = %s, want its from date", got)
	}
}

// FuzzRegistryDecode: stored data of any shape never panics the registry,
// and whatever it decodes encodes back to data that decodes to the same.
// Run with: go test ./events -run '^$' -fuzz FuzzRegistryDecode
func FuzzRegistryDecode(f *testing.F) {
	for _, e := range catalogue() {
		data, err := events.Encode(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(e.EventType(), e.SchemaVersion(), data)
	}
	f.Add(events.TypeAreaCancelled, 1, []byte(`{"area_m2":5,"on":"2020-01-01"}`))
	f.Add(events.TypeAreaCancelled, 1, []byte(`null`))
	reg := events.NewRegistry()
	f.Fuzz(func(t *testing.T, eventType string, schema int, data []byte) {
		ev, err := reg.Decode(eventType, schema, data)
		if err != nil {
			return
		}
		if ev.EventType() != eventType {
			t.Fatalf("Decode(%q) returned a %s", eventType, ev.EventType())
		}
		again, err := events.Encode(ev)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		ev2, err := reg.Decode(eventType, ev.SchemaVersion(), again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		if third, _ := events.Encode(ev2); !bytes.Equal(third, again) {
			t.Fatalf("re-decoding changed the event\n got %s\nwant %s", third, again)
		}
	})
}
