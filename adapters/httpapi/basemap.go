package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/landrelease/landrelease/domain"
)

// Basemap is an offline basemap the user supplies (serve --basemap): tiles
// by XYZ address (y from the north). cmd opens it; the API only serves it.
type Basemap interface {
	// Info describes the tiles.
	Info() BasemapInfo
	// Tile answers the tile's bytes as stored (vector tiles may be
	// gzipped), or ok false when the archive has no such tile.
	Tile(ctx context.Context, z, x, y int) (data []byte, ok bool, err error)
}

// BasemapInfo is what the map needs to draw a basemap.
type BasemapInfo struct {
	Name        string    `json:"name,omitempty"`
	Format      string    `json:"format"` // png, jpg, webp (raster) or pbf (Mapbox Vector Tile)
	MinZoom     int       `json:"minzoom"`
	MaxZoom     int       `json:"maxzoom"`
	Bounds      []float64 `json:"bounds,omitempty"` // west, south, east, north
	Attribution string    `json:"attribution,omitempty"`
	TileSize    int       `json:"tile_size"` // pixels of a raster tile (256 unless stated)
	Layers      []string  `json:"vector_layers,omitempty"`
}

// mapInfo answers GET /api/v1/map: what the map page can draw besides the
// areas: boundaries and an offline basemap.
func (s *Server) mapInfo(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	doc := struct {
		Boundaries bool         `json:"boundaries"`
		Basemap    *BasemapInfo `json:"basemap"`
	}{Boundaries: len(s.cfg.Boundaries) > 0}
	if s.cfg.Basemap != nil {
		info := s.cfg.Basemap.Info()
		doc.Basemap = &info
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

var basemapTypes = map[string]string{"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "pbf": "application/vnd.mapbox-vector-tile"}

// basemapTile answers GET /api/v1/map/basemap/{z}/{x}/{y}.
func (s *Server) basemapTile(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	if s.cfg.Basemap == nil {
		return &Error{Status: http.StatusNotFound, Kind: KindNotFound, Message: "this server has no basemap: start it with 'serve --basemap FILE.mbtiles'"}
	}
	z, errZ := strconv.Atoi(r.PathValue("z"))
	x, errX := strconv.Atoi(r.PathValue("x"))
	y, errY := strconv.Atoi(strings.TrimSuffix(r.PathValue("y"), "."+s.cfg.Basemap.Info().Format))
	if errZ != nil || z < 0 || z > 22 {
		return badRequest("z", "want a zoom level 0 to 22, got %q", r.PathValue("z"))
	}
	if errX != nil || errY != nil || x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return badRequest("x", "want tile x and y in [0, %d) at zoom %d, got %q/%q", 1<<z, z, r.PathValue("x"), r.PathValue("y"))
	}
	data, ok, err := s.cfg.Basemap.Tile(r.Context(), z, x, y)
	if err != nil {
		return err
	}
	if !ok {
		// No tile here: an empty answer the map draws as nothing.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", basemapTypes[s.cfg.Basemap.Info().Format])
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(data)
	return err
}
