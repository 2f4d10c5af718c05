package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exchangeFile is a file of the exchange adapter's testdata.
func exchangeFile(name string) string {
	return filepath.Join("..", "..", "adapters", "exchange", "testdata", name)
}

// nationalAreas returns the number of areas state --json counts.
func nationalAreas(t *testing.T, dir string) int {
	t.Helper()
	code, out, errb := run(t, "", "--data-dir", dir, "state", "--json")
	if code != 0 {
		t.Fatalf("state: %d %s", code, errb)
	}
	var doc struct {
		National struct {
			Areas int `json:"areas"`
		} `json:"national"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.National.Areas
}

func TestImportTwiceAddsNothing(t *testing.T) {
	dir := t.TempDir()
	code, out, errb := run(t, "", "--data-dir", dir, "import", exchangeFile("areas.csv"))
	if code != 0 || !strings.Contains(out, "3 rows read, 3 accepted, 0 refused (3 written") {
		t.Fatalf("first import: %d\n%s%s", code, out, errb)
	}
	code, out, errb = run(t, "", "--data-dir", dir, "import", exchangeFile("areas.csv"))
	if code != 0 || !strings.Contains(out, "(0 written, 3 already imported") {
		t.Fatalf("second import: %d\n%s%s", code, out, errb)
	}
	code, out, errb = run(t, "", "--data-dir", dir, "import", exchangeFile("activities.csv"))
	if code != 0 || !strings.Contains(out, "(3 written") {
		t.Fatalf("activities: %d\n%s%s", code, out, errb)
	}
	if n := nationalAreas(t, dir); n != 3 {
		t.Errorf("%d areas in the register, want 3", n)
	}
}

func TestImportTrickyFileWritesNothing(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run(t, "", "--data-dir", dir, "import", exchangeFile("tricky.csv"))
	if code != exitRefused {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		`line 2: refused field=local_id reason="duplicate local ID \"T-1\": also at line 5`,
		`line 5: refused field=local_id reason="duplicate local ID \"T-1\": also at line 2`,
		`line 3: refused field=area_unit reason="unknown unit \"km2\"`,
		`line 4: refused field=registered_on reason="\"12/03/2020\" is not an ISO date`,
		`line 6: refused field=remaining_area`,
		"6 rows read, 1 accepted, 5 refused; nothing written",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for file, want := range map[string]string{
		"empty.csv":          `reason="no header`,
		"binary.csv":         `reason="not a CSV file`,
		"missing_column.csv": `field=remaining_area reason="required column missing`,
	} {
		code, out, _ := run(t, "", "--data-dir", dir, "import", exchangeFile(file))
		if code != exitRefused || !strings.Contains(out, want) || !strings.Contains(out, "nothing written") {
			t.Errorf("%s: exit %d, want 1 and %q:\n%s", file, code, want, out)
		}
	}
	code, out, _ = run(t, "", "--data-dir", dir, "import", exchangeFile("tricky.geojson"))
	for _, want := range []string{
		`feature 0: refused field=estimated_area reason="\"12,000\" is not a number`,
		`feature 0: refused field=geometry`,
		`feature 1: refused field=local_id`,
		`feature 3: refused field=- reason="feature 3: malformed JSON`,
		"4 rows read, 0 accepted, 4 refused; nothing written",
	} {
		if code != exitRefused || !strings.Contains(out, want) {
			t.Errorf("tricky.geojson: exit %d, report lacks %q:\n%s", code, want, out)
		}
	}
	if n := nationalAreas(t, dir); n != 0 {
		t.Errorf("%d areas written by refused files", n)
	}
}

func TestImportDryRunAndSkipInvalid(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run(t, "", "--data-dir", dir, "import", "--dry-run", exchangeFile("areas.csv"))
	if code != 0 || !strings.Contains(out, "nothing written") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
	if n := nationalAreas(t, dir); n != 0 {
		t.Fatalf("dry run wrote %d areas", n)
	}
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	code, out, _ = run(t, "", "--data-dir", dir, "import", "--skip-invalid", "--rejects", rejects, exchangeFile("tricky.csv"))
	if code != exitRefused || !strings.Contains(out, "5 refused rows written to "+rejects) {
		t.Fatalf("skip-invalid: %d\n%s", code, out)
	}
	if n := nationalAreas(t, dir); n != 1 {
		t.Errorf("%d areas imported, want the one valid row", n)
	}
	f, err := os.Open(rejects)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 || recs[0][len(recs[0])-1] != "error" || !strings.Contains(recs[2][len(recs[2])-1], "area_unit") {
		t.Errorf("rejects file: %q", recs)
	}
}

// A corrected file re-imported applies only the changes; one that would
// give released land back is refused.
func TestImportCorrectedFileAppliesChanges(t *testing.T) {
	dir := t.TempDir()
	if code, out, _ := run(t, "", "--data-dir", dir, "import", exchangeFile("areas.csv")); code != 0 {
		t.Fatalf("import: %d\n%s", code, out)
	}
	orig, err := os.ReadFile(exchangeFile("areas.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Row 3 (KH-BB-0002): a new village; of its 1.5 ha, 1.0 now remain.
	changed := strings.Replace(string(orig), "ភូមិតាតោក,AT,SHA,1.5,1.2,ha", "Ta Taok Kandal,AT,SHA,1.5,1.0,ha", 1)
	file := filepath.Join(t.TempDir(), "areas.csv")
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "", "--data-dir", dir, "import", file)
	if code != 0 || !strings.Contains(out, "(1 written, 2 already imported") {
		t.Fatalf("corrected import: %d\n%s", code, out)
	}
	_, exp, _ := run(t, "", "--data-dir", dir, "export", "--what", "areas")
	if !strings.Contains(exp, "Ta Taok Kandal,AT,SHA,15000,10000,m2") {
		t.Errorf("changes not applied:\n%s", exp)
	}
	if code, out, _ = run(t, "", "--data-dir", dir, "import", file); code != 0 || !strings.Contains(out, "(0 written, 3 already imported") {
		t.Errorf("corrected file again: %d\n%s", code, out)
	}
	// The original again would give 2,000 m² back: refused, naming the column.
	code, out, _ = run(t, "", "--data-dir", dir, "import", exchangeFile("areas.csv"))
	if code != exitRefused || !strings.Contains(out, "line 3: refused field=cancelled_desk_area") {
		t.Errorf("giving land back: %d\n%s", code, out)
	}
}

// Migrated history keeps its entry dates: "what did the database say" on a
// date before the import answers from entered_on, not from the import time.
func TestImportKeepsEntryDatesForAsRecorded(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "migrated.csv")
	data := "local_id,province,hazard,classification,estimated_area,remaining_area,area_unit,registered_on,cleared_area,last_activity_on,operator,entered_on\n" +
		"M-1,Pailin,AP,CHA,5000,5000,m2,2012-05-01,,,,2012-05-03\n" +
		"M-2,Pailin,AP,CHA,7000,4000,m2,2015-01-10,3000,2016-02-01,MAG,2015-01-12T08:30:00Z\n"
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errb := run(t, "", "--data-dir", dir, "import", file); code != 0 {
		t.Fatalf("import: %s%s", out, errb)
	}
	remaining := func(args ...string) (int, int64) {
		code, out, errb := run(t, "", append([]string{"--data-dir", dir, "state", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("state %v: %s", args, errb)
		}
		var doc struct {
			National struct {
				Areas       int   `json:"areas"`
				RemainingM2 int64 `json:"remaining_m2"`
			} `json:"national"`
		}
		json.Unmarshal([]byte(out), &doc)
		return doc.National.Areas, doc.National.RemainingM2
	}
	if n, m2 := remaining("--as-recorded", "2013-01-01T00:00:00Z"); n != 1 || m2 != 5000 {
		t.Fatalf("as recorded in 2013: %d areas, %d m²; want only M-1 (5,000 m²)", n, m2)
	}
	if n, m2 := remaining("--as-recorded", "2015-06-01T00:00:00Z"); n != 2 || m2 != 12000 {
		t.Fatalf("as recorded in mid-2015: %d areas, %d m²; want both, the clearance of 2016 not yet entered", n, m2)
	}
	if n, m2 := remaining(); n != 2 || m2 != 9000 {
		t.Fatalf("now: %d areas, %d m²", n, m2)
	}
}
