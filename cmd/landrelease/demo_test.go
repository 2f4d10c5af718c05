package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/events"
)

type forecastDoc struct {
	AsOf                    string  `json:"as_of"`
	Deadline                *string `json:"deadline"`
	RemainingM2             int64   `json:"remaining_m2"`
	DeterministicCompletion *string `json:"deterministic_completion"`
	Completion              struct {
		P10, P50, P90 *string
	} `json:"completion"`
	ProbabilityByDeadline *float64 `json:"probability_by_deadline"`
	OnTrack               *bool    `json:"on_track"`
	Trajectory            []struct {
		Year        int   `json:"year"`
		RemainingM2 int64 `json:"remaining_m2"`
	} `json:"trajectory"`
	Rates map[string]float64 `json:"rates"`
}

func date(t *testing.T, s *string) events.Date {
	t.Helper()
	if s == nil {
		t.Fatal("date is null")
	}
	return events.MustDate(*s)
}

func months(a, b events.Date) int {
	return (b.Year()-a.Year())*12 + int(b.Time().Month()) - int(a.Time().Month())
}

// The demo loads the Cambodia history once, shows the national picture and a
// forecast that misses 2025; scenarios move completion the way DOMAIN.md
// says and never touch the recorded history.
func TestDemoForecastAndScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the whole demo history")
	}
	dir := t.TempDir()
	loadDemo(t, dir) // 'landrelease demo' once per test binary, copied here
	code, out, errOut := run(t, "", "--data-dir", dir, "demo", "--trials", "40", "--no-scenarios")
	if code != exitOK || !strings.Contains(out, "MISSES the 2025-12-31 deadline") || !strings.Contains(out, "Battambang") {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, " 0 applied now") {
		t.Fatalf("a second demo run applied commands again:\n%s", firstLines(out, 2))
	}

	code, out, errOut = run(t, "", "--data-dir", dir, "forecast", "--json", "--trials", "100")
	var f forecastDoc
	if code != exitOK || json.Unmarshal([]byte(out), &f) != nil {
		t.Fatalf("forecast --json: exit %d %s\n%s", code, errOut, out)
	}
	if f.Deadline == nil || *f.Deadline != "2025-12-31" || f.OnTrack == nil || *f.OnTrack || f.ProbabilityByDeadline == nil ||
		f.Completion.P50 == nil || len(f.Trajectory) == 0 || f.RemainingM2 <= 0 || f.Rates["nts_cancel_share"] <= 0 {
		t.Fatalf("forecast --json lacks CONTRACT fields or misses nothing: %s", out)
	}
	p10, p50, p90 := date(t, f.Completion.P10), date(t, f.Completion.P50), date(t, f.Completion.P90)
	if p50.Before(p10) || p90.Before(p50) {
		t.Fatalf("P10 %s P50 %s P90 %s out of order", p10, p50, p90)
	}

	before := readHistory(t, dir)
	dbBefore := dump(t, filepath.Join(dir, "readmodel.sqlite"))
	code, out, errOut = run(t, "", "--data-dir", dir, "scenario", "compare", "--json", "--trials", "20")
	if code != exitOK {
		t.Fatalf("scenario compare: %s", errOut)
	}
	var doc struct {
		Scenarios []struct {
			Name     string      `json:"name"`
			Forecast forecastDoc `json:"forecast"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]events.Date{}
	for _, s := range doc.Scenarios {
		if s.Forecast.DeterministicCompletion == nil { // not by the horizon
			got[s.Name] = events.MustDate("9999-12-31")
			continue
		}
		got[s.Name] = date(t, s.Forecast.DeterministicCompletion)
	}
	base := got["baseline"]
	if !base.After(events.MustDate("2025-12-31")) {
		t.Fatalf("baseline completes %s: the demo should miss 2025", base)
	}
	if m := months(got["rcaf-2000"], base); m < 24 {
		t.Fatalf("2,000 more deminers finish %d months before the baseline (%s vs %s), want at least two years", m, got["rcaf-2000"], base)
	}
	if !got["no-redeployment"].After(base) {
		t.Fatalf("capacity that stays in finished provinces finishes %s, not later than the baseline %s", got["no-redeployment"], base)
	}
	if !got["funding-cut-20"].After(base) {
		t.Fatalf("a 20%% funding cut finishes %s, not later than the baseline %s", got["funding-cut-20"], base)
	}
	// A scenario file with every lever runs from the command line and
	// prints its QA check.
	levers := filepath.Join(t.TempDir(), "levers.yaml")
	if err := os.WriteFile(levers, []byte("name: levers\nnts_cancel_share: 0.7\nsurvey_capacity: {teams: 30}\nqa_visits_per_year: 1200\n"+
		"move: [{from: Battambang, to: Kampong Speu, deminers: 200, on: 2023-01-01}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "", "--data-dir", dir, "scenario", "run", levers)
	if code != exitOK || !strings.Contains(out, "QA check (levers): 1200 QA visits a year") {
		t.Fatalf("scenario run with levers: exit %d %s\n%.800s", code, errOut, out)
	}
	if after := readHistory(t, dir); len(after) != len(before) {
		t.Fatalf("scenarios wrote %d events to the recorded stream", len(after)-len(before))
	}
	if dbAfter := dump(t, filepath.Join(dir, "readmodel.sqlite")); dbAfter != dbBefore {
		t.Fatal("scenarios changed the read model")
	}

	// A work plan for a province and year stays within capacity and can be
	// recorded; state as of a date in the middle differs from now.
	code, out, errOut = run(t, "", "--data-dir", dir, "workplan", "--province", "Battambang", "--year", "2022", "--format", "json", "--approve", "PMAC Battambang")
	var plan struct {
		CapacityM2 int64 `json:"capacity_m2"`
		PlannedM2  int64 `json:"planned_to_clear_m2"`
		Areas      []struct {
			AreaID string `json:"area_id"`
		} `json:"areas"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &plan) != nil || len(plan.Areas) == 0 || plan.PlannedM2 > plan.CapacityM2 {
		t.Fatalf("workplan: exit %d %s\n%.500s", code, errOut, out)
	}
	if !strings.Contains(errOut, "recorded ApproveWorkPlan") {
		t.Fatalf("--approve did not record the plan: %s", errOut)
	}
	for _, format := range []string{"table", "csv", "html"} {
		if code, out, _ := run(t, "", "--data-dir", dir, "workplan", "--province", "Pailin", "--year", "2022", "--format", format); code != exitOK || len(out) < 200 {
			t.Fatalf("workplan --format %s: exit %d\n%.300s", format, code, out)
		}
	}
	// The whole demo register survives export → import into a fresh data
	// dir: areas, classes, remaining and released land by method, reopened
	// land and devices destroyed, province by province.
	exported := filepath.Join(t.TempDir(), "areas.csv")
	if code, _, errOut := run(t, "", "--data-dir", dir, "export", "--what", "areas", "--format", "csv", "--out", exported); code != exitOK {
		t.Fatalf("export: %s", errOut)
	}
	other := t.TempDir()
	if code, out, errOut := run(t, "", "--data-dir", other, "import", exported); code != exitOK {
		t.Fatalf("import of the export: %s%s", out, errOut)
	}
	register := func(d string) string {
		_, out, _ := run(t, "", "--data-dir", d, "state", "--json")
		var doc map[string]any
		json.Unmarshal([]byte(out), &doc)
		b, _ := json.Marshal([]any{doc["national"], doc["provinces"]})
		return string(b)
	}
	if a, b := register(dir), register(other); a != b {
		t.Fatalf("register after export → import differs:\n%s\n%s", a, b)
	}

	var mid, now struct {
		National struct {
			RemainingM2 int64 `json:"remaining_m2"`
			Areas       int   `json:"areas"`
		} `json:"national"`
	}
	_, o1, _ := run(t, "", "--data-dir", dir, "state", "--as-of", "2020-01-01", "--json")
	_, o2, _ := run(t, "", "--data-dir", dir, "state", "--json")
	json.Unmarshal([]byte(o1), &mid)
	json.Unmarshal([]byte(o2), &now)
	if mid.National.RemainingM2 < 850e6 || mid.National.RemainingM2 > 930e6 || mid.National.RemainingM2 <= now.National.RemainingM2 {
		t.Fatalf("remaining as of 2020-01-01 %d m², now %d m²: want about 890 km² then and less now", mid.National.RemainingM2, now.National.RemainingM2)
	}
}
