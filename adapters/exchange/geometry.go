package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/landrelease/landrelease/domain"
)

// Geometry problem codes: stable names, used in reports and JSON.
const (
	GeomUnparsable       = "GEOMETRY_UNPARSABLE"     // not a GeoJSON geometry
	GeomType             = "GEOMETRY_TYPE"           // not a Polygon or MultiPolygon
	GeomEmpty            = "GEOMETRY_EMPTY"          // no ring at all
	GeomPosition         = "POSITION_INVALID"        // a position without two finite numbers
	GeomRange            = "COORDINATE_OUT_OF_RANGE" // longitude outside [-180, 180] or latitude outside [-90, 90]
	GeomRingOpen         = "RING_NOT_CLOSED"         // first and last positions differ
	GeomRingShort        = "RING_TOO_SHORT"          // fewer than 4 positions
	GeomSelfIntersection = "SELF_INTERSECTION"       // two edges of a ring cross or touch
	GeomZeroArea         = "ZERO_AREA"               // the outer ring encloses no area
	GeomCRS              = "GEOMETRY_CRS"            // a "crs" member naming a system other than WGS84
)

// GeometryProblem is one thing wrong with a geometry.
type GeometryProblem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p GeometryProblem) String() string { return p.Code + ": " + p.Message }

// rawGeometry is a GeoJSON geometry (or a Feature wrapping one) read loosely
// so that every problem can be named precisely.
type rawGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	Geometry    json.RawMessage `json:"geometry"` // when Type is Feature
	CRS         json.RawMessage `json:"crs"`
}

// CheckGeometry parses a GeoJSON Polygon or MultiPolygon (a Feature holding
// one is unwrapped) and validates it: no "crs" member naming a system other
// than WGS84 (domain.CheckCRS), every ring has at least 4 positions
// and is closed, every position is a WGS84 longitude/latitude, no ring
// crosses or touches itself, the outer rings enclose some area.
//
// orb has no validity check of its own: the self-intersection test here is
// a pairwise segment test on each ring, O(n²) in the ring's positions, which
// is fine for mine-area polygons of tens to hundreds of vertices. Holes are
// checked as rings; whether a hole lies inside its shell, and whether rings
// of one polygon cross each other, is not checked.
//
// It returns the geometry (nil when it cannot be built at all) and every
// problem found; no problem means the geometry is valid. An empty raw
// (no geometry recorded) returns nil, nil.
func CheckGeometry(raw json.RawMessage) (orb.Geometry, []GeometryProblem) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var rg rawGeometry
	if err := json.Unmarshal(raw, &rg); err != nil {
		return nil, []GeometryProblem{{GeomUnparsable, err.Error()}}
	}
	if rg.Type == "Feature" {
		return CheckGeometry(rg.Geometry)
	}
	var probs []GeometryProblem
	if err := domain.CheckCRS(rg.CRS); err != nil {
		probs = append(probs, GeometryProblem{GeomCRS, err.Error()})
	}
	var g orb.Geometry
	switch rg.Type {
	case "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(rg.Coordinates, &c); err != nil {
			return nil, []GeometryProblem{{GeomUnparsable, "Polygon coordinates: " + err.Error()}}
		}
		p, ps := buildPolygon(c, "")
		g, probs = p, append(probs, ps...)
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(rg.Coordinates, &c); err != nil {
			return nil, []GeometryProblem{{GeomUnparsable, "MultiPolygon coordinates: " + err.Error()}}
		}
		mp := make(orb.MultiPolygon, 0, len(c))
		for i, pc := range c {
			p, ps := buildPolygon(pc, fmt.Sprintf("polygon %d ", i))
			mp = append(mp, p)
			probs = append(probs, ps...)
		}
		if len(mp) == 0 {
			probs = append(probs, GeometryProblem{GeomEmpty, "MultiPolygon with no polygon"})
		}
		g = mp
	case "":
		return nil, []GeometryProblem{{GeomUnparsable, "no \"type\" member"}}
	default:
		return nil, []GeometryProblem{{GeomType, fmt.Sprintf("a hazard area is a Polygon or MultiPolygon, not a %s", rg.Type)}}
	}
	return g, probs
}

func buildPolygon(c [][][]float64, where string) (orb.Polygon, []GeometryProblem) {
	var probs []GeometryProblem
	if len(c) == 0 {
		return nil, []GeometryProblem{{GeomEmpty, where + "has no ring"}}
	}
	p := make(orb.Polygon, 0, len(c))
	for ri, rc := range c {
		name := fmt.Sprintf("%sring %d", where, ri)
		if ri == 0 {
			name = where + "outer ring"
		}
		r := make(orb.Ring, 0, len(rc))
		bad := false
		for pi, pos := range rc {
			if len(pos) < 2 || !finiteCoord(pos[0]) || !finiteCoord(pos[1]) {
				probs = append(probs, GeometryProblem{GeomPosition, fmt.Sprintf("%s position %d: want [longitude, latitude]", name, pi)})
				bad = true
				continue
			}
			if pos[0] < -180 || pos[0] > 180 || pos[1] < -90 || pos[1] > 90 {
				probs = append(probs, GeometryProblem{GeomRange, fmt.Sprintf("%s position %d: [%g, %g] is not a WGS84 longitude/latitude", name, pi, pos[0], pos[1])})
				bad = true
			}
			r = append(r, orb.Point{pos[0], pos[1]})
		}
		if len(r) < 4 {
			probs = append(probs, GeometryProblem{GeomRingShort, fmt.Sprintf("%s has %d positions; a ring needs at least 4", name, len(r))})
			bad = true
		} else if r[0] != r[len(r)-1] {
			probs = append(probs, GeometryProblem{GeomRingOpen, fmt.Sprintf("%s is not closed: first %v, last %v", name, r[0], r[len(r)-1])})
			bad = true
		}
		if !bad {
			if i, j, ok := ringSelfIntersection(r); ok {
				probs = append(probs, GeometryProblem{GeomSelfIntersection, fmt.Sprintf("%s: edge %d crosses or touches edge %d", name, i, j)})
			} else if ri == 0 && geo.Area(r) == 0 {
				probs = append(probs, GeometryProblem{GeomZeroArea, name + " encloses no area"})
			}
		}
		p = append(p, r)
	}
	return p, probs
}

func finiteCoord(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// ringSelfIntersection is domain.RingSelfIntersection on an orb ring: the
// rule an area's outline is held to on entry, applied to a file's.
func ringSelfIntersection(r orb.Ring) (int, int, bool) {
	ring := make([][]float64, len(r))
	for i, p := range r {
		ring[i] = []float64{p[0], p[1]}
	}
	return domain.RingSelfIntersection(ring)
}

// geomOrient is the sign of the cross product (b-a)×(c-a): >0 left turn, <0
// right turn, 0 collinear.
func geomOrient(a, b, c orb.Point) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func geomOnSegment(p, q, r orb.Point) bool { // q on segment pr, given collinear
	return math.Min(p[0], r[0]) <= q[0] && q[0] <= math.Max(p[0], r[0]) &&
		math.Min(p[1], r[1]) <= q[1] && q[1] <= math.Max(p[1], r[1])
}

// segmentsCross reports whether the segments cross at one point interior to
// both (touching and collinear overlap do not count): two areas that share
// a border do not overlap.
func segmentsCross(p1, p2, q1, q2 orb.Point) bool {
	o1, o2 := geomOrient(p1, p2, q1), geomOrient(p1, p2, q2)
	o3, o4 := geomOrient(q1, q2, p1), geomOrient(q1, q2, p2)
	return o1*o2 < 0 && o3*o4 < 0
}

// AreaM2 is the area of a WGS84 Polygon or MultiPolygon in square metres,
// on a spherical earth (orb/geo.Area); holes are subtracted. 0 for nil.
func AreaM2(g orb.Geometry) float64 {
	if g == nil {
		return 0
	}
	return geo.Area(g)
}

// polygonsOf returns the polygons of g (nil for other types).
func polygonsOf(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}
