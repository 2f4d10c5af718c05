package exchange

import (
	"math"
	"sort"
	"strconv"

	"github.com/google/uuid"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Shape is an area's identity and valid geometry, for overlap checks.
type Shape struct {
	ID   uuid.UUID
	Geom orb.Geometry // Polygon or MultiPolygon
}

// Overlap is a pair of areas whose polygons share some ground.
type Overlap struct {
	A, B uuid.UUID
	// ShareA and ShareB are the estimated fractions of A's and B's area that
	// lie in the other (1 for identical polygons).
	ShareA, ShareB float64
	OverlapM2      float64 // estimated shared area
	Identical      bool    // the same coordinates, up to ring start and direction
	Duplicate      bool    // Identical, or each lies more than DuplicateShare inside the other
}

// DuplicateShare is the mutual overlap above which two areas are reported
// as duplicates of each other.
const DuplicateShare = 0.95

// overlapGrid is the side of the sample grid used to estimate shares.
const overlapGrid = 64

// FindOverlaps returns every pair of shapes whose polygons overlap (share
// interior, not only a border), ordered by A then B as given. Shapes with a
// nil geometry are skipped.
//
// Candidate pairs come from a bounding-box sweep (sorted by minimum
// longitude); each candidate is then tested exactly (an edge of one crosses
// an edge of the other, or a vertex of one lies strictly inside the other)
// and its shares are estimated by sampling a 64×64 grid over each
// polygon's bounding box (planar point-in-polygon), which is accurate to a
// few per cent: enough to tell a duplicate (> 95 % mutual overlap) from a
// partial overlap, not to measure a sliver. Coordinates are treated as
// planar, which is fine at the scale of a minefield.
func FindOverlaps(shapes []Shape) []Overlap {
	type item struct {
		idx   int
		polys []orb.Polygon
		b     orb.Bound
		key   string
	}
	items := make([]item, 0, len(shapes))
	for i, s := range shapes {
		ps := polygonsOf(s.Geom)
		if len(ps) == 0 {
			continue
		}
		items = append(items, item{idx: i, polys: ps, b: s.Geom.Bound(), key: normalizedKey(ps)})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].b.Min[0] < items[j].b.Min[0] })
	type found struct {
		ia, ib int
		o      Overlap
	}
	var hits []found
	for i := range items {
		a := items[i]
		for j := i + 1; j < len(items) && items[j].b.Min[0] <= a.b.Max[0]; j++ {
			b := items[j]
			if !a.b.Intersects(b.b) {
				continue
			}
			first, second := a, b
			if first.idx > second.idx {
				first, second = second, first
			}
			o := Overlap{A: shapes[first.idx].ID, B: shapes[second.idx].ID}
			if first.key == second.key {
				o.Identical, o.Duplicate, o.ShareA, o.ShareB = true, true, 1, 1
				o.OverlapM2 = math.Round(AreaM2(shapes[first.idx].Geom))
				hits = append(hits, found{first.idx, second.idx, o})
				continue
			}
			exact := polysOverlap(first.polys, second.polys)
			o.ShareA = shareInside(first.polys, first.b, second.polys)
			o.ShareB = shareInside(second.polys, second.b, first.polys)
			if !exact && o.ShareA == 0 && o.ShareB == 0 {
				continue
			}
			o.OverlapM2 = math.Round(o.ShareA * AreaM2(shapes[first.idx].Geom))
			o.Duplicate = o.ShareA > DuplicateShare && o.ShareB > DuplicateShare
			hits = append(hits, found{first.idx, second.idx, o})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].ia != hits[j].ia {
			return hits[i].ia < hits[j].ia
		}
		return hits[i].ib < hits[j].ib
	})
	out := make([]Overlap, len(hits))
	for i, h := range hits {
		out[i] = h.o
	}
	return out
}

// polysOverlap tests exactly whether two polygon sets share interior: an
// edge of one properly crosses an edge of the other, or a vertex of one
// lies strictly inside the other.
func polysOverlap(as, bs []orb.Polygon) bool {
	for _, pa := range as {
		for _, pb := range bs {
			if !pa.Bound().Intersects(pb.Bound()) {
				continue
			}
			for _, ra := range pa {
				for _, rb := range pb {
					for i := 0; i+1 < len(ra); i++ {
						for j := 0; j+1 < len(rb); j++ {
							if segmentsCross(ra[i], ra[i+1], rb[j], rb[j+1]) {
								return true
							}
						}
					}
				}
			}
			if strictlyInside(pa[0], pb) || strictlyInside(pb[0], pa) {
				return true
			}
		}
	}
	return false
}

// strictlyInside reports whether a vertex of r lies inside p and not on its
// boundary.
func strictlyInside(r orb.Ring, p orb.Polygon) bool {
	for _, pt := range r {
		if planar.PolygonContains(p, pt) && !onBoundary(p, pt) {
			return true
		}
	}
	return false
}

func onBoundary(p orb.Polygon, pt orb.Point) bool {
	for _, r := range p {
		for i := 0; i+1 < len(r); i++ {
			if geomOrient(r[i], r[i+1], pt) == 0 && geomOnSegment(r[i], pt, r[i+1]) {
				return true
			}
		}
	}
	return false
}

func polygonsContain(ps []orb.Polygon, pt orb.Point) bool {
	for _, p := range ps {
		if planar.PolygonContains(p, pt) {
			return true
		}
	}
	return false
}

// shareInside estimates the fraction of as lying inside bs by sampling the
// centres of a grid over as's bounding box.
func shareInside(as []orb.Polygon, b orb.Bound, bs []orb.Polygon) float64 {
	dx := (b.Max[0] - b.Min[0]) / overlapGrid
	dy := (b.Max[1] - b.Min[1]) / overlapGrid
	in, both := 0, 0
	for i := 0; i < overlapGrid; i++ {
		for j := 0; j < overlapGrid; j++ {
			pt := orb.Point{b.Min[0] + (float64(i)+0.5)*dx, b.Min[1] + (float64(j)+0.5)*dy}
			if !polygonsContain(as, pt) {
				continue
			}
			in++
			if polygonsContain(bs, pt) {
				both++
			}
		}
	}
	if in == 0 {
		return 0
	}
	return math.Round(float64(both)/float64(in)*1000) / 1000
}

// normalizedKey writes polygons so that the same shape gives the same key
// whatever the ring's start vertex or direction and the polygons' order:
// each ring is deduplicated, rotated to start at its smallest vertex and
// turned counter-clockwise; coordinates are rounded to 1e-7 degree (~1 cm).
func normalizedKey(ps []orb.Polygon) string {
	keys := make([]string, 0, len(ps))
	for _, p := range ps {
		var s []byte
		for _, r := range p {
			s = append(s, '[')
			for _, pt := range normalizeRing(r) {
				s = appendCoord(s, pt[0])
				s = append(s, ',')
				s = appendCoord(s, pt[1])
				s = append(s, ';')
			}
			s = append(s, ']')
		}
		keys = append(keys, string(s))
	}
	sort.Strings(keys)
	var out []byte
	for _, k := range keys {
		out = append(out, k...)
		out = append(out, '|')
	}
	return string(out)
}

func appendCoord(s []byte, f float64) []byte {
	return strconv.AppendInt(s, int64(math.Round(f*1e7)), 10)
}

func normalizeRing(r orb.Ring) []orb.Point {
	pts := make([]orb.Point, 0, len(r))
	round := func(p orb.Point) orb.Point {
		return orb.Point{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
	}
	for _, p := range r {
		p = round(p)
		if len(pts) == 0 || pts[len(pts)-1] != p {
			pts = append(pts, p)
		}
	}
	if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	if planarSignedArea(pts) < 0 {
		for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
			pts[i], pts[j] = pts[j], pts[i]
		}
	}
	start := 0
	for i, p := range pts {
		if p[0] < pts[start][0] || (p[0] == pts[start][0] && p[1] < pts[start][1]) {
			start = i
		}
	}
	return append(pts[start:], pts[:start]...)
}

func planarSignedArea(pts []orb.Point) float64 {
	s := 0.0
	for i := range pts {
		j := (i + 1) % len(pts)
		s += pts[i][0]*pts[j][1] - pts[j][0]*pts[i][1]
	}
	return s / 2
}
