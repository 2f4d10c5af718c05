package exchange

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/google/uuid"
	"github.com/paulmach/orb"
)

// square returns a closed square ring's GeoJSON polygon with its south-west
// corner at lon, lat and sides of d degrees.
func square(lon, lat, dLon, dLat float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		lon, lat, lon+dLon, lat, lon+dLon, lat+dLat, lon, lat+dLat, lon, lat))
}

func mustGeometry(t *testing.T, raw json.RawMessage) orb.Geometry {
	t.Helper()
	g, probs := CheckGeometry(raw)
	if len(probs) > 0 || g == nil {
		t.Fatalf("CheckGeometry(%s): %v", raw, probs)
	}
	return g
}

func hasCode(probs []GeometryProblem, code string) bool {
	for _, p := range probs {
		if p.Code == code {
			return true
		}
	}
	return false
}

func TestGeometryAreaOfASquareNearPailin(t *testing.T) {
	g := mustGeometry(t, square(102.60, 12.85, 0.003, 0.003))
	// A spherical lon/lat rectangle: R² · Δλ · (sin φ₂ − sin φ₁).
	const r = 6378137.0
	rad := math.Pi / 180
	want := r * r * 0.003 * rad * (math.Sin(12.853*rad) - math.Sin(12.85*rad))
	got := AreaM2(g)
	if math.Abs(got-want)/want > 0.01 {
		t.Fatalf("area %.0f m², want %.0f m² within 1%%", got, want)
	}
	if got < 105_000 || got > 112_000 { // ~326 m × 334 m
		t.Fatalf("area %.0f m², want about 108,700 m²", got)
	}
}

func TestGeometryRefusesInvalidPolygons(t *testing.T) {
	cases := []struct {
		name, raw, code string
	}{
		{"projected crs", `{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:32648"}},"coordinates":[[[102.60,12.85],[102.61,12.85],[102.61,12.86],[102.60,12.85]]]}`, GeomCRS},
		{"bowtie", `{"type":"Polygon","coordinates":[[[102.60,12.85],[102.61,12.86],[102.61,12.85],[102.60,12.86],[102.60,12.85]]]}`, GeomSelfIntersection},
		{"open ring", `{"type":"Polygon","coordinates":[[[102.60,12.85],[102.61,12.85],[102.61,12.86],[102.60,12.86]]]}`, GeomRingOpen},
		{"too short", `{"type":"Polygon","coordinates":[[[102.60,12.85],[102.61,12.85],[102.60,12.85]]]}`, GeomRingShort},
		{"lat/lon swapped beyond range", `{"type":"Polygon","coordinates":[[[12.85,102.60],[12.86,102.60],[12.86,102.61],[12.85,102.61],[12.85,102.60]]]}`, GeomRange},
		{"UTM metres", `{"type":"Polygon","coordinates":[[[245000,1422000],[245300,1422000],[245300,1422300],[245000,1422000]]]}`, GeomRange},
		{"spike", `{"type":"Polygon","coordinates":[[[0,0],[2,0],[1,0],[1,1],[0,0]]]}`, GeomSelfIntersection},
		{"point", `{"type":"Point","coordinates":[102.6,12.85]}`, GeomType},
		{"not json", `{"type":`, GeomUnparsable},
		{"bad position", `{"type":"Polygon","coordinates":[[[102.6],[102.61,12.85],[102.61,12.86],[102.6,12.85]]]}`, GeomPosition},
		{"multipolygon with a bowtie", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[5,5],[6,6],[6,5],[5,6],[5,5]]]]}`, GeomSelfIntersection},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, probs := CheckGeometry(json.RawMessage(c.raw))
			if !hasCode(probs, c.code) {
				t.Fatalf("problems %v, want %s", probs, c.code)
			}
		})
	}
}

func TestGeometryAcceptsValidShapes(t *testing.T) {
	for _, raw := range []string{
		string(square(102.6, 12.85, 0.003, 0.003)),
		// concave L shape, clockwise
		`{"type":"Polygon","coordinates":[[[0,0],[0,2],[1,2],[1,1],[2,1],[2,0],[0,0]]]}`,
		// with a hole and a repeated vertex
		`{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}`,
		`{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}`,
	} {
		if _, probs := CheckGeometry(json.RawMessage(raw)); len(probs) > 0 {
			t.Errorf("%s: %v", raw, probs)
		}
	}
	if g, probs := CheckGeometry(nil); g != nil || probs != nil {
		t.Errorf("no geometry: %v %v, want nil nil", g, probs)
	}
}

func TestGeometrySizeMismatch(t *testing.T) {
	// ~120,000 m²: 0.003311° of longitude × 0.003° of latitude at 12.85° N.
	g := mustGeometry(t, square(102.60, 12.85, 0.003311, 0.003))
	area := AreaM2(g)
	if math.Abs(area-120_000)/120_000 > 0.02 {
		t.Fatalf("test polygon: %.0f m², want about 120,000", area)
	}
	tol := DefaultSizeTolerance()
	for _, c := range []struct {
		stated int64
		kind   string
		flag   bool
	}{
		{12, SizeHectaresAsM2, true},            // 12 "m²" are 12 ha
		{120_000, SizeOK, false},                // right
		{70_000, SizeOK, false},                 // a rough sketch passes
		{40_000, SizeMismatchKind, true},        // a third: flagged
		{1_200_000_000, SizeM2AsHectares, true}, // the reverse unit error
	} {
		got, flagged := SizeMismatch(c.stated, area, tol)
		if flagged != c.flag || got.Kind != c.kind {
			t.Errorf("stated %d m² for %.0f m²: flagged %v kind %q, want %v %q", c.stated, area, flagged, got.Kind, c.flag, c.kind)
		}
	}
}

func TestGeometryOverlapsAndDuplicates(t *testing.T) {
	a, b, c, d, e := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	// d is a's square written from another corner, the other way round.
	dRaw := `{"type":"Polygon","coordinates":[[[102.603,12.853],[102.603,12.85],[102.6,12.85],[102.6,12.853],[102.603,12.853]]]}`
	shapes := []Shape{
		{a, mustGeometry(t, square(102.600, 12.85, 0.003, 0.003))},
		{b, mustGeometry(t, square(102.6015, 12.85, 0.003, 0.003))}, // half over a
		{c, mustGeometry(t, square(102.603, 12.85, 0.003, 0.003))},  // shares a's east border only
		{d, mustGeometry(t, json.RawMessage(dRaw))},
		{e, mustGeometry(t, square(102.700, 12.85, 0.003, 0.003))}, // far away
	}
	got := FindOverlaps(shapes)
	type pair struct{ a, b uuid.UUID }
	found := map[pair]Overlap{}
	for _, o := range got {
		found[pair{o.A, o.B}] = o
	}
	ab, ok := found[pair{a, b}]
	if !ok || ab.Duplicate || math.Abs(ab.ShareA-0.5) > 0.05 || math.Abs(ab.ShareB-0.5) > 0.05 {
		t.Errorf("a/b: %+v (found %v), want a half overlap", ab, ok)
	}
	ad, ok := found[pair{a, d}]
	if !ok || !ad.Identical || !ad.Duplicate {
		t.Errorf("a/d: %+v (found %v), want identical duplicates", ad, ok)
	}
	if _, ok := found[pair{a, c}]; ok {
		t.Errorf("a/c share a border only, reported as overlapping")
	}
	for _, o := range got {
		if o.A == e || o.B == e {
			t.Errorf("e overlaps nothing, reported %+v", o)
		}
	}
	if _, ok := found[pair{b, c}]; !ok {
		t.Errorf("b/c overlap, not reported: %+v", got)
	}
	// Nearly the same polygon, one vertex moved by a metre: a duplicate, not identical.
	f := uuid.New()
	fRaw := `{"type":"Polygon","coordinates":[[[102.60001,12.85],[102.603,12.85],[102.603,12.853],[102.6,12.853],[102.60001,12.85]]]}`
	got = FindOverlaps([]Shape{shapes[0], {f, mustGeometry(t, json.RawMessage(fRaw))}})
	if len(got) != 1 || got[0].Identical || !got[0].Duplicate {
		t.Errorf("near-identical: %+v, want one duplicate", got)
	}
}

func TestGeometryInProvince(t *testing.T) {
	bnd, err := ReadBoundaries([]byte(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","properties":{"province":"Pailin"},"geometry":{"type":"Polygon","coordinates":[[[102.5,12.7],[102.8,12.7],[102.8,13.0],[102.5,13.0],[102.5,12.7]]]}},
	 {"type":"Feature","properties":{"name":"Battambang"},"geometry":{"type":"Polygon","coordinates":[[[102.8,12.7],[103.5,12.7],[103.5,13.5],[102.8,13.5],[102.8,12.7]]]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := mustGeometry(t, square(102.60, 12.85, 0.003, 0.003))
	if in, known := InProvince(g, bnd, "pailin "); !in || !known {
		t.Errorf("Pailin: in %v known %v", in, known)
	}
	if in, known := InProvince(g, bnd, "Battambang"); in || !known {
		t.Errorf("Battambang: in %v known %v", in, known)
	}
	if _, known := InProvince(g, bnd, "Kampot"); known {
		t.Errorf("Kampot has no boundary, reported known")
	}
	if p := ProvinceAt(g, bnd); p != "pailin" {
		t.Errorf("ProvinceAt = %q", p)
	}
	if _, err := ReadBoundaries([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}]}`)); err == nil {
		t.Errorf("a feature without a name: no error")
	}
}
