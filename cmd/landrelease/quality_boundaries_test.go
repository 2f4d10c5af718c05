package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/landrelease/landrelease/adapters/exchange"
)

// Two Pailin areas: one drawn in Pailin town, one drawn in Ratanakiri.
const misplacedHistory = `{"command":"RegisterSuspectedArea","command_id":"01900000-0000-7000-8000-0000000001f1","actor":"mapu:Pailin","data":{"area_id":"01900000-0000-7000-8000-0000000001a1","province":"Pailin","hazard":"AP","size_m2":110000,"registered_on":"2021-02-01","source":"BLS","geometry":{"type":"Polygon","coordinates":[[[102.603,12.853],[102.603,12.85],[102.60,12.85],[102.60,12.853],[102.603,12.853]]]}}}
{"command":"RegisterSuspectedArea","command_id":"01900000-0000-7000-8000-0000000001f2","actor":"mapu:Pailin","data":{"area_id":"01900000-0000-7000-8000-0000000001a2","province":"Pailin","hazard":"AP","size_m2":110000,"registered_on":"2021-02-01","source":"BLS","geometry":{"type":"Polygon","coordinates":[[[107.003,13.653],[107.003,13.65],[107.00,13.65],[107.00,13.653],[107.003,13.653]]]}}}
`

// TestQualityFlagsAPolygonOutsideItsProvinceWithTheEmbeddedBoundaries:
// without --boundaries, quality checks Cambodia's areas against the
// boundaries that ship with the binary; --boundaries none skips the check.
func TestQualityFlagsAPolygonOutsideItsProvinceWithTheEmbeddedBoundaries(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "misplaced.jsonl")
	if err := os.WriteFile(file, []byte(misplacedHistory), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", file); code != exitOK {
		t.Fatalf("exec: exit %d\n%s", code, errOut)
	}
	report := func(args ...string) exchange.QualityReport {
		t.Helper()
		code, out, errOut := run(t, "", append([]string{"--data-dir", dir, "quality", "--json"}, args...)...)
		if code != exitOK {
			t.Fatalf("quality %v: exit %d\n%s", args, code, errOut)
		}
		var rep exchange.QualityReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not one JSON document: %v\n%s", err, out)
		}
		return rep
	}
	rep := report()
	if !rep.BoundariesChecked || len(rep.OutsideProvince) != 1 {
		t.Fatalf("checked %v, outside province %+v; want the Ratanakiri polygon only", rep.BoundariesChecked, rep.OutsideProvince)
	}
	if f := rep.OutsideProvince[0]; f.AreaID != "01900000-0000-7000-8000-0000000001a2" || f.FoundIn != "ratanakiri" {
		t.Errorf("finding %+v, want area …01a2 found in ratanakiri", f)
	}
	if rep := report("--boundaries", "none"); rep.BoundariesChecked || len(rep.OutsideProvince) != 0 {
		t.Errorf("--boundaries none: checked %v, outside %+v", rep.BoundariesChecked, rep.OutsideProvince)
	}
}
