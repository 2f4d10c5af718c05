package exchange

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

func TestQualityReportFindsEveryKindOfProblem(t *testing.T) {
	ok, dup1, dup2, unit, bow, noEv, stale, over := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	ev := []events.Evidence{{Kind: "ACCIDENT", ObservedOn: events.MustDate("2019-01-01")}}
	reg := func(id uuid.UUID, province string, size int64, on string, geom json.RawMessage, evidence []events.Evidence) events.AreaRegistered {
		return events.AreaRegistered{AreaID: id, Province: province, Hazard: "AP", Classification: "CHA", SizeM2: size,
			RegisteredOn: events.MustDate(on), Source: "NTS", Geometry: geom, Evidence: evidence}
	}
	evs := history(
		reg(ok, "Pailin", 108_000, "2023-01-01", square(102.60, 12.85, 0.003, 0.003), ev),
		reg(dup1, "Pailin", 108_000, "2023-01-01", square(102.65, 12.85, 0.003, 0.003), ev),
		reg(dup2, "Pailin", 108_000, "2023-01-02", square(102.65, 12.85, 0.003, 0.003), ev),
		reg(unit, "Pailin", 11, "2023-01-01", square(102.70, 12.85, 0.003, 0.003), ev),
		reg(bow, "Pailin", 1000, "2023-01-01", json.RawMessage(`{"type":"Polygon","coordinates":[[[102.60,12.95],[102.61,12.96],[102.61,12.95],[102.60,12.96],[102.60,12.95]]]}`), ev),
		reg(noEv, "Battambang", 5000, "2023-01-01", square(102.60, 12.85, 0.0002, 0.0002), nil), // in Pailin, inside "ok"
		reg(stale, "Pailin", 5000, "2015-01-01", nil, ev),
		reg(over, "Pailin", 10_000, "2023-01-01", nil, ev),
		events.AreaCleared{AreaID: over, On: events.MustDate("2024-01-01"), SizeM2: 10_000, Operator: "CMAC"},
		events.AreaCleared{AreaID: over, On: events.MustDate("2024-02-01"), SizeM2: 2_000, Operator: "CMAC"}, // impossible through the domain
	)
	bnd, err := ReadBoundaries([]byte(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","properties":{"province":"Pailin"},"geometry":{"type":"Polygon","coordinates":[[[102.5,12.7],[102.8,12.7],[102.8,13.0],[102.5,13.0],[102.5,12.7]]]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultQualityConfig()
	cfg.StaleYears, cfg.Boundaries = 5, bnd
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rep := CheckQuality(fold(evs), cfg)

	ids := func(refs []AreaRef) []string {
		var s []string
		for _, r := range refs {
			s = append(s, r.AreaID)
		}
		return s
	}
	check := func(what string, got []string, want ...uuid.UUID) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
			return
		}
		for i := range want {
			if got[i] != want[i].String() {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
	}
	check("without evidence", ids(rep.WithoutEvidence), noEv)
	var s []string
	for _, f := range rep.InvalidGeometry {
		s = append(s, f.AreaID)
	}
	check("invalid geometry", s, bow)
	s = nil
	for _, f := range rep.SizeMismatches {
		s = append(s, f.AreaID)
		if f.AreaID == unit.String() && f.Kind != SizeHectaresAsM2 {
			t.Errorf("unit error reported as %q", f.Kind)
		}
	}
	check("size mismatches", s, noEv, unit) // noEv: 5,000 m² stated for ~470 m²
	if len(rep.Duplicates) != 1 || rep.Duplicates[0].A.AreaID != dup1.String() || rep.Duplicates[0].B.AreaID != dup2.String() || !rep.Duplicates[0].Identical {
		t.Errorf("duplicates %+v", rep.Duplicates)
	}
	if len(rep.Overlaps) != 1 || rep.Overlaps[0].A.AreaID != noEv.String() || rep.Overlaps[0].B.AreaID != ok.String() || rep.Overlaps[0].ShareA < 0.99 {
		t.Errorf("overlaps %+v", rep.Overlaps)
	}
	s = nil
	for _, f := range rep.Stale {
		s = append(s, f.AreaID)
	}
	check("stale", s, stale)
	s = nil
	for _, f := range rep.ReleasedMoreThanSize {
		s = append(s, f.AreaID)
		if f.ReleasedM2 != 12_000 {
			t.Errorf("released %d, want 12,000", f.ReleasedM2)
		}
	}
	check("released more than size", s, over)
	if len(rep.NoProvinceBoundary) != 1 || rep.NoProvinceBoundary[0] != "Battambang" {
		t.Errorf("no boundary: %v", rep.NoProvinceBoundary)
	}
	// With a Battambang boundary, the area registered there but drawn in Pailin is outside.
	bnd["battambang"] = mustGeometry(t, square(103.0, 13.0, 0.5, 0.5))
	rep = CheckQuality(fold(evs), cfg)
	if len(rep.OutsideProvince) != 1 || rep.OutsideProvince[0].AreaID != noEv.String() || rep.OutsideProvince[0].FoundIn != "pailin" {
		t.Errorf("outside province: %+v", rep.OutsideProvince)
	}
}
