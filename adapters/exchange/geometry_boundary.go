package exchange

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Boundaries maps a province name, folded to lower case and trimmed, to its
// boundary polygon(s).
type Boundaries map[string]orb.Geometry

// ProvinceKey is how province names are compared: trimmed, case-folded.
func ProvinceKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// ReadBoundaries reads a GeoJSON FeatureCollection of province boundaries:
// each feature a Polygon or MultiPolygon with a "province" (or else "name")
// string property. Features of one province are merged. It fails, naming
// the feature, on a feature without a name or with another geometry type.
func ReadBoundaries(data []byte) (Boundaries, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("boundaries: not a GeoJSON FeatureCollection: %w", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("boundaries: a GeoJSON %q, want a FeatureCollection", fc.Type)
	}
	out := Boundaries{}
	for i, f := range fc.Features {
		name, _ := f.Properties["province"].(string)
		if strings.TrimSpace(name) == "" {
			name, _ = f.Properties["name"].(string)
		}
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("boundaries: feature %d: no \"province\" or \"name\" property", i)
		}
		g, probs := CheckGeometry(f.Geometry)
		ps := polygonsOf(g)
		if ps == nil {
			why := "no geometry"
			if len(probs) > 0 {
				why = probs[0].String()
			}
			return nil, fmt.Errorf("boundaries: feature %d (%s): %s; want a Polygon or MultiPolygon", i, name, why)
		}
		k := ProvinceKey(name)
		if prev, ok := out[k]; ok {
			ps = append(polygonsOf(prev), ps...)
		}
		out[k] = orb.MultiPolygon(ps)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("boundaries: the file holds no feature")
	}
	return out, nil
}

// InProvince reports whether every vertex of g lies inside (or on) the
// boundary of province. known is false when boundaries hold no such
// province, in which case inside means nothing.
//
// A vertex test is enough for hazard areas, which are small against a
// province: an area whose vertices are all inside can leave the province
// only where the boundary has a spike narrower than the area.
func InProvince(g orb.Geometry, boundaries Boundaries, province string) (inside, known bool) {
	b, ok := boundaries[ProvinceKey(province)]
	if !ok {
		return false, false
	}
	bp := polygonsOf(b)
	for _, p := range polygonsOf(g) {
		for _, pt := range p[0] {
			if !polygonsContain(bp, pt) {
				return false, true
			}
		}
	}
	return true, true
}

// ProvinceAt returns the name key of the province whose boundary holds the
// centre of g's bounding box, or "" when none does.
func ProvinceAt(g orb.Geometry, boundaries Boundaries) string {
	if g == nil {
		return ""
	}
	c := g.Bound().Center()
	for k, b := range boundaries {
		if planar.MultiPolygonContains(orb.MultiPolygon(polygonsOf(b)), c) {
			return k
		}
	}
	return ""
}
