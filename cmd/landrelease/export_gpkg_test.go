package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/adapters/exchange/gpkgtest"
)

// gisRegister is a data dir with the exchange test files imported, and an
// area whose polygon is drawn clockwise with a counter-clockwise hole (as
// other tools write them), so exports must reorient it.
func gisRegister(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	odd := filepath.Join(t.TempDir(), "odd.csv")
	geom := `"{""type"":""Polygon"",""coordinates"":[[[102.7,12.7],[102.7,12.74],[102.74,12.74],[102.74,12.7],[102.7,12.7]],` +
		`[[102.71,12.71],[102.72,12.71],[102.72,12.72],[102.71,12.72],[102.71,12.71]]]}"`
	if err := os.WriteFile(odd, []byte("local_id,province,hazard,classification,estimated_area,remaining_area,area_unit,registered_on,cleared_area,last_activity_on,operator,geometry\n"+
		"ODD-1,Pailin,AP,CHA,8000,2000,m2,2020-02-02,6000,2022-03-03,HALO,"+geom+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{exchangeFile("areas.csv"), exchangeFile("areas.geojson"), odd} {
		if code, out, errb := run(t, "", "--data-dir", src, "import", f); code != exitOK {
			t.Fatalf("import %s: %d\n%s%s", f, code, out, errb)
		}
	}
	return src
}

// An areas GeoPackage passes the OGC table checks (and GDAL's ogrinfo when
// installed), and importing it into an empty data dir gives the register
// the GeoJSON round trip gives: the same areas, attributes and geometries.
// Imported into its own source it adds nothing.
func TestExportGeoPackageRoundTripsThroughImport(t *testing.T) {
	src := gisRegister(t)
	want := stateDoc(t, src)
	dir := t.TempDir()
	viaGeoJSON, viaGpkg := t.TempDir(), t.TempDir()
	gj, gp := filepath.Join(dir, "areas.geojson"), filepath.Join(dir, "areas.gpkg")
	if code, _, errb := run(t, "", "--data-dir", src, "export", "--what", "areas", "--format", "geojson", "--out", gj); code != exitOK {
		t.Fatalf("export geojson: %s", errb)
	}
	code, _, errb := run(t, "", "--data-dir", src, "export", "--what", "areas", "--format", "gpkg", "--out", gp)
	if code != exitOK || !strings.Contains(errb, "6 areas written") || !strings.Contains(errb, "EPSG:4326") {
		t.Fatalf("export gpkg: %d %s", code, errb)
	}
	l := gpkgtest.Check(t, gp, "areas", "MULTIPOLYGON")
	if l.Count != 6 || len(l.Geometries) != 3 {
		t.Fatalf("GeoPackage holds %d areas, %d with a polygon; want 6 and 3", l.Count, len(l.Geometries))
	}
	for d, f := range map[string]string{viaGeoJSON: gj, viaGpkg: gp} {
		if code, out, errb := run(t, "", "--data-dir", d, "import", f); code != exitOK || strings.Contains(out, "columns not read") {
			t.Fatalf("import %s: %d\n%s%s", f, code, out, errb)
		}
		if got := stateDoc(t, d); !reflect.DeepEqual(got, want) {
			t.Errorf("round trip through %s changed the register:\n got %v\nwant %v", filepath.Base(f), got, want)
		}
	}
	exported := func(d string) string {
		code, out, errb := run(t, "", "--data-dir", d, "export", "--what", "areas", "--format", "geojson")
		if code != exitOK {
			t.Fatalf("export: %s", errb)
		}
		return out
	}
	if a, b := exported(viaGeoJSON), exported(viaGpkg); a != b {
		t.Errorf("the GeoPackage round trip differs from the GeoJSON one:\nGeoJSON:    %s\nGeoPackage: %s", a, b)
	}
	code, out, _ := run(t, "", "--data-dir", src, "import", gp)
	if code != exitOK || !strings.Contains(out, "0 written, 6 already imported") {
		t.Errorf("re-import of the GeoPackage into its source: %d\n%s", code, out)
	}
	if got := stateDoc(t, src); !reflect.DeepEqual(got, want) {
		t.Errorf("re-importing the GeoPackage into its source changed it")
	}
}

// A GeoPackage is a file: no --out, --out -, a name without .gpkg and a
// GeoPackage of statistics are refused, naming the flag.
func TestExportGeoPackageNeedsAFile(t *testing.T) {
	src := t.TempDir()
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"export", "--what", "areas", "--format", "gpkg"}, "--out FILE.gpkg"},
		{[]string{"export", "--what", "areas", "--format", "gpkg", "--out", "-"}, "cannot go to stdout"},
		{[]string{"export", "--what", "areas", "--format", "gpkg", "--out", "areas.csv"}, "ends in .gpkg"},
		{[]string{"export", "--what", "stats", "--format", "gpkg", "--out", "s.gpkg"}, "--what areas only"},
		{[]string{"workplan", "--province", "Pailin", "--year", "2020", "--format", "gpkg"}, "--out FILE.gpkg"},
	} {
		code, _, errb := run(t, "", append([]string{"--data-dir", src}, c.args...)...)
		if code != exitUsage || !strings.Contains(errb, c.says) {
			t.Errorf("%v: exit %d, %q; want 2 saying %q", c.args, code, errb, c.says)
		}
	}
}

// A work plan as a GeoPackage: a "work_plan" layer that passes the table
// checks, one feature per row of the plan's CSV (same areas, same order),
// each with its area's polygon where it has one.
func TestWorkplanGeoPackage(t *testing.T) {
	src := gisRegister(t)
	args := []string{"--data-dir", src, "workplan", "--province", "Pailin", "--year", "2022"}
	code, out, errb := run(t, "", append(args, "--format", "csv")...)
	if code != exitOK {
		t.Fatalf("workplan csv: %s", errb)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("workplan csv: %v\n%s", err, out)
	}
	path := filepath.Join(t.TempDir(), "plan.gpkg")
	if code, _, errb := run(t, "", append(args, "--format", "gpkg", "--out", path)...); code != exitOK {
		t.Fatalf("workplan gpkg: %s", errb)
	}
	l := gpkgtest.Check(t, path, "work_plan", "MULTIPOLYGON")
	if l.Count != len(recs)-1 {
		t.Fatalf("%d features, the CSV has %d rows", l.Count, len(recs)-1)
	}
	if !reflect.DeepEqual(l.Columns, append([]string{"year"}, recs[0]...)) {
		t.Errorf("columns %v, CSV header %v", l.Columns, recs[0])
	}
	withPolygon := 0
	for i, rec := range recs[1:] {
		row := l.Rows[int64(i+1)]
		if row["area_id"] != rec[2] || row["list"] != rec[0] || row["year"] != int64(2022) {
			t.Errorf("feature %d: %v, CSV row %v", i+1, row, rec)
		}
		if l.Geometries[int64(i+1)] != nil {
			withPolygon++
		}
	}
	if withPolygon == 0 {
		t.Error("no planned area carries its polygon")
	}
}
