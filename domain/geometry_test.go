package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

func registerWith(geometry string) domain.RegisterSuspectedArea {
	return domain.RegisterSuspectedArea{AreaID: areaID, Province: "Pailin", Hazard: events.HazardAP, SizeM2: 1000,
		RegisteredOn: registeredOn, Source: "BLS", Geometry: json.RawMessage(geometry)}
}

// wantGeometryProblem asserts that validating cmd finds a problem with the
// geometry field whose reason holds want.
func wantGeometryProblem(t *testing.T, cmd domain.Command, want string) {
	t.Helper()
	var p domain.Problems
	cmd.Validate(&p)
	for _, pr := range p {
		if pr.Field == "geometry" && strings.Contains(pr.Reason, want) {
			return
		}
	}
	t.Errorf("want a geometry problem with %q, got %v", want, p)
}

func TestGeometryShapeIsCheckedOnEntry(t *testing.T) {
	for _, tc := range []struct{ name, geometry, want string }{
		{"bow-tie", `{"type":"Polygon","coordinates":[[[102.60,12.85],[102.61,12.86],[102.61,12.85],[102.60,12.86],[102.60,12.85]]]}`, "crosses or touches itself"},
		{"spike", `{"type":"Polygon","coordinates":[[[102.60,12.85],[102.62,12.85],[102.61,12.85],[102.61,12.86],[102.60,12.85]]]}`, "crosses or touches itself"},
		{"ring touching itself", `{"type":"Polygon","coordinates":[[[102.60,12.85],[102.62,12.85],[102.62,12.87],[102.61,12.85],[102.60,12.87],[102.60,12.85]]]}`, "crosses or touches itself"},
		{"bow-tie in a multipolygon", `{"type":"MultiPolygon","coordinates":[[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.5]]],[[[102.60,12.85],[102.61,12.86],[102.61,12.85],[102.60,12.86],[102.60,12.85]]]]}`, "polygon 1: ring 0 crosses"},
		{"UTM metres", `{"type":"Polygon","coordinates":[[[300000,1420000],[301000,1420000],[301000,1421000],[300000,1420000]]]}`, "reproject the data to WGS84"},
		{"projected crs", `{"type":"Polygon","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32648"}},"coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.5]]]}`, `"urn:ogc:def:crs:EPSG::32648": landrelease takes WGS84`},
		{"linked crs", `{"type":"Polygon","crs":{"type":"link","properties":{"href":"http://example.com/crs/42"}},"coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.5]]]}`, "reproject the data to WGS84"},
		{"NaN-free but open", `{"type":"Polygon","coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.6]]]}`, "not closed"},
		{"latitude first", `{"type":"Polygon","coordinates":[[[12.85,102.60],[12.85,102.61],[12.86,102.61],[12.85,102.60]]]}`, "looks swapped"},
		{"too many positions", circle(domain.MaxGeometryPositions+1, 0), "simplify the outline"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantGeometryProblem(t, registerWith(tc.geometry), tc.want) })
	}
}

func TestGeometryAcceptsSimpleWGS84Outlines(t *testing.T) {
	for _, g := range []string{
		`{"type":"Polygon","coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.5]]]}`,
		`{"type":"Polygon","coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.6,12.6],[102.5,12.5]]]}`, // a repeated position
		`{"type":"Polygon","coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.6],[102.5,12.5]],[[102.52,12.52],[102.52,12.54],[102.54,12.54],[102.52,12.52]]]}`,
		`{"type":"Polygon","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.5]]]}`,
		`{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.5]]]}`,
		circle(domain.MaxGeometryPositions, 0),
	} {
		var p domain.Problems
		registerWith(g).Validate(&p)
		if len(p) != 0 {
			t.Errorf("%.120s: %v", g, p)
		}
	}
}

// circle is a closed ring of n positions round a point of Pailin, pushed
// shift degrees east.
func circle(n int, shift float64) string {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i := range n - 1 {
		a := 2 * math.Pi * float64(i) / float64(n-1)
		fmt.Fprintf(&b, "[%.9f,%.9f],", 102.6+shift+0.01*math.Cos(a), 12.85+0.01*math.Sin(a))
	}
	fmt.Fprintf(&b, "[%.9f,%.9f]]]}", 102.61+shift, 12.85)
	return b.String()
}

// An area must lie in the country: a polygon in Thailand, or one given as
// [latitude, longitude], is refused when decided, whatever the entry path.
func TestGeometryMustLieInTheCountry(t *testing.T) {
	for _, tc := range []struct{ name, geometry, want string }{
		{"Bangkok", `{"type":"Polygon","coordinates":[[[100.50,13.75],[100.51,13.75],[100.51,13.76],[100.50,13.75]]]}`, "lies outside KH"},
		{"partly over the border", `{"type":"Polygon","coordinates":[[[102.3,13.0],[102.1,13.0],[102.3,13.1],[102.3,13.0]]]}`, "[102.1, 13]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := registerWith(tc.geometry)
			var p domain.Problems
			cmd.Validate(&p)
			if len(p) != 0 {
				t.Fatalf("valid in shape: %v", p)
			}
			_, err := cmd.Decide(ctx, domain.Area{}, nil)
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalid) || de.Field() != "geometry" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want invalid geometry with %q, got %v", tc.want, err)
			}
			cmd2 := domain.CorrectAreaRecord{AreaID: areaID, On: today, Reason: "survey", Geometry: json.RawMessage(tc.geometry)}
			given := domain.Fold(events.KindArea, []events.Event{events.AreaRegistered{AreaID: areaID, Province: "Pailin",
				Hazard: events.HazardAP, Classification: events.SHA, SizeM2: 1000, RegisteredOn: registeredOn, Source: "BLS"}})
			if _, err := cmd2.Decide(ctx, given, nil); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CorrectAreaRecord: want invalid geometry with %q, got %v", tc.want, err)
			}
		})
	}
	inPailin := registerWith(circle(40, 0))
	if _, err := inPailin.Decide(ctx, domain.Area{}, nil); err != nil {
		t.Fatalf("an area in Pailin: %v", err)
	}
	elsewhere := ctx
	elsewhere.Country = "XX" // no bounds known: any position
	if _, err := registerWith(circle(40, -2.5)).Decide(elsewhere, domain.Area{}, nil); err != nil {
		t.Fatalf("a country without bounds: %v", err)
	}
}

// The self-intersection check stays fast at the largest geometry allowed,
// even for a comb whose edges all overlap in longitude.
func BenchmarkGeometryCheck(b *testing.B) {
	var comb strings.Builder
	comb.WriteString(`{"type":"Polygon","coordinates":[[`)
	n := domain.MaxGeometryPositions/2 - 1
	for i := range n {
		y := 12.0 + 0.0001*float64(i)
		fmt.Fprintf(&comb, "[102.5,%.6f],[103.5,%.6f],", y, y+0.00005)
	}
	comb.WriteString(`[102.4,12.9],[102.4,12.0],[102.5,12.0]]]}`)
	for name, g := range map[string]string{"circle": circle(domain.MaxGeometryPositions, 0), "comb": comb.String()} {
		cmd := registerWith(g)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var p domain.Problems
				cmd.Validate(&p)
			}
		})
	}
}
