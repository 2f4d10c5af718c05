package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
)

// stateDoc returns state --json without the history's sequence number.
func stateDoc(t *testing.T, dir string) map[string]any {
	t.Helper()
	code, out, errb := run(t, "", "--data-dir", dir, "state", "--json")
	if code != 0 {
		t.Fatalf("state: %d %s", code, errb)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "sequence")
	return doc
}

func TestExportImportRoundTrip(t *testing.T) {
	src := t.TempDir()
	for _, f := range []string{"areas.csv", "areas.geojson"} {
		if code, out, errb := run(t, "", "--data-dir", src, "import", exchangeFile(f)); code != 0 {
			t.Fatalf("import %s: %d\n%s%s", f, code, out, errb)
		}
	}
	want := stateDoc(t, src)
	for _, format := range []string{"csv", "geojson"} {
		file := filepath.Join(t.TempDir(), "areas."+format)
		if code, _, errb := run(t, "", "--data-dir", src, "export", "--what", "areas", "--format", format, "--out", file); code != 0 {
			t.Fatalf("export %s: %d %s", format, code, errb)
		}
		dst := t.TempDir()
		if code, out, errb := run(t, "", "--data-dir", dst, "import", file); code != 0 {
			t.Fatalf("import of the %s export: %d\n%s%s", format, code, out, errb)
		}
		if got := stateDoc(t, dst); !reflect.DeepEqual(got, want) {
			t.Errorf("%s round trip changed the register:\n got %v\nwant %v", format, got, want)
		}
		// Exported local IDs are the area IDs: importing into the source adds nothing.
		if code, out, _ := run(t, "", "--data-dir", src, "import", file); code != 0 {
			t.Errorf("re-import of the %s export into its source: %d\n%s", format, code, out)
		}
	}
	if got := stateDoc(t, src); !reflect.DeepEqual(got, want) {
		t.Errorf("re-importing the export into its source changed it")
	}
	for _, what := range []string{"stats", "workplans"} {
		if code, _, errb := run(t, "", "--data-dir", src, "export", "--what", what); code != 0 {
			t.Errorf("export %s: %d %s", what, code, errb)
		}
	}
	if code, _, _ := run(t, "", "--data-dir", src, "export", "--what", "stats", "--format", "geojson"); code != exitUsage {
		t.Errorf("stats as GeoJSON: exit %d, want 2", code)
	}
}
