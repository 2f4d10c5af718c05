package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/landrelease/landrelease/scenarios/cambodia"
	"github.com/landrelease/landrelease/scenarios/cambodia/boundaries"
)

// BenchmarkMapFirstView measures the first map view of a province: the
// tiles MapLibre asks for when the map page fits Battambang (the largest
// province) into a 1,280 × 630 px map (512-px vector tiles, fetched six
// at a time as a browser does) and the boundaries, against a server whose
// tile cache is cold (the read model's sequence just moved), then again
// warm. The ceiling is reading the same province's areas as JSON through
// GET /api/v1/areas (pages of 10,000), what the map page read before it
// had tiles. The register: the demo's provinces and counts × scale
// (LANDRELEASE_BENCH_SCALE, default 1; 100 is 545,000 areas), a quarter
// of the areas with a polygon (the demo's geometry_share) near the
// province's centre.
//
//	LANDRELEASE_BENCH_SCALE=10 go test -run '^$' -bench MapFirstView -benchtime 1x ./cmd/landrelease/
func BenchmarkMapFirstView(b *testing.B) {
	scale := 1.0
	if v, err := strconv.ParseFloat(os.Getenv("LANDRELEASE_BENCH_SCALE"), 64); err == nil && v > 0 {
		scale = v
	}
	const province = "Battambang"
	dir := b.TempDir()
	start := time.Now()
	history, areas, polygons := writeMapHistory(b, dir, scale)
	if code, _, errOut := run(b, "", "--data-dir", dir, "exec", history); code != exitOK {
		b.Fatalf("exec: exit %d\n%s", code, errOut)
	}
	b.Logf("scale %g: %d areas, %d with a polygon, loaded in %v", scale, areas, polygons, time.Since(start).Round(time.Millisecond))
	base := startServe(b, dir, "--insecure-local")
	c := newClient(b, base, "")
	tiles := firstViewTiles(b, province, 1280, 630)
	get := func(path string) int {
		code, body := c.do("GET", path, nil)
		if code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, code, body)
		}
		return len(body)
	}
	view := func(seq uint64) (time.Duration, int) {
		t0 := time.Now()
		var mu sync.Mutex
		total := get("/api/v1/map/boundaries")
		work := make(chan maptile.Tile)
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for t := range work {
					n := get(fmt.Sprintf("/api/v1/map/tiles/%d/%d/%d?province=%s&v=%d", t.Z, t.X, t.Y, url.QueryEscape(province), seq))
					mu.Lock()
					total += n
					mu.Unlock()
				}
			}()
		}
		for _, t := range tiles {
			work <- t
		}
		close(work)
		wg.Wait()
		return time.Since(t0), total
	}
	for i := 0; i < b.N; i++ {
		// Move the sequence: the tile cache of the last one is dropped.
		b.StopTimer()
		cmd := fmt.Sprintf(`{"command":"RecordEvidence","data":{"area_id":%q,"kind":"WITNESS","observed_on":"2024-01-0%d","description":"bench"}}`, mapBenchID('a', 0), 1+i%9)
		if code, body := c.do("POST", "/api/v1/commands", cmd); code != http.StatusOK {
			b.Fatalf("RecordEvidence: %d %s", code, body)
		}
		var h struct{ Sequence, Projected uint64 }
		for deadline := time.Now().Add(time.Minute); ; {
			_, body := c.do("GET", "/api/v1/health", nil)
			if json.Unmarshal(body, &h) == nil && h.Projected >= h.Sequence {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("the read model did not catch up in a minute")
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.StartTimer()
		cold, bytes := view(h.Sequence)
		b.StopTimer()
		warm, _ := view(h.Sequence)
		t0 := time.Now()
		for offset := 0; ; offset += 10_000 {
			var page struct {
				Areas []json.RawMessage `json:"areas"`
				Total int               `json:"total"`
			}
			_, body := c.do("GET", fmt.Sprintf("/api/v1/areas?province=%s&limit=10000&offset=%d", url.QueryEscape(province), offset), nil)
			if err := json.Unmarshal(body, &page); err != nil {
				b.Fatal(err)
			}
			if len(page.Areas) == 0 || offset+len(page.Areas) >= page.Total {
				break
			}
		}
		ceiling := time.Since(t0)
		b.StartTimer()
		b.Logf("%g×: first view of %s: %d tiles + boundaries, %d kB: cold %v, warm %v; ceiling (its areas as JSON) %v; cold/ceiling %.2f",
			scale, province, len(tiles), bytes/1024, cold.Round(time.Millisecond), warm.Round(time.Millisecond), ceiling.Round(time.Millisecond), cold.Seconds()/ceiling.Seconds())
		b.ReportMetric(cold.Seconds()*1000, "cold_ms")
		b.ReportMetric(warm.Seconds()*1000, "warm_ms")
		b.ReportMetric(cold.Seconds()/ceiling.Seconds(), "cold/ceiling")
	}
}

// firstViewTiles answers the tiles MapLibre requests for a map of w × h px
// fitted to a province's boundary (padding 20 px, 512-px tiles, tile zoom
// the floor of the map's).
func firstViewTiles(tb testing.TB, province string, w, h float64) []maptile.Tile {
	mp, ok := boundaries.Province(province)
	if !ok {
		tb.Fatalf("no boundary for %s", province)
	}
	bd := mp.Bound()
	lo, hi := maptile.Fraction(bd.Min, 0), maptile.Fraction(bd.Max, 0) // y grows southward
	dx, dy := hi[0]-lo[0], lo[1]-hi[1]
	z := math.Log2(math.Min((w-40)/(dx*512), (h-40)/(dy*512)))
	tz := maptile.Zoom(math.Floor(z))
	cx, cy := (lo[0]+hi[0])/2, (lo[1]+hi[1])/2
	halfW, halfH := w/2/(512*math.Exp2(z)), h/2/(512*math.Exp2(z))
	n := math.Exp2(float64(tz))
	var out []maptile.Tile
	for x := int(math.Floor((cx - halfW) * n)); x <= int(math.Floor((cx+halfW)*n)); x++ {
		for y := int(math.Floor((cy - halfH) * n)); y <= int(math.Floor((cy+halfH)*n)); y++ {
			out = append(out, maptile.New(uint32(x), uint32(y), tz))
		}
	}
	return out
}

func mapBenchID(kind byte, i int) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprintf("landrelease-bench-map-%c-%d", kind, i))).String()
}

// writeMapHistory writes the registrations of the demo's provinces × scale,
// a quarter with a square polygon inside its province.
func writeMapHistory(tb testing.TB, dir string, scale float64) (path string, areas, polygons int) {
	spec, err := cambodia.DefaultSpec()
	if err != nil {
		tb.Fatal(err)
	}
	path = filepath.Join(dir, "map-bench.jsonl")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(7, 11))
	for _, p := range spec.Provinces {
		n := int(math.Round(float64(p.CHAAreas+p.SHAAreas) * scale))
		for k := 0; k < n; k++ {
			class := "SHA"
			if k < int(math.Round(float64(p.CHAAreas)*scale)) {
				class = "CHA"
			}
			size := 50_000 + rng.IntN(200_000)
			geometry := ""
			if rng.Float64() < spec.Behaviour.GeometryShare {
				if g, ok := squareIn(p.Name, p.Centre.Lon, p.Centre.Lat, float64(size), rng); ok {
					geometry = `,"geometry":` + g
					polygons++
				}
			}
			fmt.Fprintf(w, `{"command":"RegisterSuspectedArea","command_id":%q,"actor":"mapu:%s","data":{"area_id":%q,"province":%q,"hazard":"AP","classification":%q,"size_m2":%d,"registered_on":"2020-01-01","source":"BLS"%s}}`+"\n",
				mapBenchID('c', areas), p.Name, mapBenchID('a', areas), p.Name, class, size, geometry)
			areas++
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, areas, polygons
}

// squareIn draws a square of size m² within 0.06° of a province's centre,
// inside its boundary (ten tries).
func squareIn(province string, lon, lat, size float64, rng *rand.Rand) (string, bool) {
	side := math.Sqrt(size)
	for range 10 {
		x, y := lon+(rng.Float64()*2-1)*0.06, lat+(rng.Float64()*2-1)*0.06
		dx, dy := side/(111320*math.Cos(y*math.Pi/180)), side/110574
		ring := [][2]float64{{x, y}, {x + dx, y}, {x + dx, y + dy}, {x, y + dy}, {x, y}}
		pts := make([]orb.Point, 4)
		for i := range pts {
			pts[i] = orb.Point{ring[i][0], ring[i][1]}
		}
		if in, _ := boundaries.Contains(province, pts...); in {
			b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
			return string(b), true
		}
	}
	return "", false
}
