package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// TestServeMapTiles: the tile holding Pailin town carries the Pailin area
// drawn there (with the properties the map filters by) and not the one
// drawn in Ratanakiri; a zoomed-out tile carries clusters; a new area shows
// in the same tile as soon as the read model has it (the cache follows the
// sequence); the boundaries are Cambodia's GeoJSON; a bad tile address is a
// 400 naming the field.
func TestServeMapTiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "misplaced.jsonl")
	if err := os.WriteFile(file, []byte(misplacedHistory), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", file); code != exitOK {
		t.Fatalf("exec: exit %d\n%s", code, errOut)
	}
	c := newClient(t, startServe(t, dir, "--insecure-local"), "")
	tileAt := func(z int, layer string) []map[string]any {
		t.Helper()
		tile := maptile.At(orb.Point{102.6015, 12.8515}, maptile.Zoom(z))
		// Ask for it gzipped, as a browser does, to read the bytes as sent.
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/map/tiles/%d/%d/%d?province=Pailin", c.base, tile.Z, tile.X, tile.Y), nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("tile: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"))
		}
		var body []byte
		buf := make([]byte, 32<<10)
		for {
			n, err := res.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		layers, err := mvt.UnmarshalGzipped(body)
		if err != nil {
			t.Fatalf("not a gzipped vector tile: %v", err)
		}
		var out []map[string]any
		for _, l := range layers {
			if l.Name == layer {
				for _, f := range l.Features {
					out = append(out, f.Properties)
				}
			}
		}
		return out
	}
	areas := tileAt(12, "areas")
	if len(areas) != 1 || areas[0]["id"] != "01900000-0000-7000-8000-0000000001a1" || areas[0]["status"] != "SHA" || areas[0]["province"] != "Pailin" || areas[0]["hazard"] != "AP" {
		t.Fatalf("zoom 12 tile of Pailin town: %v, want the area drawn there", areas)
	}
	if cl := tileAt(6, "clusters"); len(cl) != 1 || fmt.Sprint(cl[0]["count"]) != "1" {
		t.Errorf("zoom 6 tile: clusters %v, want one of 1 (Pailin's only; the Ratanakiri one is in another tile)", cl)
	}

	cmd := `{"command":"RegisterSuspectedArea","data":{"area_id":"01900000-0000-7000-8000-0000000001a3","province":"Pailin","hazard":"AT","classification":"CHA","size_m2":110000,"registered_on":"2021-03-01","source":"BLS","geometry":{"type":"Polygon","coordinates":[[[102.6013,12.8513],[102.6016,12.8513],[102.6016,12.8516],[102.6013,12.8516],[102.6013,12.8513]]]}}}`
	if code, body := c.do("POST", "/api/v1/commands", cmd); code != http.StatusOK {
		t.Fatalf("register: %d %s", code, body)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		var h struct{ Sequence, Projected uint64 }
		_, body := c.do("GET", "/api/v1/health", nil)
		if json.Unmarshal(body, &h) == nil && h.Projected >= h.Sequence {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the read model did not catch up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var ids []string
	for _, p := range tileAt(12, "areas") {
		ids = append(ids, fmt.Sprint(p["id"]))
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"01900000-0000-7000-8000-0000000001a1", "01900000-0000-7000-8000-0000000001a3"}) {
		t.Errorf("after a new area: tile holds %v, want both (the cache must follow the sequence)", ids)
	}

	code, body := c.do("GET", "/api/v1/map/boundaries", nil)
	var fc struct {
		Type        string            `json:"type"`
		Attribution string            `json:"attribution"`
		Features    []json.RawMessage `json:"features"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &fc) != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 24 || fc.Attribution == "" {
		t.Errorf("boundaries: %d, %s with %d features, attribution %q", code, fc.Type, len(fc.Features), fc.Attribution)
	}
	if code, body := c.do("GET", "/api/v1/map/tiles/3/9/1", nil); code != http.StatusBadRequest || !json.Valid(body) || !strings.Contains(string(body), `"x"`) {
		t.Errorf("tile 3/9/1: %d %s, want 400 naming x", code, body)
	}
}
