package cambodia_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/scenarios/cambodia"
	"github.com/landrelease/landrelease/scenarios/cambodia/boundaries"
)

// TestEveryDemoPolygonLiesInsideItsProvince: every vertex of every polygon
// the demo registers lies inside (or on) its province's boundary.
func TestEveryDemoPolygonLiesInsideItsProvince(t *testing.T) {
	history(t)
	polygons, outside := 0, map[string]int{}
	for _, env := range demo.envs {
		reg, ok := env.Command.(domain.RegisterSuspectedArea)
		if !ok {
			if c, ok := env.Command.(domain.CorrectAreaRecord); ok && (len(c.Geometry) > 0 || c.Province != nil) {
				t.Fatalf("the demo corrects a geometry or a province (%+v): this test must then follow the area", c)
			}
			continue
		}
		if len(reg.Geometry) == 0 {
			continue
		}
		var g struct {
			Type        string        `json:"type"`
			Coordinates [][]orb.Point `json:"coordinates"`
		}
		if err := json.Unmarshal(reg.Geometry, &g); err != nil || g.Type != "Polygon" {
			t.Fatalf("a demo geometry is not a GeoJSON Polygon (%v): %s", err, reg.Geometry)
		}
		polygons++
		in, known := boundaries.Contains(reg.Province, g.Coordinates[0]...)
		if !known {
			t.Fatalf("%s has no boundary in package boundaries", reg.Province)
		}
		if !in {
			outside[reg.Province]++
		}
	}
	if polygons == 0 {
		t.Fatal("the demo registers no polygon")
	}
	if len(outside) > 0 {
		t.Errorf("of %d demo polygons, these lie (partly) outside their province: %v", polygons, outside)
	}
}

// TestACentreOutsideItsProvinceIsRefused: the spec names the province whose
// centre lies outside its boundary.
func TestACentreOutsideItsProvinceIsRefused(t *testing.T) {
	spec, err := cambodia.DefaultSpec()
	if err != nil {
		t.Fatal(err)
	}
	for i := range spec.Provinces {
		if spec.Provinces[i].Name == "Pailin" {
			spec.Provinces[i].Centre = cambodia.LonLat{Lon: 107.0, Lat: 13.65} // Ratanakiri
		}
	}
	_, err = cambodia.Generate(spec)
	if err == nil {
		t.Fatal("a Pailin centre in Ratanakiri was accepted")
	}
	if want := "outside Pailin's boundary"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}
