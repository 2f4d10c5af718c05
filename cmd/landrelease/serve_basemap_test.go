package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeMBTiles writes an MBTiles archive of one PNG tile at z1/x0/y0 (XYZ)
// and answers the tile's bytes.
func writeMBTiles(t *testing.T, path string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 30, 30, 255})
	var tile bytes.Buffer
	if err := png.Encode(&tile, img); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE metadata (name TEXT, value TEXT)",
		"CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)",
		"INSERT INTO metadata VALUES ('name', 'test basemap'), ('format', 'png'), ('minzoom', '0'), ('maxzoom', '1'), ('attribution', 'test tiles'), ('bounds', '102.3,10.4,107.7,14.7')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// MBTiles rows are TMS: at zoom 1, XYZ row 0 is TMS row 1.
	if _, err := db.Exec("INSERT INTO tiles VALUES (1, 0, 1, ?)", tile.Bytes()); err != nil {
		t.Fatal(err)
	}
	return tile.Bytes()
}

// TestServeBasemap: serve --basemap FILE.mbtiles describes the basemap at
// /api/v1/map and serves its tiles by XYZ address (204 where it has none);
// a file that is not an MBTiles archive stops serve with a message naming
// it; without --basemap the basemap is null and its tiles 404.
func TestServeBasemap(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "misplaced.jsonl")
	if err := os.WriteFile(file, []byte(misplacedHistory), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", file); code != exitOK {
		t.Fatalf("exec: exit %d\n%s", code, errOut)
	}
	notMBTiles := filepath.Join(t.TempDir(), "basemap.pmtiles")
	if err := os.WriteFile(notMBTiles, []byte("PMTiles\x03 not sqlite"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "serve", "--insecure-local", "--http", "127.0.0.1:0", "--basemap", notMBTiles); code == exitOK ||
		!strings.Contains(errOut, notMBTiles) || !strings.Contains(errOut, "not an MBTiles archive") {
		t.Errorf("serve --basemap on a PMTiles file: exit %d, %s", code, errOut)
	}

	archive := filepath.Join(t.TempDir(), "basemap.mbtiles")
	want := writeMBTiles(t, archive)
	c := newClient(t, startServe(t, dir, "--insecure-local", "--basemap", archive), "")
	var info struct {
		Boundaries bool `json:"boundaries"`
		Basemap    *struct {
			Format      string    `json:"format"`
			MaxZoom     int       `json:"maxzoom"`
			Attribution string    `json:"attribution"`
			Bounds      []float64 `json:"bounds"`
		} `json:"basemap"`
	}
	if code, body := c.do("GET", "/api/v1/map", nil); code != http.StatusOK || json.Unmarshal(body, &info) != nil || info.Basemap == nil ||
		info.Basemap.Format != "png" || info.Basemap.MaxZoom != 1 || info.Basemap.Attribution != "test tiles" || len(info.Basemap.Bounds) != 4 || !info.Boundaries {
		t.Fatalf("GET /api/v1/map: %d %s", code, body)
	}
	if code, body := c.do("GET", "/api/v1/map/basemap/1/0/0", nil); code != http.StatusOK || !bytes.Equal(body, want) {
		t.Errorf("tile 1/0/0: %d, %d bytes, want the archive's %d", code, len(body), len(want))
	}
	if code, body := c.do("GET", "/api/v1/map/basemap/1/1/1", nil); code != http.StatusNoContent || len(body) != 0 {
		t.Errorf("tile 1/1/1 (not in the archive): %d %q, want 204", code, body)
	}

	other := t.TempDir() // the first serve holds dir
	if code, _, errOut := run(t, "", "--data-dir", other, "exec", file); code != exitOK {
		t.Fatalf("exec: exit %d\n%s", code, errOut)
	}
	c = newClient(t, startServe(t, other, "--insecure-local"), "")
	if code, body := c.do("GET", "/api/v1/map", nil); code != http.StatusOK || !strings.Contains(strings.Join(strings.Fields(string(body)), ""), `"basemap":null`) {
		t.Errorf("without --basemap: %d %s", code, body)
	}
	if code, _ := c.do("GET", "/api/v1/map/basemap/1/0/0", nil); code != http.StatusNotFound {
		t.Errorf("a basemap tile without --basemap: %d, want 404", code)
	}
}
