package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
)

// The dashboard in headless Chromium (Debian's chromium package) against a
// real `serve` on the demo data: each page's key figures against the API's
// JSON, a command sent through the area page and seen through the API and on
// the page, a refusal shown with the API's message, a live update pushed by
// another client, printing, every page at a phone's and a desktop's width
// (dashboard_browser_phone_test.go), and no script error or
// blocked load anywhere. Screenshots go to $LANDRELEASE_ARTIFACTS (default a
// temporary directory).
func TestDashboardInBrowser(t *testing.T) {
	chromium := needChromium(t)
	dir := t.TempDir()
	began := time.Now()
	loadDemo(t, dir)
	demoLoaded := time.Now()
	base := startServe(t, dir, "--insecure-local")
	serving := time.Now()
	b := openBrowser(t, chromium, base)
	t.Logf("demo loaded in %v, serve started in %v, browser in %v", demoLoaded.Sub(began).Round(time.Millisecond),
		serving.Sub(demoLoaded).Round(time.Millisecond), time.Since(serving).Round(time.Millisecond))
	api := apiClient{t: t, base: base}

	var overview struct {
		Sequence  uint64 `json:"sequence"`
		AsOf      string `json:"as_of"`
		National  provinceFigures
		Provinces []provinceFigures `json:"provinces"`
		Capacity  []struct {
			Province string `json:"province"`
			Deminers int    `json:"deminers"`
		} `json:"capacity"`
		Burndown struct {
			Deadline *string `json:"deadline"`
			Actual   []struct {
				Year        int   `json:"year"`
				RemainingM2 int64 `json:"remaining_m2"`
			} `json:"actual"`
			Forecast []struct {
				Year            int   `json:"year"`
				DeterministicM2 int64 `json:"deterministic_m2"`
				OtherM2         int64 `json:"other_m2"`
			} `json:"forecast"`
		} `json:"burndown"`
	}
	api.get("/api/v1/overview", &overview)
	province := func(name string) provinceFigures {
		for _, p := range overview.Provinces {
			if p.Province == name {
				return p
			}
		}
		t.Fatalf("the overview has no province %s", name)
		return provinceFigures{}
	}

	t.Run("overview", func(t *testing.T) {
		b.open(t, "/", `[data-figure="national-remaining"]`)
		b.figure(t, `[data-figure="national-remaining"]`, overview.National.RemainingM2, pageKm2(overview.National.RemainingM2, 1))
		b.figure(t, `[data-figure="national-sha"]`, overview.National.RemainingSHAM2, pageKm2(overview.National.RemainingSHAM2, 1))
		bb := province("Battambang")
		b.figure(t, `[data-figure="remaining:Battambang"]`, bb.RemainingM2, pageKm2(bb.RemainingM2, 1))
		deminers := 0
		for _, c := range overview.Capacity {
			deminers += c.Deminers
		}
		if got, want := b.text(t, `[data-figure="deminers"]`), groupDigits(int64(deminers)); got != want {
			t.Errorf("capacity: %q on the page, %q from the API", got, want)
		}
		if got, want := b.count(t, "#provinces tbody tr"), len(overview.Provinces)+1; got != want {
			t.Errorf("province table: %d rows, want %d provinces and the total", got, want)
		}
		// The burn-down chart holds the recorded series the API sent.
		last := overview.Burndown.Actual[len(overview.Burndown.Actual)-1]
		got := evaluate[float64](t, b, fmt.Sprintf(`(() => { const c = Chart.getChart("burndown-chart");
			const i = c.data.labels.indexOf(%d); return c.data.datasets.find((d) => d.label === "Recorded").data[i]; })()`, last.Year))
		if math.Abs(got-float64(last.RemainingM2)/1e6) > 1e-6 {
			t.Errorf("burn-down chart: recorded %d = %v km², want %v", last.Year, got, float64(last.RemainingM2)/1e6)
		}
		// Its forecast continues the recorded line with like: the Article 5
		// area plus the AT/ERW-only area, as the recorded figure counts
		// every hazard.
		first := overview.Burndown.Forecast[0]
		all := first.DeterministicM2 + first.OtherM2
		b.figure(t, fmt.Sprintf(`[data-figure="burndown-all:%d"]`, first.Year), all, "")
		got = evaluate[float64](t, b, fmt.Sprintf(`(() => { const c = Chart.getChart("burndown-chart");
			const i = c.data.labels.indexOf(%d); return c.data.datasets.find((d) => d.label === "Deterministic forecast").data[i]; })()`, first.Year))
		if math.Abs(got-float64(all)/1e6) > 1e-6 {
			t.Errorf("burn-down chart: deterministic forecast %d = %v km², want Article 5 + AT/ERW-only %v", first.Year, got, float64(all)/1e6)
		}
		if n := evaluate[int](t, b, `Chart.getChart("release-chart").data.labels.length`); n == 0 {
			t.Error("the release-per-year chart has no year")
		}
		b.screenshot(t, "overview")
	})

	t.Run("forecast", func(t *testing.T) {
		var f struct {
			RemainingM2             int64   `json:"remaining_m2"`
			OtherRemainingM2        int64   `json:"other_remaining_m2"`
			OtherCompletion         *string `json:"other_completion"`
			DeterministicCompletion *string `json:"deterministic_completion"`
			Completion              struct {
				P50 *string `json:"p50"`
			} `json:"completion"`
			StrandedM2          int64 `json:"stranded_capacity_m2"`
			CostToCompletionUSD int64 `json:"cost_to_completion_usd"`
			Trajectory          []struct {
				Year    int   `json:"year"`
				OtherM2 int64 `json:"other_m2"`
			} `json:"trajectory"`
			FundingGap []struct {
				Year   int   `json:"year"`
				GapUSD int64 `json:"gap_usd"`
			} `json:"funding_gap"`
			Provinces []struct {
				Province                string  `json:"province"`
				Done                    bool    `json:"done"`
				DeterministicCompletion *string `json:"deterministic_completion"`
				Completion              struct {
					P50 *string `json:"p50"`
					P90 *string `json:"p90"`
				} `json:"completion"`
				StrandedM2      int64 `json:"stranded_capacity_m2"`
				StrandedCostUSD int64 `json:"stranded_cost_usd"`
			} `json:"provinces"`
		}
		api.get("/api/v1/forecast?trials=40&redeploy=none&funding=renewed", &f)
		var bt struct {
			Years []struct {
				Year     int   `json:"year"`
				Forecast int64 `json:"forecast_remaining_m2"`
				Actual   int64 `json:"actual_remaining_m2"`
				P10      int64 `json:"p10_remaining_m2"`
				P90      int64 `json:"p90_remaining_m2"`
			} `json:"years"`
			RemainingMAPE float64  `json:"remaining_mape_pct"`
			ReleaseMAPE   float64  `json:"release_mape_pct"`
			Calibration   *float64 `json:"calibration"`
		}
		api.get("/api/v1/backtest?trials=20&redeploy=none", &bt)
		if len(f.Provinces) == 0 || len(bt.Years) == 0 || f.StrandedM2 == 0 {
			t.Fatalf("the demo's forecast has %d provinces, %d m² stranded under redeploy=none; its backtest %d years", len(f.Provinces), f.StrandedM2, len(bt.Years))
		}
		b.open(t, "/forecast.html?redeploy=none&funding=renewed&trials=40&bt_trials=20", "#province-forecast-table")
		b.wait(t, `document.querySelector("#backtest-years") !== null`)
		b.noProblems(t, "forecast.html")
		date := func(d *string) string {
			if d == nil {
				return "never"
			}
			return longDate(*d)
		}
		b.figure(t, `[data-figure="a5-remaining"]`, f.RemainingM2, pageKm2(f.RemainingM2, 1))
		b.figure(t, `[data-figure="other-remaining"]`, f.OtherRemainingM2, pageKm2(f.OtherRemainingM2, 1))
		b.figure(t, `[data-figure="stranded-total"]`, f.StrandedM2, pageKm2(f.StrandedM2, 1))
		for sel, want := range map[string]string{
			`[data-figure="other-completion"]`:       date(f.OtherCompletion),
			`[data-figure="national-deterministic"]`: date(f.DeterministicCompletion),
			`[data-figure="national-p50"]`:           date(f.Completion.P50),
		} {
			if got := b.text(t, sel); got != want {
				t.Errorf("%s: %q on the page, %q from the API", sel, got, want)
			}
		}
		if got := b.attr(t, `[data-figure="cost-to-completion"]`, "data-usd"); got != strconv.FormatInt(f.CostToCompletionUSD, 10) {
			t.Errorf("cost to completion: US$ %s on the page, %d from the API", got, f.CostToCompletionUSD)
		}
		if got := b.count(t, "#province-forecast-table tbody tr"); got != len(f.Provinces) {
			t.Errorf("province forecast: %d rows, want %d", got, len(f.Provinces))
		}
		for _, p := range f.Provinces {
			completion := date(p.DeterministicCompletion)
			p50, p90 := date(p.Completion.P50), date(p.Completion.P90)
			if p.Done {
				completion, p50, p90 = "done", "done", "done"
			}
			for sel, want := range map[string]string{"completion:" + p.Province: completion, "p50:" + p.Province: p50, "p90:" + p.Province: p90} {
				if got := b.text(t, `[data-figure="`+sel+`"]`); got != want {
					t.Errorf("%s: %q on the page, %q from the API", sel, got, want)
				}
			}
			b.figure(t, `[data-figure="stranded:`+p.Province+`"]`, p.StrandedM2, pageKm2(p.StrandedM2, 1))
			if got := b.attr(t, `[data-figure="stranded-usd:`+p.Province+`"]`, "data-usd"); got != strconv.FormatInt(p.StrandedCostUSD, 10) {
				t.Errorf("%s stranded cost: US$ %s on the page, %d from the API", p.Province, got, p.StrandedCostUSD)
			}
		}
		if got := b.count(t, "#funding-gap tbody tr"); got != len(f.FundingGap) {
			t.Errorf("funding gap: %d years on the page, %d from the API", got, len(f.FundingGap))
		}
		for _, g := range f.FundingGap {
			if got := b.attr(t, fmt.Sprintf(`[data-figure="gap:%d"]`, g.Year), "data-usd"); got != strconv.FormatInt(g.GapUSD, 10) {
				t.Errorf("funding gap %d: US$ %s on the page, %d from the API", g.Year, got, g.GapUSD)
			}
		}
		// The AT/ERW-only line is drawn from the API's trajectory.
		tr := f.Trajectory[0]
		got := evaluate[float64](t, b, fmt.Sprintf(`(() => { const c = Chart.getChart("trajectory-chart");
			const i = c.data.labels.indexOf(%d); return c.data.datasets.find((d) => d.label === "AT/ERW-only (deterministic)").data[i]; })()`, tr.Year))
		if math.Abs(got-float64(tr.OtherM2)/1e6) > 1e-6 {
			t.Errorf("trajectory chart: AT/ERW-only %d = %v km², want %v", tr.Year, got, float64(tr.OtherM2)/1e6)
		}
		// The backtest panel: each year's figures, the MAPE and the calibration.
		for _, y := range bt.Years {
			for name, m2 := range map[string]int64{"bt-forecast": y.Forecast, "bt-actual": y.Actual, "bt-p10": y.P10, "bt-p90": y.P90} {
				b.figure(t, fmt.Sprintf(`[data-figure="%s:%d"]`, name, y.Year), m2, pageKm2(m2, 1))
			}
		}
		if n := evaluate[int](t, b, `Chart.getChart("backtest-remaining-chart").data.labels.length`); n != len(bt.Years) {
			t.Errorf("backtest chart: %d years, want %d", n, len(bt.Years))
		}
		calibration := "–"
		if bt.Calibration != nil {
			calibration = fmt.Sprintf("%.0f%%", 100**bt.Calibration)
		}
		for sel, want := range map[string]string{
			`[data-figure="mape-remaining"]`: fmt.Sprintf("%.1f%%", bt.RemainingMAPE),
			`[data-figure="mape-release"]`:   fmt.Sprintf("%.1f%%", bt.ReleaseMAPE),
			`[data-figure="calibration"]`:    calibration,
		} {
			if got := b.text(t, sel); got != want {
				t.Errorf("%s: %q on the page, %q from the API", sel, got, want)
			}
		}
		b.screenshot(t, "forecast")
		// Narrowed to a phone's width and widened again (see
		// dashboard_browser_phone_test.go; the other pages are checked there).
		b.fitsEachWidth(t, "forecast", "forecast-phone")
		b.do(t, chromedp.EmulateViewport(1280, 900))
	})

	var plan workPlanDoc
	api.get("/api/v1/workplans/Battambang/2022", &plan)
	if len(plan.Areas) == 0 {
		t.Fatal("the demo's Battambang 2022 work plan has no area")
	}

	t.Run("province", func(t *testing.T) {
		b.open(t, "/province.html?province=Battambang&year=2022", `[data-figure="workplan-areas"]`)
		if got := b.text(t, `[data-figure="workplan-areas"]`); got != strconv.Itoa(len(plan.Areas)) {
			t.Errorf("work plan: page says %s areas, the API %d", got, len(plan.Areas))
		}
		if got := b.count(t, "#plan tbody tr"); got != len(plan.Areas) {
			t.Errorf("work plan table: %d rows, want %d", got, len(plan.Areas))
		}
		if got := b.count(t, "#nts tbody tr"); got != len(plan.ProposedForNTS) {
			t.Errorf("proposed for NTS: %d rows, want %d", got, len(plan.ProposedForNTS))
		}
		deployed := 0
		for _, c := range overview.Capacity {
			if c.Province == "Battambang" {
				deployed++
			}
		}
		if got := b.count(t, "#capacity-table tbody tr"); got != deployed {
			t.Errorf("capacity: %d operators on the page, %d from the API", got, deployed)
		}
		b.figure(t, `[data-figure="workplan-planned"]`, plan.PlannedM2, pageKm2(plan.PlannedM2, 1))
		checkWorkPlanSections(t, b, plan)
		b.figure(t, `[data-figure="province-remaining"]`, province("Battambang").RemainingM2, pageKm2(province("Battambang").RemainingM2, 1))
		// The map draws every Battambang area that has a polygon.
		want := api.withGeometry("Battambang")
		b.wait(t, `document.querySelector("svg.area-map") !== null`)
		if got := b.attr(t, "svg.area-map", "data-drawn"); got != strconv.Itoa(want) {
			t.Errorf("map: %s polygons drawn, want %d", got, want)
		}
		b.screenshot(t, "province")

		// The printable work plan is the API's own HTML, one link away.
		href := b.attr(t, "#open-html", "href")
		if want := "/api/v1/workplans/Battambang/2022?format=html"; href != want {
			t.Errorf("printable work plan links to %q, want %q", href, want)
		} else if status, body := api.raw(href); status != http.StatusOK || !strings.Contains(body, "Battambang") {
			t.Errorf("GET %s: %d %.80q, want the printable plan", href, status, body)
		}

		// Printed, the page drops the navigation and forms and keeps the plan.
		b.media(t, "print")
		if d := evaluate[string](t, b, `getComputedStyle(document.querySelector("header.top")).display`); d != "none" {
			t.Errorf("print: the header is displayed (%s)", d)
		}
		if d := evaluate[string](t, b, `getComputedStyle(document.querySelector("#plan")).display`); d == "none" {
			t.Error("print: the work plan table is hidden")
		}
		b.media(t, "")
		pdf := inBrowser(t, b, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			r, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69})
			return r.Data, err
		})
		if !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Errorf("print to PDF: %.20q, want a PDF", pdf)
		}
		b.artifact(t, "province-print.pdf", pdf)
	})

	areaID := plan.Areas[0].AreaID
	// Before the area subtest's commands change the history: the extension
	// request and the annual report against their API documents.
	t.Run("extension request and annual report", func(t *testing.T) {
		var a5 struct {
			RemainingM2 int64 `json:"remaining_m2"`
			Years       []struct {
				Year int `json:"year"`
			} `json:"years"`
		}
		api.get("/api/v1/article5-plan?redeploy=nearest&funding=renewed", &a5)
		b.open(t, "/article5-plan.html", `[data-figure="a5-remaining"]`)
		b.noProblems(t, "article5-plan.html")
		b.figure(t, `[data-figure="a5-remaining"]`, a5.RemainingM2, pageKm2(a5.RemainingM2, 1))
		if got := b.count(t, "#a5-years-table tbody tr"); got != len(a5.Years) || got == 0 {
			t.Errorf("extension request: %d years on the page, %d from the API", got, len(a5.Years))
		}
		var rep struct {
			Release struct {
				TotalM2 int64 `json:"total_m2"`
			} `json:"release"`
		}
		api.get("/api/v1/reports/2021", &rep)
		if rep.Release.TotalM2 == 0 {
			t.Fatal("the demo's 2021 report releases nothing")
		}
		b.open(t, "/report.html?year=2021", `[data-figure="report-released"]`)
		b.noProblems(t, "report.html")
		b.figure(t, `[data-figure="report-released"]`, rep.Release.TotalM2, pageKm2(rep.Release.TotalM2, 1))
	})

	t.Run("area", func(t *testing.T) {
		before := api.area(areaID)
		n := len(before.History)
		b.open(t, "/area.html?id="+areaID, `[data-figure="event-count"]`)
		if got := b.text(t, `[data-figure="event-count"]`); got != strconv.Itoa(n) {
			t.Errorf("events: page %s, API %d", got, n)
		}
		if got := b.count(t, "#timeline > li"); got != n {
			t.Errorf("timeline: %d entries, want %d", got, n)
		}
		b.figure(t, `[data-figure="area-remaining"]`, before.Area.RemainingM2, "")
		b.wait(t, `document.querySelector("#form-qa") !== null`)
		b.screenshot(t, "area")

		// A QA visit sent through the page arrives through the API ...
		notes := "QA visit from the browser test " + uuid.NewString()[:8]
		// Dated within the demo's history, so that its as-of date (and the
		// forecasts the later pages show) stays where the demo left it.
		b.do(t, chromedp.SetValue(`#form-qa [name="on"]`, "2021-12-10"))
		b.do(t, chromedp.SetValue(`#form-qa [name="operator"]`, "CMAC"))
		b.do(t, chromedp.SetValue(`#form-qa [name="notes"]`, notes))
		b.do(t, chromedp.Click(`#form-qa button[type="submit"]`))
		b.wait(t, `document.querySelector("#command-result").dataset.sequence !== undefined`)
		seq, err := strconv.ParseUint(b.attr(t, "#command-result", "data-sequence"), 10, 64)
		if err != nil || seq == 0 {
			t.Fatalf("the QA visit was not accepted: %q", b.text(t, "#command-result"))
		}
		after := api.area(areaID, "min_sequence", strconv.FormatUint(seq, 10))
		if len(after.History) != n+1 {
			t.Fatalf("after the QA visit the API has %d events, want %d", len(after.History), n+1)
		}
		h := after.History[n]
		if h.Type != "QAVisitRecorded" || h.Sequence != seq || h.Actor != "local" || !strings.Contains(string(h.Data), notes) {
			t.Errorf("the API's last event: %s #%d by %s %s; want QAVisitRecorded #%d by local with %q", h.Type, h.Sequence, h.Actor, h.Data, seq, notes)
		}
		// ... and on the page.
		b.wait(t, fmt.Sprintf(`document.querySelector('[data-figure="event-count"]').textContent === "%d"`, n+1))
		if !strings.Contains(b.text(t, `#timeline li[data-type="QAVisitRecorded"]:last-child`), notes) {
			t.Error("the timeline does not show the QA visit")
		}

		// A refused command shows the API's own message.
		tooMuch := after.Area.RemainingM2 + 1000
		status, refusal := api.command("CancelArea", map[string]any{"area_id": areaID, "method": "NTS", "on": "2021-12-10", "reason": "browser test", "size_m2": tooMuch})
		if status < 400 || refusal.Error.Message == "" {
			t.Fatalf("cancelling more than remains: status %d %+v, want a refusal", status, refusal)
		}
		b.do(t, chromedp.SetValue(`#form-cancel [name="on"]`, "2021-12-10"))
		b.do(t, chromedp.SetValue(`#form-cancel [name="size_m2"]`, strconv.FormatInt(tooMuch, 10)))
		b.do(t, chromedp.SetValue(`#form-cancel [name="reason"]`, "browser test"))
		b.do(t, chromedp.Click(`#form-cancel button[type="submit"]`))
		b.wait(t, `document.querySelector("#command-result").classList.contains("error")`)
		if got := b.text(t, "#command-result"); !strings.Contains(got, refusal.Error.Message) {
			t.Errorf("refusal on the page: %q, want the API's message %q", got, refusal.Error.Message)
		}
		b.screenshot(t, "area-refused")

		// Another client's command reaches the open page without a reload.
		if status, _ := api.command("RecordEvidence", map[string]any{"area_id": areaID, "kind": "WITNESS", "observed_on": "2021-12-10", "description": "from another client"}); status != http.StatusOK {
			t.Fatalf("RecordEvidence through the API: status %d", status)
		}
		b.wait(t, fmt.Sprintf(`document.querySelector('[data-figure="event-count"]').textContent === "%d"`, n+2))
		if got := b.attr(t, "#live", "data-state"); got != "stream" {
			t.Errorf("live updates came by %q, want the event stream", got)
		}
		b.screenshot(t, "area-after")
	})

	t.Run("access-restricted land", func(t *testing.T) {
		checkRestricted(t, b, api, overview.National, province("Oddar Meanchey"), 2022)
	})

	t.Run("audit", func(t *testing.T) {
		for _, q := range []string{"area=" + areaID, "flag=NO_EVIDENCE&from=2020-01-01&to=2020-12-31"} {
			var doc struct {
				Entries []json.RawMessage `json:"entries"`
			}
			api.get("/api/v1/audit?"+q, &doc)
			b.open(t, "/audit.html?"+q, `[data-figure="audit-entries"]`)
			if got := b.text(t, `[data-figure="audit-entries"]`); got != groupDigits(int64(len(doc.Entries))) {
				t.Errorf("audit %s: page shows %s entries, the API %d", q, got, len(doc.Entries))
			}
			if got := b.count(t, "#audit tbody tr"); got != len(doc.Entries) {
				t.Errorf("audit %s: %d rows, want %d", q, got, len(doc.Entries))
			}
		}
		b.screenshot(t, "audit")
	})

	t.Run("scenarios", func(t *testing.T) {
		var cmp struct {
			Scenarios []struct {
				Name     string `json:"name"`
				Forecast struct {
					DeterministicCompletion *string `json:"deterministic_completion"`
					RemainingAtDeadlineM2   *int64  `json:"remaining_at_deadline_m2"`
				} `json:"forecast"`
			} `json:"scenarios"`
		}
		// Few trials: the deterministic figures checked here do not depend on
		// them. The API's answer is asked for while the page asks for its own.
		type answer struct {
			status int
			body   []byte
			err    error
		}
		fromAPI := make(chan answer, 1)
		go func() {
			res, err := http.Post(base+"/api/v1/scenarios/compare", "application/json",
				strings.NewReader(`{"scenarios": ["baseline", "rcaf-2000"], "trials": 30}`))
			if err != nil {
				fromAPI <- answer{err: err}
				return
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			fromAPI <- answer{res.StatusCode, body, err}
		}()
		b.open(t, "/scenarios.html?scenarios=baseline,rcaf-2000&trials=30", "#comparison")
		a := <-fromAPI
		if a.err != nil || a.status != http.StatusOK {
			t.Fatalf("POST /api/v1/scenarios/compare: %d %.200s %v", a.status, a.body, a.err)
		}
		if err := json.Unmarshal(a.body, &cmp); err != nil {
			t.Fatal(err)
		}
		for _, s := range cmp.Scenarios {
			want := "never"
			if d := s.Forecast.DeterministicCompletion; d != nil {
				want = longDate(*d)
			}
			if got := b.text(t, `[data-figure="completion:`+s.Name+`"]`); got != want {
				t.Errorf("scenario %s: completion %q on the page, %q from the API", s.Name, got, want)
			}
			// Absent once the deadline is past (the area page's QA visit is dated today).
			if r := s.Forecast.RemainingAtDeadlineM2; r != nil {
				b.figure(t, `[data-figure="at-deadline:`+s.Name+`"]`, *r, pageKm2(*r, 1))
			} else if got := b.text(t, `[data-figure="at-deadline:`+s.Name+`"]`); got != "–" {
				t.Errorf("scenario %s: remaining at deadline %q on the page, none from the API", s.Name, got)
			}
		}
		if n := evaluate[int](t, b, `Chart.getChart("trajectory-chart").data.datasets.length`); n != len(cmp.Scenarios) {
			t.Errorf("trajectory chart: %d series, want %d", n, len(cmp.Scenarios))
		}
		b.screenshot(t, "scenarios")

		// New events mark the comparison as stale rather than rerun it.
		if status, _ := api.command("RecordEvidence", map[string]any{"area_id": areaID, "kind": "SURVEY", "observed_on": "2021-12-10"}); status != http.StatusOK {
			t.Fatalf("RecordEvidence through the API: status %d", status)
		}
		b.wait(t, `!document.querySelector("#compare-stale").hidden`)
	})

	t.Run("map", func(t *testing.T) { testInteractiveMap(t, b, api) })
	t.Run("khmer", func(t *testing.T) { testKhmer(t, b) })

	t.Run("every page at 390 and 1,400 px wide", func(t *testing.T) { testEveryPageFits(t, b, areaID) })

	t.Run("login and roles", func(t *testing.T) {
		b.open(t, "/login.html", "#whoami .who")
		if got := b.text(t, "#whoami .who"); got != "local · admin" {
			t.Errorf("signed-in bar: %q, want the insecure-local principal", got)
		}
		// A token the server does not know is refused, and not kept.
		b.signIn(t, "not-a-token", false)
		b.wait(t, `document.querySelector("#login-result").classList.contains("error")`)
		if got := b.text(t, "#login-result"); !strings.Contains(got, "401") {
			t.Errorf("unknown token: the page says %q, want the API's 401", got)
		}
		if stored := evaluate[string](t, b, `localStorage.getItem("landrelease.token") || ""`); stored != "" {
			t.Errorf("a refused token was kept: %q", stored)
		}
		b.screenshot(t, "login-refused")

		// An analyst signs in with a token (made by the admin through the
		// API): the area page offers no command.
		anaToken := api.token("ana", "analyst")
		b.signIn(t, anaToken, true)
		b.open(t, "/area.html?id="+areaID, `[data-figure="event-count"]`)
		b.wait(t, `document.querySelector("#whoami .who") !== null`)
		if got := b.text(t, "#whoami .who"); got != "ana · analyst" {
			t.Errorf("signed in as %q, want ana · analyst", got)
		}
		b.wait(t, `document.querySelector("#commands-note").textContent !== ""`)
		if n := b.count(t, "#command-forms form"); n != 0 {
			t.Errorf("an analyst is offered %d command forms", n)
		}

		// Once revoked, the token gets the API's 401 and the page asks to sign in.
		if status := api.do(http.MethodDelete, "/api/v1/tokens/ana", nil, nil); status >= 300 {
			t.Fatalf("revoking ana's token: status %d", status)
		}
		b.open(t, "/", "#signin-needed:not([hidden])")
		if got := b.text(t, "#signin-needed"); !strings.Contains(got, "Sign in with a token") {
			t.Errorf("with a revoked token the page says %q, want a way to sign in", got)
		}
		b.screenshot(t, "revoked")

		// A MAPU of Pailin may not record on a Battambang area: the page
		// shows the API's refusal and nothing is stored.
		before := len(api.area(areaID).History)
		b.open(t, "/login.html", "#login")
		b.signIn(t, api.token("mapu-pailin", "mapu:Pailin"), true)
		b.open(t, "/area.html?id="+areaID, "#form-qa")
		b.do(t, chromedp.SetValue(`#form-qa [name="on"]`, "2021-12-10"))
		b.do(t, chromedp.Click(`#form-qa button[type="submit"]`))
		b.wait(t, `document.querySelector("#command-result").classList.contains("error")`)
		if got := b.text(t, "#command-result"); !strings.Contains(got, "403") {
			t.Errorf("a MAPU of Pailin on a Battambang area: the page says %q, want the API's 403", got)
		}
		if after := len(api.area(areaID).History); after != before {
			t.Errorf("a refused command changed the history: %d events, was %d", after, before)
		}
		b.screenshot(t, "area-forbidden")
		b.do(t, chromedp.Evaluate[chromedp.Void](`localStorage.clear()`))
	})
}
