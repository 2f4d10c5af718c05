package exchange_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/adapters/exchange/gpkgtest"
	"github.com/landrelease/landrelease/projections"
)

// Rings drawn the wrong way round (an exterior clockwise, a hole
// counter-clockwise), as files from other tools often have them.
const (
	cwSquare = `{"type":"Polygon","coordinates":[[[102.6,12.8],[102.6,12.81],[102.61,12.81],[102.61,12.8],[102.6,12.8]]]}`
	withHole = `{"type":"Polygon","coordinates":[[[102.7,12.7],[102.74,12.7],[102.74,12.74],[102.7,12.74],[102.7,12.7]],` +
		`[[102.71,12.71],[102.72,12.71],[102.72,12.72],[102.71,12.72],[102.71,12.71]]]}`
	twoParts = `{"type":"MultiPolygon","coordinates":[[[[103.0,13.0],[103.01,13.0],[103.01,13.01],[103.0,13.01],[103.0,13.0]]],` +
		`[[[103.1,13.1],[103.1,13.11],[103.11,13.11],[103.11,13.1],[103.1,13.1]]]]}`
)

// gisRows is a small register: polygons in every orientation, a
// MultiPolygon, an area without a polygon, a released one, a restricted one.
func gisRows(t *testing.T) []projections.AreaRow {
	t.Helper()
	base := func(geom string) projections.AreaRow {
		return projections.AreaRow{
			ID: uuid.New(), Province: "Pailin", District: "Sala Krau", Village: "ភូមិ", Hazard: "AP", Classification: "CHA", Status: "CHA",
			Source: "BLS", SizeM2: 10_000, RemainingM2: 10_000, RegisteredOn: mustDate(t, "2019-02-03"), LastActivityOn: mustDate(t, "2019-02-03"),
			EvidenceCount: 2, DirectEvidence: 1, LandUse: "AGRICULTURE", Geometry: json.RawMessage(geom),
			FirstRecordedAt: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), LastRecordedAt: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		}
	}
	released := base(withHole)
	released.RemainingM2, released.Status, released.ClearedM2, released.ReducedM2, released.CancelledNTSM2 = 0, "RELEASED", 6000, 3000, 1000
	released.LastActivityOn, released.ReleasedOn, released.LastOperator, released.APMinesDestroyed = mustDate(t, "2023-04-05"), mustDate(t, "2023-04-05"), "HALO", 3
	restricted := base(twoParts)
	restricted.RestrictedSince, restricted.RestrictionReason, restricted.CasualtiesLast5y, restricted.CommunityRequest = mustDate(t, "2024-01-01"), "flooding", 2, true
	none := base("")
	none.Classification, none.Status = "SHA", "SHA"
	return []projections.AreaRow{base(cwSquare), released, restricted, none}
}

func writeAreaGeoPackage(t *testing.T, rows []projections.AreaRow) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "areas.gpkg")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := exchange.NewAreaGeoPackageWriter(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// signedArea is twice the shoelace area of a ring: > 0 counter-clockwise.
func signedArea(r [][]float64) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}

func checkRightHandRule(t *testing.T, what string, polys [][][][]float64) {
	t.Helper()
	for pi, p := range polys {
		for ri, r := range p {
			if a := signedArea(r); (ri == 0) != (a > 0) {
				t.Errorf("%s polygon %d ring %d: signed area %g (exterior rings counter-clockwise, holes clockwise)", what, pi, ri, a)
			}
		}
	}
}

// An areas GeoPackage follows the OGC specification table by table and
// blob by blob, carries the register's status, class, remaining area and
// release history, and reads back through the importer's reader as the
// same records a CSV export gives.
func TestGeoPackageAreasFollowTheSpecAndReadBack(t *testing.T) {
	rows := gisRows(t)
	path := writeAreaGeoPackage(t, rows)
	l := gpkgtest.Check(t, path, exchange.AreaGeoPackageTable, "MULTIPOLYGON")
	if l.Count != len(rows) || len(l.Geometries) != 3 {
		t.Fatalf("%d features, %d with a geometry; want %d and 3", l.Count, len(l.Geometries), len(rows))
	}
	want := append(append([]string(nil), exchange.GeoJSONColumns...), exchange.GeoPackageDerivedColumns...)
	if !reflect.DeepEqual(l.Columns, want) {
		t.Errorf("columns %v\nwant %v", l.Columns, want)
	}
	for col, typ := range map[string]string{"remaining_area": "INTEGER", "registered_on": "DATE", "community_request": "BOOLEAN", "last_recorded_at": "DATETIME"} {
		if l.Types[col] != typ {
			t.Errorf("%s declared %s, want %s", col, l.Types[col], typ)
		}
	}
	rel := l.Rows[2] // fid = write order
	for col, v := range map[string]any{"status": "RELEASED", "classification": "CHA", "remaining_area": int64(0), "released_area": int64(10_000),
		"cleared_area": int64(6000), "reduced_area": int64(3000), "cancelled_nts_area": int64(1000), "released_on": "2023-04-05",
		"last_event_on": "2023-04-05", "registered_on": "2019-02-03", "operator": "HALO", "ap_mines_destroyed": int64(3),
		"last_recorded_at": "2024-05-06T07:08:09.000Z", "casualties_last_5y": nil} {
		got := rel[col]
		if b, ok := got.([]byte); ok {
			got = string(b)
		}
		if tm, ok := got.(time.Time); ok { // the driver parses DATE columns
			got = tm.Format("2006-01-02")
			if col == "last_recorded_at" {
				got = tm.UTC().Format("2006-01-02T15:04:05.000Z")
			}
		}
		if got != v {
			t.Errorf("released area %s = %#v, want %#v", col, got, v)
		}
	}
	if l.Rows[3]["access_restriction_reason"] != "flooding" || l.Rows[3]["community_request"] != int64(1) {
		t.Errorf("restricted area: %v", l.Rows[3])
	}
	for fid, g := range l.Geometries {
		var polys [][][][]float64
		for _, p := range g.(orb.MultiPolygon) {
			var pc [][][]float64
			for _, r := range p {
				var rc [][]float64
				for _, pt := range r {
					rc = append(rc, []float64{pt[0], pt[1]})
				}
				pc = append(pc, rc)
			}
			polys = append(polys, pc)
		}
		checkRightHandRule(t, fmt.Sprint("fid ", fid), polys)
	}

	// Read back: every record is what the CSV export writes, but for the
	// crs column (a CSV's own) and the geometry in RFC 7946 form.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rd, err := exchange.NewGeoPackageReader(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	h := rd.Header()
	if h.Kind != exchange.Areas || len(h.Ignored) != 0 {
		t.Fatalf("header: kind %v, ignored %v", h.Kind, h.Ignored)
	}
	for i, row := range rows {
		rec, err := rd.Next()
		if err != nil {
			t.Fatalf("feature %d: %v", i, err)
		}
		wantRec := exchange.AreaRecord(row)
		for k, col := range exchange.AreaColumns {
			got := h.Get(rec, col)
			w := wantRec[k]
			switch col {
			case "crs":
				w = ""
			case "community_request":
				w = map[string]string{"true": "1", "false": "0"}[w]
			case "geometry":
				if !exchange.SameGeometry(json.RawMessage(got), json.RawMessage(w)) || (w == "") != (got == "") {
					t.Errorf("feature %d geometry %s, want %s", i, got, w)
				}
				continue
			}
			if got != w {
				t.Errorf("feature %d %s = %q, want %q", i, col, got, w)
			}
		}
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last feature: %v", err)
	}
}

// A GeoPackage in a projected system is refused as a whole, saying to
// reproject; one with two layers and none named areas is refused naming them.
func TestGeoPackageReaderRefusesOtherCRSAndAmbiguousLayers(t *testing.T) {
	path := writeAreaGeoPackage(t, gisRows(t)[:1])
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 / UTM zone 48N', 32648, 'EPSG', 32648, 'PROJCS["WGS 84 / UTM zone 48N"]', '')`,
		`UPDATE gpkg_geometry_columns SET srs_id = 32648`, `UPDATE gpkg_contents SET srs_id = 32648`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	_, err = exchange.NewGeoPackageReader(ctx, db)
	var fe *exchange.FileError
	if !errors.As(err, &fe) || fe.Problems[0].Field != "crs" || !strings.Contains(err.Error(), "reproject the data to WGS84") {
		t.Fatalf("UTM layer: %v", err)
	}
	for _, q := range []string{
		`UPDATE gpkg_contents SET table_name = 'hazards' WHERE table_name = 'areas'`,
		`INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('roads', 'features', 'roads')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err = exchange.NewGeoPackageReader(ctx, db); !errors.As(err, &fe) || !strings.Contains(err.Error(), "hazards, roads") {
		t.Fatalf("two layers: %v", err)
	}
	plain := filepath.Join(t.TempDir(), "plain.sqlite")
	pdb, err := sql.Open("sqlite", plain)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	pdb.Exec("CREATE TABLE t (x)")
	if _, err = exchange.NewGeoPackageReader(ctx, pdb); !errors.As(err, &fe) || !strings.Contains(err.Error(), "not a GeoPackage") {
		t.Fatalf("plain SQLite file: %v", err)
	}
}

// GeoPackageBinary: header by the spec, envelope = the geometry's bounds,
// an empty geometry flagged with no envelope, a big-endian blob (as other
// writers may make) read as well.
func TestGeoPackageBinary(t *testing.T) {
	poly := orb.Polygon{{{102.6, 12.8}, {102.61, 12.8}, {102.61, 12.81}, {102.6, 12.8}}}
	b, err := exchange.EncodeGeoPackageBinary(poly, 4326)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:2]) != "GP" || b[2] != 0 || b[3] != 0b011 || binary.LittleEndian.Uint32(b[4:8]) != 4326 {
		t.Fatalf("header % x", b[:8])
	}
	env := [4]float64{}
	for i := range env {
		env[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8+8*i:]))
	}
	if env != [4]float64{102.6, 102.61, 12.8, 12.81} {
		t.Fatalf("envelope %v", env)
	}
	g, h, err := exchange.DecodeGeoPackageBinary(b)
	if err != nil || !orb.Equal(g, poly) || h.SRSID != 4326 || h.Empty {
		t.Fatalf("decode: %v %v %v", g, h, err)
	}
	e, _ := exchange.EncodeGeoPackageBinary(orb.MultiPolygon{}, 4326)
	if e[3] != 0b10001 {
		t.Fatalf("empty geometry flags %08b, want empty + little endian, no envelope", e[3])
	}
	if _, h, err := exchange.DecodeGeoPackageBinary(e); err != nil || !h.Empty || h.Envelope != nil {
		t.Fatalf("empty: %v %v", h, err)
	}
	big := []byte{'G', 'P', 0, 0b010, 0, 0, 0x10, 0xE6} // big endian, xy envelope, srs 4326
	for _, f := range []float64{102.6, 102.61, 12.8, 12.81} {
		big = binary.BigEndian.AppendUint64(big, math.Float64bits(f))
	}
	big = append(big, wkb.MustMarshal(poly, binary.BigEndian)...)
	if g, h, err := exchange.DecodeGeoPackageBinary(big); err != nil || !orb.Equal(g, poly) || h.SRSID != 4326 {
		t.Fatalf("big endian: %v %v %v", g, h, err)
	}
	for _, bad := range [][]byte{[]byte("XX\x00\x01"), {'G', 'P', 2, 1, 0, 0, 0, 0}, {'G', 'P', 0, 1 | 1<<5, 0, 0, 0, 0}, b[:20]} {
		if _, _, err := exchange.DecodeGeoPackageBinary(bad); err == nil {
			t.Errorf("% x read without error", bad)
		}
	}
}

// The GeoJSON export is RFC 7946: no crs member (the collection names
// CRS84 in a foreign member instead), [longitude, latitude] positions,
// exterior rings counter-clockwise and holes clockwise, and every feature
// has the same property keys in the same order, null where the area has
// no value.
func TestGeoJSONExportIsRFC7946WithAStableSchema(t *testing.T) {
	var buf bytes.Buffer
	w := exchange.NewAreaGeoJSONWriter(&buf)
	for _, r := range gisRows(t) {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string            `json:"type"`
		CRS      json.RawMessage   `json:"crs"`
		System   string            `json:"coordinate_system"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Type != "FeatureCollection" || fc.CRS != nil || fc.System != exchange.CRS84 || len(fc.Features) != 4 {
		t.Fatalf("collection: type %q crs %s coordinate_system %q, %d features", fc.Type, fc.CRS, fc.System, len(fc.Features))
	}
	for i, raw := range fc.Features {
		var f struct {
			Properties json.RawMessage `json:"properties"`
			Geometry   *struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		if keys := objectKeys(t, f.Properties); !reflect.DeepEqual(keys, exchange.GeoJSONColumns) {
			t.Errorf("feature %d property keys %v\nwant %v", i, keys, exchange.GeoJSONColumns)
		}
		var props map[string]any
		json.Unmarshal(f.Properties, &props)
		if _, isNum := props["remaining_area"].(float64); !isNum {
			t.Errorf("feature %d remaining_area %v is not a number", i, props["remaining_area"])
		}
		if f.Geometry == nil {
			if i != 3 {
				t.Errorf("feature %d lost its geometry", i)
			}
			continue
		}
		var polys [][][][]float64
		if f.Geometry.Type == "Polygon" {
			var p [][][]float64
			json.Unmarshal(f.Geometry.Coordinates, &p)
			polys = [][][][]float64{p}
		} else {
			json.Unmarshal(f.Geometry.Coordinates, &polys)
		}
		for _, p := range polys {
			for _, r := range p {
				for _, pos := range r {
					if pos[0] < 102 || pos[0] > 108 || pos[1] < 10 || pos[1] > 15 {
						t.Errorf("feature %d position %v is not [longitude, latitude] in Cambodia", i, pos)
					}
				}
			}
		}
		checkRightHandRule(t, "GeoJSON feature", polys)
	}
	if props := gisRows(t); !exchange.SameGeometry(props[0].Geometry, exchange.RFC7946Geometry(props[0].Geometry)) {
		t.Error("reorienting a polygon changed its outline")
	}
}

// objectKeys returns the keys of a JSON object in the order written.
func objectKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// SameGeometry sets ring orientation and a one-part MultiPolygon aside,
// nothing else.
func TestSameGeometry(t *testing.T) {
	ccw := `{"type":"Polygon","coordinates":[[[102.6,12.8],[102.61,12.8],[102.61,12.81],[102.6,12.81],[102.6,12.8]]]}`
	multi := `{"type":"MultiPolygon","coordinates":[[[[102.6,12.8],[102.61,12.8],[102.61,12.81],[102.6,12.81],[102.6,12.8]]]]}`
	moved := strings.Replace(ccw, "102.61,12.81", "102.62,12.81", 1)
	for _, c := range []struct {
		a, b string
		same bool
	}{{ccw, cwSquare, true}, {ccw, multi, true}, {ccw, moved, false}, {ccw, twoParts, false}, {"", "null", true}, {ccw, "", false}} {
		if got := exchange.SameGeometry(json.RawMessage(c.a), json.RawMessage(c.b)); got != c.same {
			t.Errorf("SameGeometry(%.40s, %.40s) = %v", c.a, c.b, got)
		}
	}
}

// The CSV export states its coordinate system in its crs column; the
// importer refuses a file whose crs column names another system.
func TestCSVCRSColumn(t *testing.T) {
	row := gisRows(t)[0]
	rec := exchange.AreaRecord(row)
	if rec[len(rec)-1] != "EPSG:4326" || exchange.AreaColumns[len(rec)-1] != "crs" {
		t.Fatalf("last column %s = %q", exchange.AreaColumns[len(rec)-1], rec[len(rec)-1])
	}
	conv := &exchange.Converter{Country: "KH"}
	for crs, ok := range map[string]bool{"EPSG:4326": true, "urn:ogc:def:crs:OGC:1.3:CRS84": true, "": true, "EPSG:32648": false} {
		csv := "local_id,province,hazard,classification,estimated_area,remaining_area,area_unit,registered_on,crs\n" +
			"X1,Pailin,AP,CHA,100,100,m2,2020-01-01," + crs + "\n"
		rd, err := exchange.NewCSVReader(strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		r, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		_, probs := conv.Convert(rd.Header(), r)
		if got := len(probs) == 0; got != ok {
			t.Errorf("crs %q: problems %v", crs, probs)
		} else if !ok && (probs[0].Field != "crs" || !strings.Contains(probs[0].Reason, "reproject")) {
			t.Errorf("crs %q: %v", crs, probs)
		}
	}
}
