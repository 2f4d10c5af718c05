package domain_test

import (
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// A 100,000 m² SHA registered on 2020-01-01, of which 40,000 m² were
// cleared: 60,000 m² remain.
func partlyCleared() []events.Event {
	return []events.Event{registered(100_000), cleared(40_000, 60_000)}
}

// The same area with every square metre released.
func released() []events.Event {
	return []events.Event{registered(100_000), cancelled(30_000, 70_000), reduced(10_000, 60_000), cleared(60_000, 0)}
}

func TestRecordEvidence(t *testing.T) {
	ev := domain.RecordEvidence{AreaID: areaID, Kind: "DEVICE_FOUND", ObservedOn: date("2021-05-05"), Description: "PMN-2", Reference: "R-1"}
	runStories(t, []story{
		{
			name:  "evidence is recorded against an open area",
			given: []events.Event{registered(100_000)},
			when:  ev,
			then: []events.Event{events.EvidenceRecorded{AreaID: areaID, Evidence: events.Evidence{
				Kind: "DEVICE_FOUND", ObservedOn: date("2021-05-05"), Description: "PMN-2", Reference: "R-1"}}},
			state: func(t *testing.T, s domain.State) {
				if a := area(t, s); a.EvidenceCount != 1 || a.DirectEvidence != 1 {
					t.Errorf("evidence %d, direct %d; want 1, 1", a.EvidenceCount, a.DirectEvidence)
				}
			},
		},
		{
			name:  "evidence observed before registration is history, not an error",
			given: []events.Event{registered(100_000)},
			when:  domain.RecordEvidence{AreaID: areaID, Kind: "WITNESS", ObservedOn: date("1985-03-01")},
			then:  []events.Event{events.EvidenceRecorded{AreaID: areaID, Evidence: events.Evidence{Kind: "WITNESS", ObservedOn: date("1985-03-01")}}},
		},
		{
			name:    "evidence on an unknown area is not found",
			when:    ev,
			refused: refused(domain.ErrNotFound, "area_id"),
		},
		{
			name:    "evidence on a released area goes through ReopenArea",
			given:   released(),
			when:    ev,
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "evidence observed tomorrow is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.RecordEvidence{AreaID: areaID, Kind: "WITNESS", ObservedOn: tomorrow},
			refused: refused(domain.ErrInvalid, "observed_on"),
		},
		{
			name:    "a kind of evidence is required",
			given:   []events.Event{registered(100_000)},
			when:    domain.RecordEvidence{AreaID: areaID, ObservedOn: date("2021-05-05")},
			refused: refused(domain.ErrInvalid, "kind"),
		},
		{
			name:    "an area ID is required",
			when:    domain.RecordEvidence{Kind: "WITNESS", ObservedOn: date("2021-05-05")},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
	})
}

func TestConfirmHazardousArea(t *testing.T) {
	on := date("2021-06-01")
	runStories(t, []story{
		{
			name:  "survey confirms the whole SHA as a CHA",
			given: []events.Event{registered(100_000)},
			when:  domain.ConfirmHazardousArea{AreaID: areaID, On: on},
			then:  []events.Event{events.AreaConfirmed{AreaID: areaID, On: on, SizeM2: 100_000}},
			state: wantArea(100_000, events.StatusCHA),
		},
		{
			name:  "confirming part of the SHA cancels the rest first",
			given: []events.Event{registered(100_000)},
			when:  domain.ConfirmHazardousArea{AreaID: areaID, On: on, SizeM2: 35_000},
			then: []events.Event{
				events.AreaCancelled{AreaID: areaID, On: on, Method: events.CancelByNTS, SizeM2: 65_000, RemainingM2: 35_000,
					Reason: "not part of the confirmed hazardous area (survey that confirmed the hazard)"},
				events.AreaConfirmed{AreaID: areaID, On: on, SizeM2: 35_000},
			},
			state: func(t *testing.T, s domain.State) {
				wantArea(35_000, events.StatusCHA)(t, s)
				if a := area(t, s); a.CancelledM2 != 65_000 {
					t.Errorf("cancelled %d m², want 65,000", a.CancelledM2)
				}
			},
		},
		{
			name:  "confirming exactly what remains cancels nothing",
			given: partlyCleared(),
			when:  domain.ConfirmHazardousArea{AreaID: areaID, On: on, SizeM2: 60_000},
			then:  []events.Event{events.AreaConfirmed{AreaID: areaID, On: on, SizeM2: 60_000}},
		},
		{
			name:    "confirming more than remains is refused",
			given:   partlyCleared(),
			when:    domain.ConfirmHazardousArea{AreaID: areaID, On: on, SizeM2: 60_001},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "confirming a CHA is refused",
			given:   []events.Event{registeredCHA(100_000)},
			when:    domain.ConfirmHazardousArea{AreaID: areaID, On: on},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "confirming an SHA that became a CHA is refused",
			given:   []events.Event{registered(100_000), events.AreaConfirmed{AreaID: areaID, On: on, SizeM2: 100_000}},
			when:    domain.ConfirmHazardousArea{AreaID: areaID, On: on},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "confirming a released area is refused",
			given:   released(),
			when:    domain.ConfirmHazardousArea{AreaID: areaID, On: on},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "confirming an unknown area: not found",
			when:    domain.ConfirmHazardousArea{AreaID: areaID, On: on},
			refused: refused(domain.ErrNotFound, "area_id"),
		},
		{
			name:    "a negative size is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.ConfirmHazardousArea{AreaID: areaID, On: on, SizeM2: -1},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
	})
}

func TestCancelArea(t *testing.T) {
	on := date("2021-06-01")
	cancel := func(size int64) domain.CancelArea {
		return domain.CancelArea{AreaID: areaID, On: on, Method: events.CancelByNTS, Reason: "no evidence found", SizeM2: size, Operator: "CMAC"}
	}
	runStories(t, []story{
		{
			name:  "part of an SHA is cancelled by NTS",
			given: []events.Event{registered(100_000)},
			when:  cancel(25_000),
			then: []events.Event{events.AreaCancelled{AreaID: areaID, On: on, Method: events.CancelByNTS, Reason: "no evidence found",
				SizeM2: 25_000, Operator: "CMAC", RemainingM2: 75_000}},
			state: wantArea(75_000, events.StatusSHA),
		},
		{
			name:  "without a size, everything that remains is cancelled and the area is released",
			given: partlyCleared(),
			when:  cancel(0),
			then: []events.Event{events.AreaCancelled{AreaID: areaID, On: on, Method: events.CancelByNTS, Reason: "no evidence found",
				SizeM2: 60_000, Operator: "CMAC", RemainingM2: 0}},
			state: wantArea(0, events.StatusReleased),
		},
		{
			name:  "desk analysis may cancel a CHA",
			given: []events.Event{registeredCHA(100_000)},
			when: domain.CancelArea{AreaID: areaID, On: on, Method: events.CancelByDeskAnalysis, Reason: "duplicate polygon",
				SizeM2: 100_000},
			then: []events.Event{events.AreaCancelled{AreaID: areaID, On: on, Method: events.CancelByDeskAnalysis,
				Reason: "duplicate polygon", SizeM2: 100_000, RemainingM2: 0}},
			state: wantArea(0, events.StatusReleased),
		},
		{
			name:    "cancelling more than remains is refused",
			given:   partlyCleared(),
			when:    cancel(60_001),
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "cancelling on a released area is refused",
			given:   released(),
			when:    cancel(0),
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "a cancellation needs a reason",
			given:   []events.Event{registered(100_000)},
			when:    domain.CancelArea{AreaID: areaID, On: on, Method: events.CancelByNTS},
			refused: refused(domain.ErrInvalid, "reason"),
		},
		{
			name:    "a cancellation needs a method",
			given:   []events.Event{registered(100_000)},
			when:    domain.CancelArea{AreaID: areaID, On: on, Reason: "x"},
			refused: refused(domain.ErrInvalid, "method"),
		},
		{
			name:    "technical survey does not cancel, it reduces",
			given:   []events.Event{registered(100_000)},
			when:    domain.CancelArea{AreaID: areaID, On: on, Method: "TS", Reason: "x"},
			refused: refused(domain.ErrInvalid, "method"),
		},
		{
			name:    "a negative size is refused",
			given:   []events.Event{registered(100_000)},
			when:    cancel(-1),
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "cancelling an unknown area: not found",
			when:    cancel(1),
			refused: refused(domain.ErrNotFound, "area_id"),
		},
	})
}

func TestReduceArea(t *testing.T) {
	on := date("2021-06-01")
	runStories(t, []story{
		{
			name:  "technical survey reduces part of a CHA",
			given: []events.Event{registeredCHA(100_000)},
			when:  domain.ReduceArea{AreaID: areaID, On: on, SizeM2: 30_000, Operator: "MAG"},
			then:  []events.Event{events.AreaReduced{AreaID: areaID, On: on, SizeM2: 30_000, Operator: "MAG", RemainingM2: 70_000}},
			state: wantArea(70_000, events.StatusCHA),
		},
		{
			name:  "reducing exactly what remains releases the area",
			given: partlyCleared(),
			when:  domain.ReduceArea{AreaID: areaID, On: on, SizeM2: 60_000, Operator: "MAG"},
			then:  []events.Event{events.AreaReduced{AreaID: areaID, On: on, SizeM2: 60_000, Operator: "MAG", RemainingM2: 0}},
			state: wantArea(0, events.StatusReleased),
		},
		{
			name:    "reducing more than remains is refused",
			given:   partlyCleared(),
			when:    domain.ReduceArea{AreaID: areaID, On: on, SizeM2: 60_001, Operator: "MAG"},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "reducing a released area is refused",
			given:   released(),
			when:    domain.ReduceArea{AreaID: areaID, On: on, SizeM2: 1, Operator: "MAG"},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "a reduction needs its size",
			given:   []events.Event{registeredCHA(100_000)},
			when:    domain.ReduceArea{AreaID: areaID, On: on, Operator: "MAG"},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "a reduction needs its operator",
			given:   []events.Event{registeredCHA(100_000)},
			when:    domain.ReduceArea{AreaID: areaID, On: on, SizeM2: 10},
			refused: refused(domain.ErrInvalid, "operator"),
		},
		{
			name:    "reducing an unknown area: not found",
			when:    domain.ReduceArea{AreaID: areaID, On: on, SizeM2: 10, Operator: "MAG"},
			refused: refused(domain.ErrNotFound, "area_id"),
		},
	})
}

func TestClearArea(t *testing.T) {
	on := date("2021-06-01")
	runStories(t, []story{
		{
			name:  "part of a CHA is cleared, with the devices destroyed",
			given: []events.Event{registeredCHA(100_000)},
			when:  domain.ClearArea{AreaID: areaID, On: on, SizeM2: 40_000, Operator: "HALO", APMinesDestroyed: 17, ATMinesDestroyed: 1, ERWDestroyed: 3},
			then: []events.Event{events.AreaCleared{AreaID: areaID, On: on, SizeM2: 40_000, Operator: "HALO",
				APMinesDestroyed: 17, ATMinesDestroyed: 1, ERWDestroyed: 3, RemainingM2: 60_000}},
			state: wantArea(60_000, events.StatusCHA),
		},
		{
			name:  "partial releases add up: cancel, reduce, then clear the rest",
			given: []events.Event{registered(100_000), cancelled(30_000, 70_000), reduced(10_000, 60_000)},
			when:  domain.ClearArea{AreaID: areaID, On: on, SizeM2: 60_000, Operator: "HALO"},
			then:  []events.Event{events.AreaCleared{AreaID: areaID, On: on, SizeM2: 60_000, Operator: "HALO", RemainingM2: 0}},
			state: func(t *testing.T, s domain.State) {
				wantArea(0, events.StatusReleased)(t, s)
				a := area(t, s)
				if a.CancelledM2 != 30_000 || a.ReducedM2 != 10_000 || a.ClearedM2 != 60_000 || a.ReleasedM2() != 100_000 {
					t.Errorf("cancelled %d, reduced %d, cleared %d, released %d", a.CancelledM2, a.ReducedM2, a.ClearedM2, a.ReleasedM2())
				}
				if !a.Released() || a.Class != events.SHA {
					t.Errorf("a released area keeps its last class: %s, released %v", a.Class, a.Released())
				}
			},
		},
		{
			name:    "clearing more than remains is refused",
			given:   partlyCleared(),
			when:    domain.ClearArea{AreaID: areaID, On: on, SizeM2: 60_001, Operator: "HALO"},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "clearing a released area is refused",
			given:   released(),
			when:    domain.ClearArea{AreaID: areaID, On: on, SizeM2: 1, Operator: "HALO"},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "a negative device count is refused",
			given:   []events.Event{registeredCHA(100_000)},
			when:    domain.ClearArea{AreaID: areaID, On: on, SizeM2: 1, Operator: "HALO", ERWDestroyed: -2},
			refused: refused(domain.ErrInvalid, "erw_destroyed"),
		},
		{
			name:    "a clearance needs its operator",
			given:   []events.Event{registeredCHA(100_000)},
			when:    domain.ClearArea{AreaID: areaID, On: on, SizeM2: 1},
			refused: refused(domain.ErrInvalid, "operator"),
		},
		{
			name:    "clearing an unknown area: not found",
			when:    domain.ClearArea{AreaID: areaID, On: on, SizeM2: 1, Operator: "HALO"},
			refused: refused(domain.ErrNotFound, "area_id"),
		},
	})
}

func TestReclassifyArea(t *testing.T) {
	on := date("2021-06-01")
	found := events.Evidence{Kind: "DEVICE_FOUND", ObservedOn: date("2021-05-30"), Description: "PMN-2"}
	runStories(t, []story{
		{
			name:  "a CHA is downgraded to SHA with a reason",
			given: []events.Event{registeredCHA(100_000)},
			when:  domain.ReclassifyArea{AreaID: areaID, On: on, To: "SHA", Reason: "re-survey: no device found"},
			then:  []events.Event{events.AreaReclassified{AreaID: areaID, On: on, From: events.CHA, To: events.SHA, Reason: "re-survey: no device found"}},
			state: wantArea(100_000, events.StatusSHA),
		},
		{
			name:  "an SHA becomes a CHA with evidence given in the command, recorded first",
			given: []events.Event{registered(100_000)},
			when:  domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Reason: "device found", Evidence: []events.Evidence{found}},
			then: []events.Event{
				events.EvidenceRecorded{AreaID: areaID, Evidence: found},
				events.AreaReclassified{AreaID: areaID, On: on, From: events.SHA, To: events.CHA, Reason: "device found"},
			},
			state: wantArea(100_000, events.StatusCHA),
		},
		{
			name: "an SHA becomes a CHA on direct evidence recorded before",
			given: []events.Event{registered(100_000),
				events.EvidenceRecorded{AreaID: areaID, Evidence: accident}},
			when: domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Reason: "accident"},
			then: []events.Event{events.AreaReclassified{AreaID: areaID, On: on, From: events.SHA, To: events.CHA, Reason: "accident"}},
		},
		{
			name:    "SHA -> CHA without any evidence is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Reason: "we think so"},
			refused: refused(domain.ErrInvalid, "evidence"),
		},
		{
			name:    "SHA -> CHA on indirect evidence alone is refused",
			given:   []events.Event{registered(100_000), events.EvidenceRecorded{AreaID: areaID, Evidence: witness}},
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Reason: "villagers say so"},
			refused: refused(domain.ErrInvalid, "evidence"),
		},
		{
			name:    "reclassifying an SHA as SHA is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "SHA", Reason: "x"},
			refused: refused(domain.ErrInvalid, "to"),
		},
		{
			name:    "reclassifying a CHA as CHA is refused, even with evidence",
			given:   []events.Event{registeredCHA(100_000)},
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Reason: "x", Evidence: []events.Evidence{found}},
			refused: refused(domain.ErrInvalid, "to"),
		},
		{
			name:    "CHA -> SHA needs a reason",
			given:   []events.Event{registeredCHA(100_000)},
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "SHA"},
			refused: refused(domain.ErrInvalid, "reason"),
		},
		{
			name:    "SHA -> CHA needs a reason too",
			given:   []events.Event{registered(100_000)},
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Evidence: []events.Evidence{found}},
			refused: refused(domain.ErrInvalid, "reason"),
		},
		{
			name:    "RELEASED is not a class to reclassify to",
			given:   []events.Event{registered(100_000)},
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "RELEASED", Reason: "x"},
			refused: refused(domain.ErrInvalid, "to"),
		},
		{
			name:    "a released area cannot be reclassified",
			given:   released(),
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Reason: "x", Evidence: []events.Evidence{found}},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "evidence given must be well formed",
			given:   []events.Event{registered(100_000)},
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Reason: "x", Evidence: []events.Evidence{{Kind: "ACCIDENT"}}},
			refused: refused(domain.ErrInvalid, "evidence[0].observed_on"),
		},
		{
			name:    "reclassifying an unknown area: not found",
			when:    domain.ReclassifyArea{AreaID: areaID, On: on, To: "SHA", Reason: "x"},
			refused: refused(domain.ErrNotFound, "area_id"),
		},
	})
}

func TestCorrectAreaRecord(t *testing.T) {
	on := date("2021-06-01")
	runStories(t, []story{
		{
			name:  "25 ha entered as 25 m² is corrected to 250,000 m², and the difference remains",
			given: []events.Event{registered(25)},
			when:  domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "hectares entered as m²", SizeM2: ptr(int64(250_000))},
			then: []events.Event{events.AreaRecordCorrected{AreaID: areaID, On: on, Reason: "hectares entered as m²",
				Set: events.AreaFields{SizeM2: ptr(int64(250_000))}, Was: events.AreaFields{SizeM2: ptr(int64(25))}, RemainingM2: 250_000}},
			state: func(t *testing.T, s domain.State) {
				wantArea(250_000, events.StatusSHA)(t, s)
				if a := area(t, s); a.SizeM2 != 250_000 {
					t.Errorf("size %d, want 250,000", a.SizeM2)
				}
			},
		},
		{
			name:  "a size corrected down keeps what was released and shrinks what remains",
			given: partlyCleared(), // 100,000 m², 40,000 cleared
			when:  domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "GPS re-measure", SizeM2: ptr(int64(50_000))},
			then: []events.Event{events.AreaRecordCorrected{AreaID: areaID, On: on, Reason: "GPS re-measure",
				Set: events.AreaFields{SizeM2: ptr(int64(50_000))}, Was: events.AreaFields{SizeM2: ptr(int64(100_000))}, RemainingM2: 10_000}},
			state: wantArea(10_000, events.StatusSHA),
		},
		{
			name:  "a size corrected down to exactly what was released leaves nothing",
			given: partlyCleared(),
			when:  domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "GPS re-measure", SizeM2: ptr(int64(40_000))},
			then: []events.Event{events.AreaRecordCorrected{AreaID: areaID, On: on, Reason: "GPS re-measure",
				Set: events.AreaFields{SizeM2: ptr(int64(40_000))}, Was: events.AreaFields{SizeM2: ptr(int64(100_000))}, RemainingM2: 0}},
			state: wantArea(0, events.StatusReleased),
		},
		{
			name:    "a size below what was released is refused",
			given:   partlyCleared(),
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "GPS re-measure", SizeM2: ptr(int64(39_999))},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "a larger size on a released area would reopen it: refused",
			given:   released(),
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "ha as m²", SizeM2: ptr(int64(1_000_000))},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:  "a released area's province can still be corrected",
			given: released(),
			when:  domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "border data error", Province: ptr("Pailin"), District: ptr("Sala Krau")},
			then: []events.Event{events.AreaRecordCorrected{AreaID: areaID, On: on, Reason: "border data error",
				Set:         events.AreaFields{Province: ptr("Pailin"), District: ptr("Sala Krau")},
				Was:         events.AreaFields{Province: ptr("Battambang"), District: ptr("Kamrieng")},
				RemainingM2: 0}},
			state: func(t *testing.T, s domain.State) {
				wantArea(0, events.StatusReleased)(t, s)
				if a := area(t, s); a.Province != "Pailin" || a.District != "Sala Krau" {
					t.Errorf("area in %s/%s, want Pailin/Sala Krau", a.Province, a.District)
				}
			},
		},
		{
			name:  "only the fields that change are recorded",
			given: []events.Event{registered(100_000)},
			when: domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "typo", Province: ptr("Battambang"),
				Hazard: ptr(events.HazardMixed), LandUse: ptr(events.LandUse("AGRICULTURE")), SizeM2: ptr(int64(100_000))},
			then: []events.Event{events.AreaRecordCorrected{AreaID: areaID, On: on, Reason: "typo",
				Set: events.AreaFields{Hazard: ptr(events.HazardMixed)}, Was: events.AreaFields{Hazard: ptr(events.HazardAP)}, RemainingM2: 100_000}},
		},
		{
			name:    "a correction that changes nothing is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "typo", Province: ptr("Battambang")},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "a correction must name something to correct",
			given:   []events.Event{registered(100_000)},
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "typo"},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "a correction needs a reason",
			given:   []events.Event{registered(100_000)},
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, SizeM2: ptr(int64(5))},
			refused: refused(domain.ErrInvalid, "reason"),
		},
		{
			name:    "a size of zero is not a correction",
			given:   []events.Event{registered(100_000)},
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "x", SizeM2: ptr(int64(0))},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "a province outside the gazetteer is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "x", Province: ptr("Narnia")},
			refused: refused(domain.ErrInvalid, "province"),
		},
		{
			name:    "an empty province is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "x", Province: ptr("")},
			refused: refused(domain.ErrInvalid, "province"),
		},
		{
			name:    "a hazard outside the vocabulary is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "x", Hazard: ptr(events.Hazard("NUKE"))},
			refused: refused(domain.ErrInvalid, "hazard"),
		},
		{
			name:    "correcting an unknown area: not found",
			when:    domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "x", SizeM2: ptr(int64(5))},
			refused: refused(domain.ErrNotFound, "area_id"),
		},
	})
}

func TestReopenArea(t *testing.T) {
	on := date("2023-01-10")
	reopen := func(size int64) domain.ReopenArea {
		return domain.ReopenArea{AreaID: areaID, On: on, To: "CHA", SizeM2: size, Reason: "accident on cleared land",
			Evidence: []events.Evidence{accident}}
	}
	runStories(t, []story{
		{
			name:  "residual contamination reopens part of a released area as a CHA",
			given: released(),
			when:  reopen(5_000),
			then: []events.Event{events.AreaReopened{AreaID: areaID, On: on, To: events.CHA, SizeM2: 5_000,
				Reason: "accident on cleared land", Evidence: []events.Evidence{accident}, RemainingM2: 5_000}},
			state: func(t *testing.T, s domain.State) {
				wantArea(5_000, events.StatusCHA)(t, s)
				a := area(t, s)
				if a.ReleasedM2() != 95_000 || a.DirectEvidence != 1 {
					t.Errorf("released %d m², direct evidence %d; want 95,000 and 1", a.ReleasedM2(), a.DirectEvidence)
				}
			},
		},
		{
			name:  "all of a released area can be reopened, as an SHA",
			given: released(),
			when: domain.ReopenArea{AreaID: areaID, On: on, To: "SHA", SizeM2: 100_000, Reason: "failed QC",
				Evidence: []events.Evidence{{Kind: "SURVEY", ObservedOn: on}}},
			then: []events.Event{events.AreaReopened{AreaID: areaID, On: on, To: events.SHA, SizeM2: 100_000, Reason: "failed QC",
				Evidence: []events.Evidence{{Kind: "SURVEY", ObservedOn: on}}, RemainingM2: 100_000}},
			state: wantArea(100_000, events.StatusSHA),
		},
		{
			name:  "the released part of an open area can be reopened: it adds to what remains",
			given: partlyCleared(),
			when:  reopen(10_000),
			then: []events.Event{events.AreaReopened{AreaID: areaID, On: on, To: events.CHA, SizeM2: 10_000,
				Reason: "accident on cleared land", Evidence: []events.Evidence{accident}, RemainingM2: 70_000}},
			state: wantArea(70_000, events.StatusCHA),
		},
		{
			name:    "reopening more than was released is refused",
			given:   partlyCleared(),
			when:    reopen(40_001),
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "what was reopened before cannot be reopened again",
			given:   append(partlyCleared(), reopened(30_000, 90_000)),
			when:    reopen(10_001),
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:  "but the rest of the released land can",
			given: append(partlyCleared(), reopened(30_000, 90_000)),
			when:  reopen(10_000),
			then: []events.Event{events.AreaReopened{AreaID: areaID, On: on, To: events.CHA, SizeM2: 10_000,
				Reason: "accident on cleared land", Evidence: []events.Evidence{accident}, RemainingM2: 100_000}},
			state: wantArea(100_000, events.StatusCHA),
		},
		{
			name:    "an area never released has nothing to reopen",
			given:   []events.Event{registered(100_000)},
			when:    reopen(1),
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "a reopening needs evidence",
			given:   released(),
			when:    domain.ReopenArea{AreaID: areaID, On: on, To: "CHA", SizeM2: 5, Reason: "x"},
			refused: refused(domain.ErrInvalid, "evidence"),
		},
		{
			name:    "a reopening needs a reason",
			given:   released(),
			when:    domain.ReopenArea{AreaID: areaID, On: on, To: "CHA", SizeM2: 5, Evidence: []events.Evidence{accident}},
			refused: refused(domain.ErrInvalid, "reason"),
		},
		{
			name:    "a reopening needs the class it goes back to",
			given:   released(),
			when:    domain.ReopenArea{AreaID: areaID, On: on, SizeM2: 5, Reason: "x", Evidence: []events.Evidence{accident}},
			refused: refused(domain.ErrInvalid, "to"),
		},
		{
			name:    "a reopening needs a size",
			given:   released(),
			when:    domain.ReopenArea{AreaID: areaID, On: on, To: "CHA", Reason: "x", Evidence: []events.Evidence{accident}},
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "reopening an unknown area: not found",
			when:    reopen(1),
			refused: refused(domain.ErrNotFound, "area_id"),
		},
	})
}

func TestRecordQAVisit(t *testing.T) {
	on := date("2021-07-01")
	runStories(t, []story{
		{
			name:  "a QA visit is recorded on released land",
			given: released(),
			when:  domain.RecordQAVisit{AreaID: areaID, On: on, Result: events.QAPass, Notes: "sampled 10%", Operator: "CMAA"},
			then:  []events.Event{events.QAVisitRecorded{AreaID: areaID, On: on, Result: events.QAPass, Notes: "sampled 10%", Operator: "CMAA"}},
			state: wantArea(0, events.StatusReleased),
		},
		{
			name:  "a failed QC visit is recorded on an open area, and changes no size",
			given: partlyCleared(),
			when:  domain.RecordQAVisit{AreaID: areaID, On: on, Result: events.QAFail},
			then:  []events.Event{events.QAVisitRecorded{AreaID: areaID, On: on, Result: events.QAFail}},
			state: wantArea(60_000, events.StatusSHA),
		},
		{
			name:    "a result outside PASS and FAIL is refused",
			given:   released(),
			when:    domain.RecordQAVisit{AreaID: areaID, On: on, Result: "MAYBE"},
			refused: refused(domain.ErrInvalid, "result"),
		},
		{
			name:    "a QA visit on an unknown area: not found",
			when:    domain.RecordQAVisit{AreaID: areaID, On: on, Result: events.QAPass},
			refused: refused(domain.ErrNotFound, "area_id"),
		},
	})
}

// Every command that records a dated fact about an area refuses a date before
// the area was registered and a date in the future; today is fine.
func TestAreaFactsCannotPredateRegistrationOrBeInTheFuture(t *testing.T) {
	// A history on which every command below is otherwise accepted: an SHA
	// with direct evidence, partly cleared, and a deployment in its province.
	given := append(partlyCleared(), events.EvidenceRecorded{AreaID: areaID, Evidence: accident})
	reads := map[events.Ref][]events.Event{deploymentRef(): {deployed("Battambang")}}
	commands := map[string]func(on events.Date) domain.Command{
		"ConfirmHazardousArea": func(on events.Date) domain.Command {
			return domain.ConfirmHazardousArea{AreaID: areaID, On: on}
		},
		"CancelArea": func(on events.Date) domain.Command {
			return domain.CancelArea{AreaID: areaID, On: on, Method: "NTS", Reason: "x", SizeM2: 1}
		},
		"ReduceArea": func(on events.Date) domain.Command {
			return domain.ReduceArea{AreaID: areaID, On: on, SizeM2: 1, Operator: "MAG"}
		},
		"ClearArea": func(on events.Date) domain.Command {
			return domain.ClearArea{AreaID: areaID, On: on, SizeM2: 1, Operator: "HALO"}
		},
		"ReclassifyArea": func(on events.Date) domain.Command {
			return domain.ReclassifyArea{AreaID: areaID, On: on, To: "CHA", Reason: "x"}
		},
		"CorrectAreaRecord": func(on events.Date) domain.Command {
			return domain.CorrectAreaRecord{AreaID: areaID, On: on, Reason: "x", Village: ptr("Phum Thmei")}
		},
		"ReopenArea": func(on events.Date) domain.Command {
			return domain.ReopenArea{AreaID: areaID, On: on, To: "CHA", SizeM2: 1, Reason: "x", Evidence: []events.Evidence{accident}}
		},
		"RecordQAVisit": func(on events.Date) domain.Command {
			return domain.RecordQAVisit{AreaID: areaID, On: on, Result: events.QAPass}
		},
		"AssignTask": func(on events.Date) domain.Command {
			return domain.AssignTask{AreaID: areaID, DeploymentID: deploymentID, On: on, Task: "CLEARANCE"}
		},
	}
	for name, cmd := range commands {
		t.Run(name, func(t *testing.T) {
			for _, on := range []events.Date{registeredOn, today} {
				if _, _, err := decide(given, reads, cmd(on)); err != nil {
					t.Errorf("on %s: %v", on, err)
				}
			}
			for _, on := range []events.Date{dayBefore, tomorrow} {
				_, _, err := decide(given, reads, cmd(on))
				if err == nil {
					t.Errorf("on %s: accepted", on)
					continue
				}
				wantRefusal(t, err, domain.ErrInvalid, "on")
			}
			_, _, err := decide(given, reads, cmd(events.Date{}))
			wantRefusal(t, err, domain.ErrInvalid, "on")
		})
	}
}

func TestAreaCommandsTargetTheAreaTheyName(t *testing.T) {
	want := areaRef(areaID)
	for _, c := range []domain.Command{
		domain.RecordEvidence{AreaID: areaID}, domain.ConfirmHazardousArea{AreaID: areaID}, domain.CancelArea{AreaID: areaID},
		domain.ReduceArea{AreaID: areaID}, domain.ClearArea{AreaID: areaID}, domain.ReclassifyArea{AreaID: areaID},
		domain.CorrectAreaRecord{AreaID: areaID}, domain.ReopenArea{AreaID: areaID}, domain.RecordQAVisit{AreaID: areaID},
		domain.AssignTask{AreaID: areaID, DeploymentID: deploymentID}, domain.RegisterSuspectedArea{AreaID: areaID},
	} {
		if got := c.Target(ctx); got != want {
			t.Errorf("%s targets %v, want %v", c.CommandName(), got, want)
		}
		if got := c.Target(ctx).Subject(); got != "lr.kh.area."+areaID.String() {
			t.Errorf("%s subject %q", c.CommandName(), got)
		}
	}
}

// Evidence is a recorded fact like any other: observed tomorrow is refused
// whether it comes alone (RecordEvidence) or inside another command.
func TestEvidenceObservedInTheFutureIsRefusedWhereverItComes(t *testing.T) {
	future := events.Evidence{Kind: "DEVICE_FOUND", ObservedOn: tomorrow}
	reg := registration()
	reg.Evidence = []events.Evidence{accident, future}
	runStories(t, []story{
		{
			name:    "in a registration",
			when:    reg,
			refused: refused(domain.ErrInvalid, "evidence[1].observed_on"),
		},
		{
			name:    "in a reclassification",
			given:   []events.Event{registered(100_000)},
			when:    domain.ReclassifyArea{AreaID: areaID, On: today, To: "CHA", Reason: "device", Evidence: []events.Evidence{future}},
			refused: refused(domain.ErrInvalid, "evidence[0].observed_on"),
		},
		{
			name:    "in a reopening",
			given:   released(),
			when:    domain.ReopenArea{AreaID: areaID, On: today, To: "CHA", SizeM2: 1, Reason: "device", Evidence: []events.Evidence{future}},
			refused: refused(domain.ErrInvalid, "evidence[0].observed_on"),
		},
		{
			name:  "evidence observed today is fine",
			given: released(),
			when: domain.ReopenArea{AreaID: areaID, On: today, To: "CHA", SizeM2: 1, Reason: "device",
				Evidence: []events.Evidence{{Kind: "DEVICE_FOUND", ObservedOn: today}}},
			then: []events.Event{events.AreaReopened{AreaID: areaID, On: today, To: events.CHA, SizeM2: 1, Reason: "device",
				Evidence: []events.Evidence{{Kind: "DEVICE_FOUND", ObservedOn: today}}, RemainingM2: 1}},
		},
	})
}
