package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
)

// registerLine is an exec line registering an area in Pailin with the given
// size_m2 (raw JSON, so any number can be sent) and extra data fields.
func registerLine(n int, size, extra string) string {
	return fmt.Sprintf(`{"command":"RegisterSuspectedArea","command_id":"01920000-0000-7000-8000-%012d","data":{"province":"Pailin","hazard":"AP","size_m2":%s,"registered_on":"2020-01-01","source":"BLS"%s}}`,
		n, size, extra)
}

// execJSON runs exec --json on lines and returns the exit status and the
// results by line.
func execJSON(t *testing.T, dir string, lines []string) (int, []domain.CommandReport) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cmds.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errb := run(t, "", "--data-dir", dir, "exec", "--json", file)
	var res []domain.CommandReport
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r domain.CommandReport
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("exec --json output: %v\n%s\n%s", err, out, errb)
		}
		res = append(res, r)
	}
	if len(res) != len(lines) {
		t.Fatalf("%d results for %d lines:\n%s\n%s", len(res), len(lines), out, errb)
	}
	return code, res
}

// Issue 13: an area near the int64 limit, 1e15 m², zero and a negative size
// are refused by exec on a real engine, naming the field, and nothing is
// written; national remaining stays what the valid line made it.
func TestExecRefusesImplausibleSizes(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		registerLine(1, "9000000000000000000", ""),
		registerLine(2, "1000000000000000", ""),
		registerLine(3, "0", ""),
		registerLine(4, "-5", ""),
		registerLine(5, "181035000001", ""),
		registerLine(6, "1200", `,"casualties_last_5y":100001`),
	}
	code, res := execJSON(t, dir, lines)
	if code != exitRefused {
		t.Errorf("exit %d, want %d", code, exitRefused)
	}
	for i, r := range res {
		want := "size_m2"
		if i == 5 {
			want = "casualties_last_5y"
		}
		if r.Status != "refused" || r.Error == nil || r.Error.Kind != "invalid" || r.Error.Field != want {
			t.Errorf("line %d: %+v %+v, want refused as invalid naming %s", r.Line, r, r.Error, want)
		}
	}
	if msgs := readHistory(t, dir); len(msgs) != 0 {
		t.Fatalf("refused lines wrote %d events", len(msgs))
	}
	// The largest plausible area is accepted and counted exactly.
	code, res = execJSON(t, dir, []string{registerLine(7, "181035000000", ""), registerLine(8, "181035000000", "")})
	if code != exitOK || res[0].Status != "ok" || res[1].Status != "ok" {
		t.Fatalf("areas at the bound: exit %d %+v", code, res)
	}
	if got := nationalRemaining(t, dir); got != 2*181_035_000_000 {
		t.Errorf("national remaining %d m², want %d", got, 2*181_035_000_000)
	}
}

func nationalRemaining(t *testing.T, dir string) int64 {
	t.Helper()
	code, out, errb := run(t, "", "--data-dir", dir, "state", "--json")
	if code != 0 {
		t.Fatalf("state: %d %s", code, errb)
	}
	var doc struct {
		National struct {
			RemainingM2 int64 `json:"remaining_m2"`
		} `json:"national"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.National.RemainingM2
}

// One command of an exec chunk whose event is over the server's max_payload
// (1 MiB) is refused as too large, naming the long field; the rest of the
// chunk lands, and the exit status says a line was refused. (A polygon
// cannot get there: geometries are capped at 10,000 positions, well under
// the limit; a 40,000-vertex outline is refused as invalid.)
func TestExecOversizedEventRefusesOnlyItsLine(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("a villager's account, ", 60_000)
	if len(long) <= 1<<20 {
		t.Fatalf("text of %d bytes is not over 1 MiB", len(long))
	}
	// Line 5 cancels the area line 4 registers, in the same chunk.
	lines := []string{
		registerLine(1, "1200", ""),
		registerLine(2, "3800000", `,"evidence":[{"kind":"WITNESS","observed_on":"2020-01-01","description":"`+long+`"}]`),
		registerLine(3, "1300", ""),
		registerLine(4, "1400", `,"area_id":"01920000-0000-7000-8000-0000000000a4"`),
		`{"command":"CancelArea","command_id":"01920000-0000-7000-8000-000000000005","data":{"area_id":"01920000-0000-7000-8000-0000000000a4","on":"2021-01-01","method":"NTS","reason":"no evidence"}}`,
	}
	code, res := execJSON(t, dir, lines)
	if code != exitRefused {
		t.Errorf("exit %d, want %d", code, exitRefused)
	}
	for i, r := range res {
		if i == 1 {
			if r.Status != "refused" || r.Error == nil || r.Error.Kind != "too_large" || r.Error.Field != "evidence[0].description" ||
				!strings.Contains(r.Error.Message, "1048576") {
				t.Errorf("line 2: %+v %+v, want refused as too large naming evidence[0].description and the 1048576-byte limit", r, r.Error)
			}
			continue
		}
		if r.Status != "ok" {
			t.Errorf("line %d: %+v %+v, want ok", r.Line, r, r.Error)
		}
	}
	if msgs := readHistory(t, dir); len(msgs) != 4 {
		t.Errorf("%d events stored, want 4 (every line but the oversized one)", len(msgs))
	}
}

// import refuses the same implausible sizes, under the file's column names,
// with the domain's bound, and writes nothing.
func TestImportRefusesImplausibleSizes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "areas.csv")
	csv := "local_id,province,hazard,classification,estimated_area,remaining_area,area_unit,registered_on,casualties_last_5y\n" +
		"B-1,Pailin,AP,SHA,9000000000000000000,9000000000000000000,m2,2020-01-01,\n" +
		"B-2,Pailin,AP,SHA,1000000000000000,1000000000000000,m2,2020-01-01,\n" +
		"B-3,Pailin,AP,SHA,18103500.01,1,ha,2020-01-01,\n" +
		"B-4,Pailin,AP,SHA,1000,1000,m2,2020-01-01,100001\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "", "--data-dir", dir, "import", file)
	if code != exitRefused {
		t.Errorf("exit %d, want %d\n%s", code, exitRefused, out)
	}
	for _, want := range []string{
		`line 2: refused field=estimated_area reason="must be at most 181035000000 m²`,
		`line 3: refused field=estimated_area reason="must be at most 181035000000 m²`,
		`line 4: refused field=estimated_area reason="must be at most 181035000000 m²`,
		`line 5: refused field=casualties_last_5y reason="must be at most 100000, got 100001`,
		"4 rows read, 0 accepted, 4 refused; nothing written",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if n := nationalAreas(t, dir); n != 0 {
		t.Errorf("refused import wrote %d areas", n)
	}
}
