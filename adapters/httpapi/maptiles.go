package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"github.com/landrelease/landrelease/domain"
)

// The map's vector tiles (Mapbox Vector Tile 2.1, gzipped) of the areas
// with a polygon, built from the read model and cached until the read
// model's sequence moves:
//
//   - from zoom polygonZoom up, layer "areas": each area's polygon clipped
//     to the tile and simplified to the tile's grid (4096 units a side),
//     with the properties the map filters and labels by (id, province,
//     status, class, hazard, operator, remaining_m2, restricted);
//   - below it, layer "clusters": one point per cell of a 32 × 32 grid of
//     the tile holding areas, with their count ("count") and how many are
//     open ("open"): a whole country's polygons would be megabytes of
//     sub-pixel shapes.
//
// ?province= keeps one province's areas (the map of a province reads only
// them; the index of a province is built from the read model's rows of that
// province alone).
const (
	polygonZoom = 8
	clusterGrid = 32
	// mapTileCap bounds the cached tiles (all dropped when the sequence
	// moves or the cap is reached).
	mapTileCap = 4096
)

// mapArea is an area as the tiles draw it.
type mapArea struct {
	bound orb.Bound
	geom  orb.Geometry // orb.Polygon or orb.MultiPolygon, lon/lat
	open  bool
	props geojson.Properties
}

// mapIndex is the areas with a polygon of one province (or all) as of a
// sequence.
type mapIndex struct {
	once  sync.Once
	areas []mapArea
	err   error
}

// mapTiles caches the indexes and the tiles of one sequence. Safe for
// concurrent use.
type mapTiles struct {
	mu      sync.Mutex
	seq     uint64
	indexes map[string]*mapIndex
	tiles   map[string][]byte
}

// at returns the index and tile cache of seq, dropping older ones.
func (m *mapTiles) index(seq uint64, province string) *mapIndex {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.indexes == nil || m.seq != seq {
		m.seq, m.indexes, m.tiles = seq, map[string]*mapIndex{}, map[string][]byte{}
	}
	ix, ok := m.indexes[province]
	if !ok {
		ix = &mapIndex{}
		m.indexes[province] = ix
	}
	return ix
}

func (m *mapTiles) cached(seq uint64, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seq != seq {
		return nil, false
	}
	b, ok := m.tiles[key]
	return b, ok
}

func (m *mapTiles) keep(seq uint64, key string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seq != seq {
		return
	}
	if len(m.tiles) >= mapTileCap {
		m.tiles = map[string][]byte{}
	}
	m.tiles[key] = b
}

// build reads the areas of province ("" all) with a polygon.
func (ix *mapIndex) build(ctx context.Context, q Queries, province string) {
	areas, err := q.MapAreas(ctx, province)
	if err != nil {
		ix.err = err
		return
	}
	for _, a := range areas {
		g := parsePolygonal(a.Geometry)
		if g == nil {
			continue
		}
		ix.areas = append(ix.areas, mapArea{bound: g.Bound(), geom: g, open: a.Status != "RELEASED", props: geojson.Properties{
			"id": a.ID, "province": a.Province, "status": a.Status, "class": a.Classification, "hazard": a.Hazard,
			"operator": a.LastOperator, "remaining_m2": a.RemainingM2, "restricted": a.RestrictedSince != "",
		}})
	}
}

// parsePolygonal decodes a GeoJSON Polygon or MultiPolygon (a Feature
// holding one is unwrapped), or answers nil: the engine checked geometries
// on entry, and a map skips what it cannot draw.
func parsePolygonal(raw json.RawMessage) orb.Geometry {
	if len(raw) == 0 {
		return nil
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
		Geometry    json.RawMessage `json:"geometry"`
	}
	if json.Unmarshal(raw, &g) != nil {
		return nil
	}
	switch g.Type {
	case "Feature":
		return parsePolygonal(g.Geometry)
	case "Polygon":
		var p orb.Polygon
		if json.Unmarshal(g.Coordinates, &p) != nil || len(p) == 0 || len(p[0]) < 4 {
			return nil
		}
		return p
	case "MultiPolygon":
		var mp orb.MultiPolygon
		if json.Unmarshal(g.Coordinates, &mp) != nil || len(mp) == 0 {
			return nil
		}
		return mp
	}
	return nil
}

// tile encodes the tile t of the index.
func (ix *mapIndex) tile(t maptile.Tile) ([]byte, error) {
	b := t.Bound(1.0 / 64) // a margin: what crosses the edge is clipped, not lost
	if t.Z < polygonZoom {
		return ix.clusters(t, b)
	}
	fc := geojson.NewFeatureCollection()
	for i := range ix.areas {
		a := &ix.areas[i]
		if !a.bound.Intersects(b) {
			continue
		}
		f := geojson.NewFeature(orb.Clone(a.geom))
		f.Properties = a.props
		fc.Append(f)
	}
	layer := mvt.NewLayer("areas", fc)
	layer.ProjectToTile(t)
	layer.Clip(mvt.MapboxGLDefaultExtentBound)
	layer.Simplify(simplify.DouglasPeucker(1.0))
	return mvt.MarshalGzipped(mvt.Layers{layer})
}

func (ix *mapIndex) clusters(t maptile.Tile, b orb.Bound) ([]byte, error) {
	type cell struct{ count, open int }
	cells := map[[2]int]*cell{}
	inner := t.Bound()
	w, h := inner.Max[0]-inner.Min[0], inner.Max[1]-inner.Min[1]
	for i := range ix.areas {
		a := &ix.areas[i]
		c := a.bound.Center()
		if !inner.Contains(c) {
			continue
		}
		k := [2]int{min(clusterGrid-1, int((c[0]-inner.Min[0])/w*clusterGrid)), min(clusterGrid-1, int((inner.Max[1]-c[1])/h*clusterGrid))}
		cl := cells[k]
		if cl == nil {
			cl = &cell{}
			cells[k] = cl
		}
		cl.count++
		if a.open {
			cl.open++
		}
	}
	_ = b
	fc := geojson.NewFeatureCollection()
	for k, cl := range cells {
		// The cell's centre, in lon/lat (projected below with the rest).
		p := orb.Point{inner.Min[0] + (float64(k[0])+0.5)/clusterGrid*w, inner.Max[1] - (float64(k[1])+0.5)/clusterGrid*h}
		f := geojson.NewFeature(p)
		f.Properties = geojson.Properties{"count": cl.count, "open": cl.open}
		fc.Append(f)
	}
	layer := mvt.NewLayer("clusters", fc)
	layer.ProjectToTile(t)
	return mvt.MarshalGzipped(mvt.Layers{layer})
}

// mapTile answers GET /api/v1/map/tiles/{z}/{x}/{y}[?province=].
func (s *Server) mapTile(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "province", "v")
	province := ""
	if name := q.str("province"); name != "" {
		province = q.province(s.cfg.Country, "province", name)
	}
	if q.err != nil {
		return q.err
	}
	z, errZ := strconv.Atoi(r.PathValue("z"))
	x, errX := strconv.ParseUint(r.PathValue("x"), 10, 32)
	y, errY := strconv.ParseUint(strings.TrimSuffix(r.PathValue("y"), ".mvt"), 10, 32)
	if errZ != nil || z < 0 || z > 22 {
		return badRequest("z", "want a zoom level 0 to 22, got %q", r.PathValue("z"))
	}
	if errX != nil || errY != nil || x >= 1<<z || y >= 1<<z {
		return badRequest("x", "want tile x and y in [0, %d) at zoom %d, got %q/%q", 1<<z, z, r.PathValue("x"), r.PathValue("y"))
	}
	t := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	body, err := s.mapTileBytes(r.Context(), t, province)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// mapTileBytes answers a tile, gzipped, from the cache of the read model's
// current sequence, building the province's index and the tile on a miss.
func (s *Server) mapTileBytes(ctx context.Context, t maptile.Tile, province string) ([]byte, error) {
	seq := s.backend.Projected()
	key := fmt.Sprintf("%s/%d/%d/%d", province, t.Z, t.X, t.Y)
	if b, ok := s.tiles.cached(seq, key); ok {
		return b, nil
	}
	ix := s.tiles.index(seq, province)
	ix.once.Do(func() { ix.build(context.WithoutCancel(ctx), s.backend, province) })
	if ix.err != nil {
		return nil, ix.err
	}
	b, err := ix.tile(t)
	if err != nil {
		return nil, fmt.Errorf("map tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	s.tiles.keep(seq, key, b)
	return b, nil
}

// mapBoundaries answers GET /api/v1/map/boundaries: the province
// boundaries cmd configured (Config.Boundaries), or 404.
func (s *Server) mapBoundaries(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	if len(s.cfg.Boundaries) == 0 {
		return &Error{Status: http.StatusNotFound, Kind: KindNotFound, Message: "this server has no province boundaries (Config.Boundaries)"}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(s.cfg.Boundaries)
	return err
}
