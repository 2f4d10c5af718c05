package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/queries"
)

// A small history through exec: two provinces, one deployment each, one
// pledge to an operator and a deadline. Every format of article5-plan
// answers from it: the JSON is the forecast's run (its years end where the
// forecast's trajectory does, its cost is the forecast's), the CSV has a
// national row per year and the provinces, the HTML is self-contained and
// names the years; bad flags are usage errors naming the flag.
func TestArticle5PlanFormats(t *testing.T) {
	cmds := []domain.CommandEnvelope{
		{Command: domain.RegisterSuspectedArea{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP", Classification: "CHA", SizeM2: 480_000, RegisteredOn: events.MustDate("2019-06-01"), Source: "BLS"}},
		{Command: domain.RegisterSuspectedArea{AreaID: uuid.New(), Province: "Battambang", Hazard: "AP", Classification: "CHA", SizeM2: 960_000, RegisteredOn: events.MustDate("2019-06-01"), Source: "BLS"}},
		{Command: domain.DeployCapacity{DeploymentID: uuid.New(), Operator: "CMAC", Province: "Pailin", Method: "MANUAL", Deminers: 100, From: events.MustDate("2020-01-01"),
			To: events.MustDate("2030-12-31"), ProductivityM2PerDeminerDay: 20, WorkingDaysPerYear: 240, AnnualCostUSD: 1_200_000}},
		{Command: domain.DeployCapacity{DeploymentID: uuid.New(), Operator: "HALO", Province: "Battambang", Method: "MANUAL", Deminers: 100, From: events.MustDate("2020-01-01"),
			To: events.MustDate("2030-12-31"), ProductivityM2PerDeminerDay: 20, WorkingDaysPerYear: 240, AnnualCostUSD: 1_200_000}},
		{Command: domain.PledgeFunding{FundingID: uuid.New(), Donor: "Japan", Year: 2021, AmountUSD: 500_000, Operator: "HALO"}},
		{Command: domain.SetArticle5Deadline{Country: "KH", Deadline: events.MustDate("2025-12-31"), Reason: "extension"}},
	}
	dir := t.TempDir()
	if code, out, errb := run(t, "", "--data-dir", dir, "exec", writeCommands(t, cmds)); code != exitOK {
		t.Fatalf("exec: exit %d\n%s\n%s", code, out, errb)
	}
	plan := func(args ...string) string {
		t.Helper()
		code, out, errb := run(t, "", append([]string{"--data-dir", dir, "article5-plan", "--as-of", "2019-12-31", "--redeploy", "none"}, args...)...)
		if code != exitOK {
			t.Fatalf("article5-plan %v: exit %d\n%s", args, code, errb)
		}
		return out
	}

	var p queries.Article5Plan
	if err := json.Unmarshal([]byte(plan("--format", "json")), &p); err != nil {
		t.Fatal(err)
	}
	code, fout, errb := run(t, "", "--data-dir", dir, "forecast", "--as-of", "2019-12-31", "--redeploy", "none", "--trials", "0", "--json")
	if code != exitOK {
		t.Fatalf("forecast: exit %d\n%s", code, errb)
	}
	var f queries.Forecast
	if err := json.Unmarshal([]byte(fout), &f); err != nil {
		t.Fatal(err)
	}
	if len(p.Years) != 2 || len(f.FundingGap) != 2 || p.CostToCompletionUSD != f.CostToCompletionUSD || p.CostToCompletionUSD != 4_320_000 || p.GapUSD != 3_820_000 {
		t.Fatalf("plan years %+v, cost %d gap %d; forecast cost %d, funding gap %+v", p.Years, p.CostToCompletionUSD, p.GapUSD, f.CostToCompletionUSD, f.FundingGap)
	}
	for k, y := range p.Years {
		if y.Year != f.Trajectory[k].Year || y.EndM2 != f.Trajectory[k].RemainingM2 || y.CostUSD != f.FundingGap[k].CostUSD || y.GapUSD != f.FundingGap[k].GapUSD {
			t.Errorf("%d: plan %+v, forecast %+v %+v", y.Year, y, f.Trajectory[k], f.FundingGap[k])
		}
	}
	if p.Assumptions.Redeploy != "none" || p.Assumptions.Funding != "renewed" || len(p.Risks) == 0 {
		t.Errorf("assumptions %+v, risks %v", p.Assumptions, p.Risks)
	}

	rows, err := csv.NewReader(strings.NewReader(plan("--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// header; 2020: national, Battambang, Pailin; 2021: national, Battambang, Pailin.
	if len(rows) != 7 || rows[0][0] != "level" || rows[1][0] != "national" || rows[1][1] != "2020" || rows[1][13] != "2400000" || rows[4][13] != "1920000" || rows[5][2] != "Battambang" || rows[5][14] != "500000" {
		t.Fatalf("csv:\n%v", rows)
	}

	html := plan("--format", "html")
	for _, want := range []string{"Content-Security-Policy", "default-src 'none'", "<h1>Article 5 extension request", "<td>2021</td>", "Battambang", "Assumptions", "Risks"} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("html refers to an external resource or script: %q", bad)
		}
	}

	table := plan()
	for _, want := range []string{"Article 5 extension-request work plan from 2020-01-01", "meets the deadline 2025-12-31", "by province", "Pailin", "completes", "assumptions:", "risks:"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	for flagName, args := range map[string][]string{
		"--format":   {"--format", "pdf"},
		"--redeploy": {"--redeploy", "everywhere"},
		"--funding":  {"--funding", "maybe"},
		"--as-of":    {"--as-of", "yesterday"},
	} {
		code, _, errb := run(t, "", append([]string{"--data-dir", dir, "article5-plan"}, args...)...)
		if code != exitUsage || !strings.Contains(errb, flagName) {
			t.Errorf("%v: exit %d, %q", args, code, errb)
		}
	}
	if code, _, errb := run(t, "", "--data-dir", t.TempDir(), "article5-plan"); code != exitRefused || !strings.Contains(errb, "no hazard area") {
		t.Errorf("empty history: exit %d, %q", code, errb)
	}
}
