package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the MBTiles archive is an SQLite file

	"github.com/landrelease/landrelease/adapters/httpapi"
)

// mbtiles is an MBTiles 1.3 archive (an SQLite file with tables metadata
// and tiles, rows in TMS order: y from the south) opened read-only for
// serve --basemap. PMTiles is not read: no reader of it is among this
// build's dependencies. Safe for concurrent use.
type mbtiles struct {
	db   *sql.DB
	info httpapi.BasemapInfo
}

var _ httpapi.Basemap = (*mbtiles)(nil)

// openMBTiles opens path read-only and reads its metadata; it fails,
// naming the file, when it is not an MBTiles archive of a format the map
// can draw.
func openMBTiles(ctx context.Context, path string) (*mbtiles, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--basemap %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("--basemap %s: %w", path, err)
	}
	m := &mbtiles{db: db, info: httpapi.BasemapInfo{MinZoom: 0, MaxZoom: 14, TileSize: 256}}
	if err := m.readMetadata(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("--basemap %s: not an MBTiles archive the map can draw: %w (want an SQLite file with tables metadata and tiles, format png, jpg, webp or pbf; PMTiles is not read: convert it with 'pmtiles convert')", path, err)
	}
	return m, nil
}

func (m *mbtiles) readMetadata(ctx context.Context) error {
	rows, err := m.db.QueryContext(ctx, "SELECT name, value FROM metadata")
	if err != nil {
		return err
	}
	defer rows.Close()
	meta := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		meta[k] = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var n int
	if err := m.db.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM tiles LIMIT 1)").Scan(&n); err != nil {
		return fmt.Errorf("no tiles table: %w", err)
	}
	m.info.Name, m.info.Attribution = meta["name"], meta["attribution"]
	m.info.Format = strings.ToLower(meta["format"])
	if _, ok := map[string]bool{"png": true, "jpg": true, "jpeg": true, "webp": true, "pbf": true}[m.info.Format]; !ok {
		return fmt.Errorf("metadata format %q", meta["format"])
	}
	for k, dst := range map[string]*int{"minzoom": &m.info.MinZoom, "maxzoom": &m.info.MaxZoom} {
		if v, ok := meta[k]; ok {
			z, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || z < 0 || z > 22 {
				return fmt.Errorf("metadata %s %q: want 0 to 22", k, v)
			}
			*dst = z
		}
	}
	if v := meta["bounds"]; v != "" {
		var b []float64
		for _, f := range strings.Split(v, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return fmt.Errorf("metadata bounds %q: want west,south,east,north", v)
			}
			b = append(b, x)
		}
		if len(b) == 4 {
			m.info.Bounds = b
		}
	}
	if v := meta["json"]; v != "" && m.info.Format == "pbf" {
		var doc struct {
			VectorLayers []struct {
				ID string `json:"id"`
			} `json:"vector_layers"`
		}
		if json.Unmarshal([]byte(v), &doc) == nil {
			for _, l := range doc.VectorLayers {
				m.info.Layers = append(m.info.Layers, l.ID)
			}
		}
	}
	return nil
}

func (m *mbtiles) Info() httpapi.BasemapInfo { return m.info }

// Tile reads a tile by XYZ address (flipped to the archive's TMS row).
func (m *mbtiles) Tile(ctx context.Context, z, x, y int) ([]byte, bool, error) {
	var data []byte
	err := m.db.QueryRowContext(ctx, "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
		z, x, (1<<z)-1-y).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("basemap tile %d/%d/%d: %w", z, x, y, err)
	}
	return data, true, nil
}

func (m *mbtiles) Close() error { return m.db.Close() }
