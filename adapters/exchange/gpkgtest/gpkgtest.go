// Package gpkgtest checks a GeoPackage file against the OGC GeoPackage
// 1.3/1.4 specification (OGC 12-128r18) the way a test can: it reads the
// tables with SQLite and decodes every geometry blob by the spec's layout,
// independently of the writer in adapters/exchange. When GDAL's ogrinfo is
// installed it also has GDAL open the file.
package gpkgtest

import (
	"context"
	"database/sql"
	"encoding/binary"
	"math"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	_ "modernc.org/sqlite" // a GeoPackage is an SQLite file
)

// Layer is what Check found in the file's feature table.
type Layer struct {
	Table      string
	Count      int                      // features
	Geometries map[int64]orb.Geometry   // by fid; features with a NULL geometry are absent
	Columns    []string                 // attribute columns, in table order (not fid, not the geometry)
	Types      map[string]string        // declared type by column
	Rows       map[int64]map[string]any // attribute values by fid
	Bound      orb.Bound                // gpkg_contents min/max
}

// Check opens path read-only and fails t for every requirement of the spec
// it breaks: application_id "GPKG" and user_version 1.3 or 1.4 (103xx, 104xx); the mandatory
// gpkg_spatial_ref_sys rows -1, 0 and 4326; one gpkg_contents row of
// data_type "features" for table, srs_id 4326, whose bounding box holds
// every geometry; its gpkg_geometry_columns row with geometryType (no z, no
// m); an INTEGER PRIMARY KEY fid; every geometry a GeoPackageBinary blob
// ("GP", version 0, little-endian flag, envelope kind 1, srs_id 4326, the
// envelope equal to the bounds of its WKB geometry, of geometryType);
// gpkg_ogr_contents' count; SQLite's integrity and foreign-key checks. If
// ogrinfo is on PATH, "ogrinfo -so -al" must succeed and report the layer.
func Check(t testing.TB, path, table, geometryType string) Layer {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	one := func(q string, dst ...any) {
		t.Helper()
		if err := db.QueryRowContext(ctx, q).Scan(dst...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var appID, userVersion int64
	one("PRAGMA application_id", &appID)
	one("PRAGMA user_version", &userVersion)
	if appID != 0x47504B47 {
		t.Errorf("application_id %#x, want 0x47504B47 (GPKG)", appID)
	}
	if userVersion < 10300 || userVersion >= 10500 {
		t.Errorf("user_version %d, want 10300 or 10400 (GeoPackage 1.3 or 1.4)", userVersion)
	}
	var ok string
	one("PRAGMA integrity_check", &ok)
	if ok != "ok" {
		t.Errorf("integrity_check: %s", ok)
	}
	if rows, err := db.QueryContext(ctx, "PRAGMA foreign_key_check"); err != nil {
		t.Error(err)
	} else {
		if rows.Next() {
			t.Error("foreign_key_check reports a broken reference")
		}
		rows.Close()
	}
	for _, want := range []struct {
		id   int64
		org  string
		code int64
	}{{-1, "NONE", -1}, {0, "NONE", 0}, {4326, "EPSG", 4326}} {
		var org, def string
		var code int64
		if err := db.QueryRowContext(ctx, "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?", want.id).
			Scan(&org, &code, &def); err != nil {
			t.Errorf("gpkg_spatial_ref_sys srs_id %d: %v", want.id, err)
			continue
		}
		if !strings.EqualFold(org, want.org) || code != want.code || def == "" {
			t.Errorf("gpkg_spatial_ref_sys srs_id %d: %s %d %q, want %s %d", want.id, org, code, def, want.org, want.code)
		}
	}
	l := Layer{Table: table, Geometries: map[int64]orb.Geometry{}, Types: map[string]string{}, Rows: map[int64]map[string]any{}}
	var dataType string
	var srs int64
	var minX, minY, maxX, maxY sql.NullFloat64
	if err := db.QueryRowContext(ctx, "SELECT data_type, srs_id, min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", table).
		Scan(&dataType, &srs, &minX, &minY, &maxX, &maxY); err != nil {
		t.Fatalf("gpkg_contents row of %q: %v", table, err)
	}
	if dataType != "features" || srs != 4326 {
		t.Errorf("gpkg_contents %q: data_type %q srs_id %d, want features 4326", table, dataType, srs)
	}
	l.Bound = orb.Bound{Min: orb.Point{minX.Float64, minY.Float64}, Max: orb.Point{maxX.Float64, maxY.Float64}}
	var geomCol, typeName string
	var gsrs, z, m int64
	if err := db.QueryRowContext(ctx, "SELECT column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns WHERE table_name = ?", table).
		Scan(&geomCol, &typeName, &gsrs, &z, &m); err != nil {
		t.Fatalf("gpkg_geometry_columns row of %q: %v", table, err)
	}
	if typeName != geometryType || gsrs != 4326 || z != 0 || m != 0 {
		t.Errorf("gpkg_geometry_columns %q: %s srs %d z %d m %d, want %s 4326 0 0", table, typeName, gsrs, z, m, geometryType)
	}
	rows, err := db.QueryContext(ctx, "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		t.Fatal(err)
	}
	fid := ""
	for rows.Next() {
		var name, typ string
		var pk int
		if err := rows.Scan(&name, &typ, &pk); err != nil {
			t.Fatal(err)
		}
		switch {
		case pk == 1:
			if typ != "INTEGER" {
				t.Errorf("primary key %s is %s, want INTEGER", name, typ)
			}
			fid = name
		case name == geomCol:
			if !strings.EqualFold(typ, geometryType) {
				t.Errorf("geometry column %s declared %s, want %s", name, typ, geometryType)
			}
		default:
			l.Columns = append(l.Columns, name)
			l.Types[name] = typ
		}
	}
	rows.Close()
	if fid == "" {
		t.Fatalf("table %q has no INTEGER PRIMARY KEY", table)
	}
	q := `SELECT "` + fid + `", "` + geomCol + `"`
	for _, c := range l.Columns {
		q += `, "` + c + `"`
	}
	rows, err = db.QueryContext(ctx, q+` FROM "`+table+`"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	anyGeom := false
	for rows.Next() {
		var id int64
		var blob []byte
		vals := make([]any, len(l.Columns))
		dst := []any{&id, &blob}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := rows.Scan(dst...); err != nil {
			t.Fatal(err)
		}
		l.Count++
		l.Rows[id] = map[string]any{}
		for i, c := range l.Columns {
			l.Rows[id][c] = vals[i]
		}
		if blob == nil {
			continue
		}
		g := checkBlob(t, id, blob, geometryType)
		if g == nil {
			continue
		}
		l.Geometries[id] = g
		anyGeom = true
		b := g.Bound()
		if !minX.Valid || b.Min[0] < minX.Float64 || b.Min[1] < minY.Float64 || b.Max[0] > maxX.Float64 || b.Max[1] > maxY.Float64 {
			t.Errorf("fid %d: bounds %v outside gpkg_contents' box %v", id, b, l.Bound)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !anyGeom && minX.Valid {
		t.Errorf("gpkg_contents has a box %v but no feature has a geometry", l.Bound)
	}
	var count int
	if err := db.QueryRowContext(ctx, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = ?", table).Scan(&count); err != nil {
		t.Errorf("gpkg_ogr_contents: %v", err)
	} else if count != l.Count {
		t.Errorf("gpkg_ogr_contents feature_count %d, the table has %d", count, l.Count)
	}
	ogrinfo(t, path, table, l.Count)
	return l
}

// checkBlob decodes a GeoPackageBinary blob by the spec (2.1.3).
func checkBlob(t testing.TB, fid int64, b []byte, geometryType string) orb.Geometry {
	t.Helper()
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' || b[2] != 0 {
		t.Errorf("fid %d: blob does not start with \"GP\" and version 0: % x", fid, b[:min(len(b), 8)])
		return nil
	}
	flags := b[3]
	if flags&1 != 1 || (flags>>1)&7 != 1 || flags&(1<<5) != 0 {
		t.Errorf("fid %d: flags %08b, want little endian, envelope kind 1 (xy), standard geometry", fid, flags)
		return nil
	}
	if srs := int32(binary.LittleEndian.Uint32(b[4:8])); srs != 4326 {
		t.Errorf("fid %d: srs_id %d, want 4326", fid, srs)
	}
	if len(b) < 40 {
		t.Errorf("fid %d: %d bytes, shorter than header and envelope", fid, len(b))
		return nil
	}
	var env [4]float64 // minx, maxx, miny, maxy
	for i := range env {
		env[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8+8*i:]))
	}
	g, err := wkb.Unmarshal(b[40:])
	if err != nil {
		t.Errorf("fid %d: WKB: %v", fid, err)
		return nil
	}
	if strings.ToUpper(g.GeoJSONType()) != geometryType && geometryType != "GEOMETRY" {
		t.Errorf("fid %d: a %s in a %s column", fid, g.GeoJSONType(), geometryType)
	}
	bd := g.Bound()
	if env != [4]float64{bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1]} {
		t.Errorf("fid %d: envelope %v, the WKB geometry's bounds are %v", fid, env, bd)
	}
	return g
}

// ogrinfo has GDAL open the file when ogrinfo is installed.
func ogrinfo(t testing.TB, path, table string, count int) {
	t.Helper()
	bin, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Logf("ogrinfo not installed: GDAL check skipped (the table checks above hold)")
		return
	}
	out, err := exec.Command(bin, "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Errorf("ogrinfo -so -al %s: %v\n%s", path, err, out)
		return
	}
	s := string(out)
	for _, want := range []string{"Layer name: " + table, "Feature Count: " + strconv.Itoa(count), "EPSG\",4326"} {
		if !strings.Contains(s, want) {
			t.Errorf("ogrinfo says nothing of %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "ERROR") || strings.Contains(s, "Warning") {
		t.Errorf("ogrinfo reports a problem:\n%s", s)
	}
}
