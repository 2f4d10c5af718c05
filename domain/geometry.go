package domain

import (
	"encoding/json"
	"fmt"
)

// validGeometry checks that raw, when given, is a GeoJSON Polygon or
// MultiPolygon in WGS84 with closed rings of at least four positions. Finer
// checks (self-intersection, area against the stated size) belong to the
// exchange adapter, which has a geometry library.
func validGeometry(p *Problems, field string, raw json.RawMessage) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		p.Add(field, "not a GeoJSON geometry object: %v", err)
		return
	}
	switch g.Type {
	case "Polygon":
		var rings [][][]float64
		if err := json.Unmarshal(g.Coordinates, &rings); err != nil {
			p.Add(field, "Polygon coordinates must be a list of rings of [longitude, latitude]: %v", err)
			return
		}
		if err := checkPolygon(rings); err != nil {
			p.Add(field, "%v", err)
		}
	case "MultiPolygon":
		var polys [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &polys); err != nil {
			p.Add(field, "MultiPolygon coordinates must be a list of polygons: %v", err)
			return
		}
		if len(polys) == 0 {
			p.Add(field, "MultiPolygon has no polygon")
		}
		for i, rings := range polys {
			if err := checkPolygon(rings); err != nil {
				p.Add(field, "polygon %d: %v", i, err)
				return
			}
		}
	default:
		p.Add(field, "type %q: want Polygon or MultiPolygon", g.Type)
	}
}

func checkPolygon(rings [][][]float64) error {
	if len(rings) == 0 {
		return fmt.Errorf("polygon has no ring")
	}
	for i, ring := range rings {
		if len(ring) < 4 {
			return fmt.Errorf("ring %d has %d positions: a closed ring needs at least 4", i, len(ring))
		}
		for j, pos := range ring {
			if len(pos) < 2 {
				return fmt.Errorf("ring %d position %d: want [longitude, latitude]", i, j)
			}
			if pos[0] < -180 || pos[0] > 180 || pos[1] < -90 || pos[1] > 90 {
				return fmt.Errorf("ring %d position %d: [%g, %g] is outside WGS84 longitude/latitude ranges", i, j, pos[0], pos[1])
			}
		}
		first, last := ring[0], ring[len(ring)-1]
		if first[0] != last[0] || first[1] != last[1] {
			return fmt.Errorf("ring %d is not closed: its last position must equal its first", i)
		}
	}
	return nil
}
