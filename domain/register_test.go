package domain_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

func registration() domain.RegisterSuspectedArea {
	return domain.RegisterSuspectedArea{
		AreaID: areaID, Province: "Battambang", District: "Kamrieng", Hazard: events.HazardAP,
		SizeM2: 250_000, RegisteredOn: date("2020-01-01"), Source: "BLS", LandUse: "AGRICULTURE",
	}
}

func TestRegisterSuspectedArea(t *testing.T) {
	square := json.RawMessage(`{"type":"Polygon","coordinates":[[[102.5,13.1],[102.6,13.1],[102.6,13.2],[102.5,13.1]]]}`)
	openRing := json.RawMessage(`{"type":"Polygon","coordinates":[[[102.5,13.1],[102.6,13.1],[102.6,13.2],[102.5,13.3]]]}`)
	with := func(f func(*domain.RegisterSuspectedArea)) domain.RegisterSuspectedArea {
		c := registration()
		f(&c)
		return c
	}
	wantSHA := events.AreaRegistered{
		AreaID: areaID, Province: "Battambang", District: "Kamrieng", Hazard: events.HazardAP, Classification: events.SHA,
		SizeM2: 250_000, RegisteredOn: date("2020-01-01"), Source: "BLS", LandUse: "AGRICULTURE",
	}
	runStories(t, []story{
		{
			name:  "a new area is registered as an SHA by default",
			when:  registration(),
			then:  []events.Event{wantSHA},
			state: wantArea(250_000, events.StatusSHA),
		},
		{
			name: "an area with direct evidence can be registered as a CHA, with its geometry and evidence",
			when: with(func(c *domain.RegisterSuspectedArea) {
				c.Classification, c.Geometry, c.Evidence = "CHA", square, []events.Evidence{accident}
				c.RegisteredOn = date("2023-01-01")
			}),
			then: []events.Event{events.AreaRegistered{
				AreaID: areaID, Province: "Battambang", District: "Kamrieng", Hazard: events.HazardAP, Classification: events.CHA,
				SizeM2: 250_000, RegisteredOn: date("2023-01-01"), Source: "BLS", Geometry: square, LandUse: "AGRICULTURE",
				Evidence: []events.Evidence{accident},
			}},
			state: func(t *testing.T, s domain.State) {
				a := area(t, s)
				if a.Status() != events.StatusCHA || a.EvidenceCount != 1 || a.DirectEvidence != 1 || a.GeometryHash == 0 {
					t.Errorf("area %+v: want a CHA with one direct evidence and a geometry", a)
				}
			},
		},
		{
			name: "an area registered today is fine",
			when: with(func(c *domain.RegisterSuspectedArea) { c.RegisteredOn = today }),
			then: []events.Event{func() events.Event { e := wantSHA; e.RegisteredOn = today; return e }()},
		},
		{
			name:    "registering the same area twice is a conflict",
			given:   []events.Event{registered(250_000)},
			when:    registration(),
			refused: refused(domain.ErrConflict, "area_id"),
		},
		{
			name:    "a registration dated tomorrow is refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.RegisteredOn = tomorrow }),
			refused: refused(domain.ErrInvalid, "registered_on"),
		},
		{
			name:    "a province not in the gazetteer is refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.Province = "Atlantis" }),
			refused: refused(domain.ErrInvalid, "province"),
		},
		{
			name:    "a size of zero is refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.SizeM2 = 0 }),
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "a negative size is refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.SizeM2 = -5 }),
			refused: refused(domain.ErrInvalid, "size_m2"),
		},
		{
			name:    "a hazard outside the vocabulary is refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.Hazard = "IED" }),
			refused: refused(domain.ErrInvalid, "hazard"),
		},
		{
			name:    "a classification other than SHA or CHA is refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.Classification = "RELEASED" }),
			refused: refused(domain.ErrInvalid, "classification"),
		},
		{
			name:    "a source is required",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.Source = "" }),
			refused: refused(domain.ErrInvalid, "source"),
		},
		{
			name:    "an unknown land use is refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.LandUse = "MINING" }),
			refused: refused(domain.ErrInvalid, "land_use"),
		},
		{
			name:    "negative casualties are refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.CasualtiesLast5y = -1 }),
			refused: refused(domain.ErrInvalid, "casualties_last_5y"),
		},
		{
			name:    "a polygon whose ring is not closed is refused",
			when:    with(func(c *domain.RegisterSuspectedArea) { c.Geometry = openRing }),
			refused: refused(domain.ErrInvalid, "geometry"),
		},
		{
			name: "a point is not an area",
			when: with(func(c *domain.RegisterSuspectedArea) {
				c.Geometry = json.RawMessage(`{"type":"Point","coordinates":[102.5,13.1]}`)
			}),
			refused: refused(domain.ErrInvalid, "geometry"),
		},
		{
			name: "evidence of an unknown kind is refused with its position",
			when: with(func(c *domain.RegisterSuspectedArea) {
				c.Evidence = []events.Evidence{accident, {Kind: "RUMOUR", ObservedOn: date("2019-01-01")}}
			}),
			refused: refused(domain.ErrInvalid, "evidence[1].kind"),
		},
	})
}

func TestRegisterWithoutAreaIDDerivesItFromTheCommandID(t *testing.T) {
	c := registration()
	c.AreaID = [16]byte{}
	want := events.DerivedID(commandID, "area", 0, now)
	if got := c.Target(ctx); got != areaRef(want) {
		t.Errorf("Target = %v, want %v", got, areaRef(want))
	}
	_, evs, err := decide(nil, nil, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[0].(events.AreaRegistered).AreaID; got != want {
		t.Errorf("registered area %s, want the derived %s", got, want)
	}
	// A retry of the same command decides the same area.
	_, again, _ := decide(nil, nil, c)
	if again[0].(events.AreaRegistered).AreaID != want {
		t.Error("a retry registered another area")
	}
}

func TestRegisterReportsEveryProblemAtOnce(t *testing.T) {
	_, _, err := decide(nil, nil, domain.RegisterSuspectedArea{SizeM2: -1, Hazard: "IED", LandUse: "MINING"})
	want := []string{"province", "hazard", "size_m2", "registered_on", "source", "land_use"}
	got := problemFields(err)
	if !errors.Is(err, domain.ErrInvalid) || !slices.Equal(got, want) {
		t.Errorf("problems on %v (%v); want %v", got, err, want)
	}
}

func TestAProvinceInTheWrongCaseGetsASuggestion(t *testing.T) {
	c := registration()
	c.Province = "battambang"
	_, _, err := decide(nil, nil, c)
	wantRefusal(t, err, domain.ErrInvalid, "province")
	var de *domain.Error
	errors.As(err, &de)
	// The suggestion is the point of the message: the gazetteer's spelling.
	if !strings.Contains(de.Problems[0].Reason, `"Battambang"`) {
		t.Errorf("no suggestion of \"Battambang\" in %q", de.Problems[0].Reason)
	}
}

func TestAProvinceOfACountryWithoutGazetteerIsAccepted(t *testing.T) {
	c := registration()
	c.Province = "Kabul"
	other := domain.Context{Country: "AF", CommandID: commandID, Now: now}
	if _, err := c.Decide(other, domain.NewState(events.KindArea), nil); err != nil {
		t.Errorf("a country missing from the gazetteer should accept any province: %v", err)
	}
	if domain.Provinces("kh") == nil || len(domain.Provinces("KH")) != 25 {
		t.Errorf("Cambodia has 25 capital/provinces, gazetteer lists %d", len(domain.Provinces("KH")))
	}
}
