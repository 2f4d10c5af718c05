package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// The annual report of a small generated history, in every format: the
// figures agree across formats and with stats; bad inputs are refused naming
// the flag; a year before the history is an empty report.
func TestReportFormats(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", writeCommands(t, synth.Mixed(synth.DefaultConfig(5, 1500)))); code != exitOK {
		t.Fatalf("exec: exit %d\n%s", code, errOut)
	}
	args := func(extra ...string) []string {
		return append([]string{"--data-dir", dir, "report", "--year", "2021"}, extra...)
	}

	code, out, errOut := run(t, "", args("--format", "json")...)
	var doc queries.Report
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("report --format json: exit %d %s\n%s", code, errOut, firstLines(out, 5))
	}
	if doc.Year != 2021 || doc.Release.TotalM2 <= 0 || len(doc.Contamination.Provinces) == 0 || doc.Milestones.Deadline == "" ||
		doc.Release.Source == "" || doc.Contamination.Source == "" || doc.Indicators.WomenShare == nil || doc.Events.Count == 0 {
		t.Fatalf("report JSON lacks figures or sources: %+v", doc)
	}
	// The same release as stats --year 2021.
	code, out, _ = run(t, "", "--data-dir", dir, "stats", "--year", "2021", "--json")
	var st queries.Statistics
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("stats: exit %d", code)
	}
	var released int64
	for _, s := range st.Statistics {
		switch s.Method {
		case "NTS", "DESK_ANALYSIS", "TS", "CLEARANCE":
			released += s.AreaM2
		}
	}
	if released != doc.Release.TotalM2 {
		t.Fatalf("report releases %d m² in 2021, stats %d", doc.Release.TotalM2, released)
	}

	code, out, errOut = run(t, "", args()...)
	if code != exitOK || !strings.Contains(out, "Annual progress report 2021 (national)") || !strings.Contains(out, m2(doc.Release.TotalM2)) ||
		!strings.Contains(out, "share of SHA cancelled by NTS") {
		t.Fatalf("report table: exit %d %s\n%s", code, errOut, firstLines(out, 10))
	}

	code, out, errOut = run(t, "", args("--format", "csv")...)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != exitOK || err != nil || len(rows) < 20 || strings.Join(rows[0], ",") != "year,scope,section,province,measure,value,source" {
		t.Fatalf("report csv: exit %d %v %s\n%s", code, err, errOut, firstLines(out, 3))
	}
	found := false
	for _, r := range rows {
		if r[2] == "release" && r[4] == "total_m2" {
			found = r[5] == i64(doc.Release.TotalM2) && r[6] != ""
		}
	}
	if !found {
		t.Fatalf("report csv has no release total_m2 equal to the JSON's %d", doc.Release.TotalM2)
	}

	code, out, errOut = run(t, "", args("--format", "html")...)
	if code != exitOK || !strings.Contains(out, `http-equiv="Content-Security-Policy" content="default-src 'none'`) ||
		!strings.Contains(out, "Annual progress report — 2021 (national)") || strings.Contains(out, "<script") || !strings.HasSuffix(strings.TrimSpace(out), "</html>") {
		t.Fatalf("report html: exit %d %s\n%s", code, errOut, firstLines(out, 5))
	}

	code, out, errOut = run(t, "", "--data-dir", dir, "report", "--year", "2021", "--province", "pailin", "--format", "json")
	var prov queries.Report
	if code != exitOK || json.Unmarshal([]byte(out), &prov) != nil || prov.Province != "Pailin" || len(prov.Contamination.Provinces) != 1 {
		t.Fatalf("report --province pailin: exit %d %s", code, errOut)
	}

	code, out, errOut = run(t, "", "--data-dir", dir, "report", "--year", "1995", "--format", "json")
	var empty queries.Report
	if code != exitOK || json.Unmarshal([]byte(out), &empty) != nil || empty.Events.Count != 0 || len(empty.Contamination.Provinces) != 0 || empty.Release.TotalM2 != 0 {
		t.Fatalf("report of 1995 is not an empty report: exit %d %s\n%s", code, errOut, firstLines(out, 5))
	}

	before := readHistory(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--year", "1989"}, "year"},
		{[]string{"report", "--year", "2101"}, "year"},
		{[]string{"report"}, "year"},
		{[]string{"report", "--year", "2021", "--province", "Atlantis"}, "province"},
		{[]string{"report", "--year", "2021", "--format", "pdf"}, "--format"},
	} {
		code, _, errOut := run(t, "", append([]string{"--data-dir", dir}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming %s", c.args, code, errOut, c.want)
		}
	}
	if after := readHistory(t, dir); len(after) != len(before) {
		t.Fatalf("a refused report changed the history: %d events, then %d", len(before), len(after))
	}
}
