package exchange

import (
	"bytes"
	"encoding/json"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// CRS84 names the coordinate system of every geometry the exports write:
// WGS 84 longitude/latitude in degrees, longitude first, which is what RFC
// 7946 GeoJSON requires and what EPSG:4326 is in a GeoPackage.
const CRS84 = "urn:ogc:def:crs:OGC:1.3:CRS84"

// CSVCRS is the value of the crs column of an areas CSV export.
const CSVCRS = "EPSG:4326"

// ParseGeometry reads a stored GeoJSON geometry (a geometry's own "crs"
// member, which the register accepts when it names WGS84, is dropped).
// nil, nil for no geometry.
func ParseGeometry(raw json.RawMessage) (orb.Geometry, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, err
	}
	return g.Geometry(), nil
}

// OrientRFC7946 turns the rings of g's polygons in place to the right-hand
// rule of RFC 7946 section 3.1.6: exterior rings counter-clockwise, holes
// clockwise. Other geometries are left as they are. It returns g.
func OrientRFC7946(g orb.Geometry) orb.Geometry {
	for _, p := range polygonsOf(g) {
		for i, r := range p {
			want := orb.CW
			if i == 0 {
				want = orb.CCW
			}
			if len(r) >= 4 && r.Orientation() != want && r.Orientation() != 0 {
				r.Reverse()
			}
		}
	}
	return g
}

// geometryJSON is g as RFC 7946 GeoJSON text: no "crs" member, rings
// oriented by the right-hand rule. nil for no geometry.
func geometryJSON(g orb.Geometry) (json.RawMessage, error) {
	if g == nil {
		return nil, nil
	}
	return geojson.NewGeometry(OrientRFC7946(g)).MarshalJSON()
}

// RFC7946Geometry is a stored geometry as an export writes it (see
// geometryJSON); a geometry that does not parse is returned as it is.
func RFC7946Geometry(raw json.RawMessage) json.RawMessage {
	g, err := ParseGeometry(raw)
	if err != nil || g == nil {
		return raw
	}
	out, err := geometryJSON(g)
	if err != nil {
		return raw
	}
	return out
}

// singlePart is a MultiPolygon of one polygon as that Polygon (a GeoPackage
// layer of MULTIPOLYGON holds every area that way); g otherwise.
func singlePart(g orb.Geometry) orb.Geometry {
	if mp, ok := g.(orb.MultiPolygon); ok && len(mp) == 1 {
		return mp[0]
	}
	return g
}

// SameGeometry says whether two stored geometries are the same outline:
// equal positions once ring orientation and a one-part MultiPolygon are
// set aside, so that the import of an export (RFC 7946 order, or a
// GeoPackage) into its own register changes no geometry. Text that does
// not parse is compared as JSON.
func SameGeometry(a, b json.RawMessage) bool {
	ga, errA := ParseGeometry(a)
	gb, errB := ParseGeometry(b)
	if errA != nil || errB != nil {
		return sameJSON(a, b)
	}
	if ga == nil || gb == nil {
		return ga == nil && gb == nil
	}
	return orb.Equal(OrientRFC7946(singlePart(ga)), OrientRFC7946(singlePart(gb)))
}
