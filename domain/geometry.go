package domain

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// MaxGeometryPositions is the most positions a hazard area's geometry may
// hold, over all its rings: mine-area outlines have tens to hundreds of
// vertices; a larger outline is simplified before it is recorded. The
// bound keeps the self-intersection check (worst case quadratic in a
// ring's positions) fast on every entry path.
const MaxGeometryPositions = 10_000

// validGeometry checks that raw, when given, is a GeoJSON Polygon or
// MultiPolygon in WGS84: no "crs" member naming another reference system
// (RFC 7946 GeoJSON is WGS84 longitude/latitude, and a projected CRS's
// metres read as degrees would put the area anywhere), rings of at least
// four positions, closed, each position a longitude/latitude, no ring that
// crosses or touches itself, at most MaxGeometryPositions positions.
// Whether the area lies in the country is checked at decision time, where
// the country is known (withinCountry). The exchange adapter reports the
// same problems with codes for the data-quality report.
func validGeometry(p *Problems, field string, raw json.RawMessage) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
		CRS         json.RawMessage `json:"crs"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		p.Add(field, "not a GeoJSON geometry object: %v", err)
		return
	}
	if err := CheckCRS(g.CRS); err != nil {
		p.Add(field, "%v", err)
		return
	}
	var polys [][][][]float64
	switch g.Type {
	case "Polygon":
		var rings [][][]float64
		if err := json.Unmarshal(g.Coordinates, &rings); err != nil {
			p.Add(field, "Polygon coordinates must be a list of rings of [longitude, latitude]: %v", err)
			return
		}
		polys = [][][][]float64{rings}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &polys); err != nil {
			p.Add(field, "MultiPolygon coordinates must be a list of polygons: %v", err)
			return
		}
		if len(polys) == 0 {
			p.Add(field, "MultiPolygon has no polygon")
		}
	default:
		p.Add(field, "type %q: want Polygon or MultiPolygon", g.Type)
		return
	}
	n := 0
	for _, rings := range polys {
		for _, ring := range rings {
			n += len(ring)
		}
	}
	if n > MaxGeometryPositions {
		p.Add(field, "%d positions: at most %d; simplify the outline first", n, MaxGeometryPositions)
		return
	}
	for i, rings := range polys {
		if err := checkPolygon(rings); err != nil {
			if g.Type == "MultiPolygon" {
				err = fmt.Errorf("polygon %d: %w", i, err)
			}
			p.Add(field, "%v", err)
			return
		}
	}
}

// CheckCRS accepts the value of a GeoJSON "crs" member (of a geometry, or
// of a whole FeatureCollection as GDAL and QGIS write it) when it is
// absent, null or names WGS84 longitude/latitude (CRS84, EPSG:4326 in its
// URN and URL forms); any other reference system is an error that says to
// reproject.
func CheckCRS(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var crs struct {
		Type       string `json:"type"`
		Properties struct {
			Name string `json:"name"`
			Href string `json:"href"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(raw, &crs)
	name := crs.Properties.Name
	if name == "" {
		name = crs.Properties.Href
	}
	if name == "" {
		name = string(raw)
	}
	if IsWGS84(name) {
		return nil
	}
	return fmt.Errorf("declares the coordinate reference system %q: landrelease takes WGS84 longitude/latitude "+
		"(RFC 7946 GeoJSON, EPSG:4326); reproject the data to WGS84 first (e.g. ogr2ogr -t_srs EPSG:4326)", name)
}

// IsWGS84 reports whether a GeoJSON "crs" name denotes WGS84
// longitude/latitude: urn:ogc:def:crs:OGC:1.3:CRS84, EPSG:4326 and their
// URN and opengis.net URL forms.
func IsWGS84(name string) bool {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch {
	case n == "WGS84", n == "WGS 84", strings.HasSuffix(n, ":CRS84"), strings.HasSuffix(n, "/CRS84"):
		return true
	case strings.Contains(n, "EPSG") && (strings.HasSuffix(n, ":4326") || strings.HasSuffix(n, "/4326")):
		return true
	}
	return false
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
			if len(pos) < 2 || !finite(pos[0]) || !finite(pos[1]) {
				return fmt.Errorf("ring %d position %d: want [longitude, latitude]", i, j)
			}
			if math.Abs(pos[0]) <= 90 && math.Abs(pos[1]) > 90 && math.Abs(pos[1]) <= 180 {
				return fmt.Errorf("ring %d position %d: [%g, %g] has a latitude beyond ±90: GeoJSON positions are [longitude, latitude], "+
					"and this one looks swapped", i, j, pos[0], pos[1])
			}
			if pos[0] < -180 || pos[0] > 180 || pos[1] < -90 || pos[1] > 90 {
				return fmt.Errorf("ring %d position %d: [%g, %g] is outside WGS84 longitude/latitude ranges "+
					"(projected coordinates, such as UTM metres? reproject the data to WGS84 first)", i, j, pos[0], pos[1])
			}
		}
		first, last := ring[0], ring[len(ring)-1]
		if first[0] != last[0] || first[1] != last[1] {
			return fmt.Errorf("ring %d is not closed: its last position must equal its first", i)
		}
		if a, b, ok := RingSelfIntersection(ring); ok {
			return fmt.Errorf("ring %d crosses or touches itself (edge %d meets edge %d): a hazard area's outline must be a simple ring", i, a, b)
		}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

type pt = [2]float64

// RingSelfIntersection returns a pair of edges of the closed ring
// that cross, touch or overlap, other than consecutive edges meeting at
// their shared vertex (those count only when they fold back over each
// other, a spike). Repeated consecutive positions are ignored. Edges are
// swept in order of their smallest longitude, so only edges whose
// longitude ranges overlap are compared: about n log n for real outlines.
func RingSelfIntersection(ring [][]float64) (int, int, bool) {
	pts := make([]pt, 0, len(ring))
	for _, p := range ring {
		q := pt{p[0], p[1]}
		if len(pts) == 0 || pts[len(pts)-1] != q {
			pts = append(pts, q)
		}
	}
	n := len(pts) - 1 // edges; pts is closed
	if n < 3 {
		return 0, 0, false
	}
	type edge struct {
		i          int
		minX, maxX float64
	}
	edges := make([]edge, n)
	for i := range n {
		edges[i] = edge{i, math.Min(pts[i][0], pts[i+1][0]), math.Max(pts[i][0], pts[i+1][0])}
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := cmpFloat(a.minX, b.minX); c != 0 {
			return c
		}
		return a.i - b.i
	})
	for k := range edges {
		for m := k + 1; m < n && edges[m].minX <= edges[k].maxX; m++ {
			i, j := edges[k].i, edges[m].i
			if i > j {
				i, j = j, i
			}
			if j == i+1 || (i == 0 && j == n-1) {
				shared, a, b := pts[j], pts[i], pts[j+1] // edges i and i+1 meet at pts[i+1]
				if j != i+1 {
					shared, a, b = pts[0], pts[1], pts[n-1]
				}
				if orient(a, shared, b) == 0 && (a[0]-shared[0])*(b[0]-shared[0])+(a[1]-shared[1])*(b[1]-shared[1]) > 0 {
					return i, j, true
				}
				continue
			}
			if segmentsIntersect(pts[i], pts[i+1], pts[j], pts[j+1]) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// orient is the sign of (b-a)×(c-a): 1 left turn, -1 right turn, 0 collinear.
func orient(a, b, c pt) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func onSegment(p, q, r pt) bool { // q on segment pr, given collinear
	return math.Min(p[0], r[0]) <= q[0] && q[0] <= math.Max(p[0], r[0]) &&
		math.Min(p[1], r[1]) <= q[1] && q[1] <= math.Max(p[1], r[1])
}

// segmentsIntersect reports whether segments p1p2 and q1q2 share any point.
func segmentsIntersect(p1, p2, q1, q2 pt) bool {
	o1, o2 := orient(p1, p2, q1), orient(p1, p2, q2)
	o3, o4 := orient(q1, q2, p1), orient(q1, q2, p2)
	if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		return true
	}
	return (o1 == 0 && onSegment(p1, q1, p2)) || (o2 == 0 && onSegment(p1, q2, p2)) ||
		(o3 == 0 && onSegment(q1, p1, q2)) || (o4 == 0 && onSegment(q1, p2, q2))
}

// withinCountry refuses a geometry with a position outside the country's
// bounding box (gazetteer.go); a country without bounds accepts any. It
// runs at decision time, after validGeometry accepted the geometry.
func withinCountry(c Context, field string, raw json.RawMessage) error {
	b, ok := CountryBounds(c.Country)
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if json.Unmarshal(raw, &g) != nil {
		return nil // validGeometry reported it
	}
	var polys [][][][]float64
	if g.Type == "Polygon" {
		var rings [][][]float64
		if json.Unmarshal(g.Coordinates, &rings) != nil {
			return nil
		}
		polys = [][][][]float64{rings}
	} else if json.Unmarshal(g.Coordinates, &polys) != nil {
		return nil
	}
	for _, rings := range polys {
		for _, ring := range rings {
			for _, pos := range ring {
				if len(pos) >= 2 && !b.Contains(pos[0], pos[1]) {
					hint := ""
					if b.Contains(pos[1], pos[0]) {
						hint = "; it would be inside with longitude and latitude swapped: GeoJSON positions are [longitude, latitude]"
					}
					return Errorf(ErrInvalid, field, "position [%g, %g] lies outside %s (longitude %g to %g, latitude %g to %g)%s",
						pos[0], pos[1], c.Country, b.MinLon, b.MaxLon, b.MinLat, b.MaxLat, hint)
				}
			}
		}
	}
	return nil
}
