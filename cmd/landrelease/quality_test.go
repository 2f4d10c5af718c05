package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/adapters/exchange"
)

// qualityHistory is the Pailin example plus a second area drawn on the same
// ground with its size typed in hectares and no evidence.
const qualityHistory = `{"command":"RegisterSuspectedArea","command_id":"01900000-0000-7000-8000-0000000000f1","actor":"mapu:Pailin","data":{"area_id":"01900000-0000-7000-8000-0000000000a2","province":"Pailin","hazard":"AP","size_m2":11,"registered_on":"2021-02-01","source":"BLS","geometry":{"type":"Polygon","coordinates":[[[102.603,12.853],[102.603,12.85],[102.60,12.85],[102.60,12.853],[102.603,12.853]]]}}}
`

func TestQualityJSONOnTheExample(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", filepath.Join("..", "..", "examples", "pailin-first-steps.jsonl")); code != exitOK {
		t.Fatalf("exec example: exit %d\n%s", code, errOut)
	}
	extra := filepath.Join(dir, "extra.jsonl")
	if err := os.WriteFile(extra, []byte(qualityHistory), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", extra); code != exitOK {
		t.Fatalf("exec extra: exit %d\n%s", code, errOut)
	}
	report := filepath.Join(dir, "cmac-2021.csv")
	csv := "month,area_id,activity,size_m2\r\n" +
		"2021-03,01900000-0000-7000-8000-0000000000a1,REDUCE,30000\r\n" + // as recorded
		"2021-06,01900000-0000-7000-8000-0000000000a1,CLEAR,45000\r\n" + // recorded 50,000
		"2021-07,PL-0007,CLEAR,100\r\n" // no such area
	if err := os.WriteFile(report, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	boundaries := filepath.Join(dir, "provinces.geojson")
	if err := os.WriteFile(boundaries, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"province":"Pailin"},
		"geometry":{"type":"Polygon","coordinates":[[[102.4,12.7],[102.9,12.7],[102.9,13.1],[102.4,13.1],[102.4,12.7]]]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "--data-dir", dir, "quality", "--json", "--boundaries", boundaries,
		"--operator-report", report, "--operator", "CMAC", "--year", "2021")
	if code != exitOK {
		t.Fatalf("quality: exit %d\n%s", code, errOut)
	}
	var rep exchange.QualityReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, out)
	}
	if rep.Areas != 2 || rep.AreasWithGeometry != 2 {
		t.Errorf("areas %d with geometry %d, want 2 and 2", rep.Areas, rep.AreasWithGeometry)
	}
	a1, a2 := "01900000-0000-7000-8000-0000000000a1", "01900000-0000-7000-8000-0000000000a2"
	if len(rep.Duplicates) != 1 || rep.Duplicates[0].A.AreaID != a1 || rep.Duplicates[0].B.AreaID != a2 || !rep.Duplicates[0].Identical {
		t.Errorf("duplicates %+v", rep.Duplicates)
	}
	if len(rep.SizeMismatches) != 1 || rep.SizeMismatches[0].AreaID != a2 || rep.SizeMismatches[0].Kind != exchange.SizeHectaresAsM2 {
		t.Errorf("size mismatches %+v", rep.SizeMismatches)
	}
	if len(rep.WithoutEvidence) != 1 || rep.WithoutEvidence[0].AreaID != a2 {
		t.Errorf("without evidence %+v", rep.WithoutEvidence)
	}
	if !rep.BoundariesChecked || len(rep.OutsideProvince) != 0 {
		t.Errorf("outside province %+v (checked %v)", rep.OutsideProvince, rep.BoundariesChecked)
	}
	rc := rep.Reconciliation
	if rc == nil || rc.Matched != 1 || len(rc.Discrepancies) != 2 {
		t.Fatalf("reconciliation %+v", rc)
	}
	if d := rc.Discrepancies[0]; d.Kind != exchange.DifferentM2 || d.OperatorM2 != 45_000 || d.RecordedM2 != 50_000 {
		t.Errorf("first discrepancy %+v", d)
	}
	if d := rc.Discrepancies[1]; d.Kind != exchange.MissingInDatabase || d.LocalID != "PL-0007" || d.Registered == nil || *d.Registered {
		t.Errorf("second discrepancy %+v", d)
	}

	// The table names the same findings.
	code, out, _ = run(t, "", "--data-dir", dir, "quality", "--operator-report", report, "--operator", "CMAC", "--year", "2021")
	for _, want := range []string{"Duplicates (identical or > 95% mutual overlap): 1", exchange.SizeHectaresAsM2, "DIFFERENT_M2", "MISSING_IN_DATABASE"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("table: exit %d, no %q\n%s", code, want, out)
		}
	}
}

func TestQualityUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"quality", "--operator-report", "x.csv"},
		{"quality", "--operator", "CMAC"},
		{"quality", "--stale-years", "-1"},
		{"quality", "extra"},
	} {
		if code, _, _ := run(t, "", append([]string{"--data-dir", dir}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
