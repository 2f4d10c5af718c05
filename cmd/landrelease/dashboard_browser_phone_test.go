package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The dashboard's browser test, continued: every page, the printable
// documents the pages link to included, fits a phone's width (390 px) and a
// desktop's (1,400 px). Nothing scrolls sideways
// (document.documentElement.scrollWidth <= innerWidth) and no chart (svg or
// canvas) runs past the right edge; a wide table scrolls inside its own box.
// Each page is loaded at 390 px, widened to 1,400 px and narrowed back to
// 390 px without a reload, as a window resized or a phone turned would: a
// chart drawn wide must be redrawn narrow rather than hold the page wide.
// (The forecast page is narrowed from where its own subtest left it.)

// fitsWidth is "fits" once nothing on the page reaches past the window's
// right edge (half a pixel allowed for rounding).
const fitsWidth = `(() => {
  if (document.documentElement.scrollWidth > innerWidth) return "";
  for (const e of document.querySelectorAll("svg, canvas")) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > innerWidth + 0.5) return "";
  }
  return "fits";
})()`

// overflowing says what reaches past the window's right edge: the page's
// width, then the outermost such elements (not those inside a box that
// scrolls or clips), and every chart.
const overflowing = `(() => {
  const w = innerWidth, out = ["document " + document.documentElement.scrollWidth + " px wide in a window of " + w + " px"];
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "");
  const clipped = (e) => { for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== "visible") return true; return false; };
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 0.5 && !clipped(e) && !(e.parentElement && e.parentElement.getBoundingClientRect().right > w + 0.5)) out.push(name(e) + " reaches " + Math.round(r.right) + " px");
  }
  for (const e of document.querySelectorAll("svg, canvas")) out.push("chart " + name(e) + " right edge " + Math.round(e.getBoundingClientRect().right) + " px");
  return out.slice(0, 20);
})()`

// fitsAt sets the window's width and checks the open page fits it, once
// its charts have been redrawn to it (Chart.js follows its box's size as
// the browser reports it).
func (b *browser) fitsAt(t *testing.T, where string, width int64) {
	t.Helper()
	b.do(t, chromedp.EmulateViewport(width, 844))
	if got := evaluate[int64](t, b, `innerWidth`); got != width {
		t.Fatalf("%s: the window is %d px wide, want %d", where, got, width)
	}
	if _, err := b.poll(fitsWidth); err != nil {
		t.Errorf("%s at %d px wide: the page does not fit: %v\n  %s", where, width, err, strings.Join(evaluate[[]string](t, b, overflowing), "\n  "))
	}
}

// fitsEachWidth checks the open page fits 390 px, then 1,400 px, then 390
// px again, and saves a screenshot at 390 px under the name shot (unless
// empty).
func (b *browser) fitsEachWidth(t *testing.T, where, shot string) {
	t.Helper()
	b.fitsAt(t, where, 390)
	if shot != "" {
		b.screenshot(t, shot)
	}
	b.fitsAt(t, where, 1400)
	b.fitsAt(t, where, 390)
}

// testEveryPageFits visits every page of the dashboard and the printable
// documents at 390 and 1,400 px (see above); screenshots of the overview
// and the province page at 390 px. The forecast page, whose backtest takes
// seconds, is checked where its own subtest has it open (fitsEachWidth).
func testEveryPageFits(t *testing.T, b *browser, areaID string) {
	pages := []struct{ name, path, ready, shot string }{
		{"overview", "/", `[data-figure="national-remaining"]`, "overview-phone"},
		{"province", "/province.html?province=Battambang&year=2022", "svg.area-map", "province-phone"},
		{"area", "/area.html?id=" + areaID, "#form-qa", ""},
		{"map", "/map.html?province=Pailin", "#map[data-drawn]", ""},
		{"extension request", "/article5-plan.html", `[data-figure="a5-remaining"]`, ""},
		{"annual report", "/report.html?year=2021", `[data-figure="report-released"]`, ""},
		{"audit", "/audit.html?area=" + areaID, `[data-figure="audit-entries"]`, ""},
		{"scenarios", "/scenarios.html?scenarios=baseline,rcaf-2000&trials=30", "#comparison", ""},
		{"login", "/login.html", "#login", ""},
		{"printable work plan", "/api/v1/workplans/Battambang/2022?format=html", "table", ""},
		{"printable extension request", "/api/v1/article5-plan?format=html", "table", ""},
		{"printable annual report", "/api/v1/reports/2021?format=html", "table", ""},
	}
	defer b.do(t, chromedp.EmulateViewport(1280, 900))
	for _, p := range pages {
		b.do(t, chromedp.EmulateViewport(390, 844))
		b.open(t, p.path, p.ready)
		// Every chart of the page drawn (Chart.js draws on a .chart canvas).
		b.wait(t, `typeof Chart === "undefined" || [...document.querySelectorAll(".chart canvas")].every((c) => Chart.getChart(c))`)
		b.fitsEachWidth(t, p.name, p.shot)
	}
	b.noProblems(t, "the pages at 390 and 1,400 px")
}
