package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/landrelease/landrelease/adapters/dashboard/i18n"
)

// khmerGlyphs reports, for the page open in the browser, whether the
// vendored Noto Sans Khmer loaded (the FontFaceSet), how many distinct
// Khmer characters the page's text holds, which of them are outside the
// font's unicode-range (so another font, or none, would draw them), and
// which draw as wide in the Khmer font as in a family with no Khmer at all
// (the system's fallback, a missing glyph). Combining marks are measured
// on a consonant, since alone they have no width.
const khmerGlyphs = `(async () => {
  await document.fonts.ready;
  const text = document.body.innerText;
  await document.fonts.load('16px "Noto Sans Khmer"', text);
  const faces = [...document.fonts].filter((f) => f.family.replace(/["']/g, "") === "Noto Sans Khmer");
  const chars = [...new Set(text.match(/[\u1780-\u17FF\u19E0-\u19FF]/gu) || [])];
  const inRange = (c) => /[\u1780-\u17FF\u19E0-\u19FF\u200C\u200D\u25CC]/u.test(c);
  const ctx = document.createElement("canvas").getContext("2d");
  const width = (family, s) => { ctx.font = "100px " + family; return ctx.measureText(s).width; };
  const sample = (c) => (/\p{M}/u.test(c) ? "ក" + c : c);
  return {
    faces: faces.length,
    loaded: faces.filter((f) => f.status === "loaded").length,
    check: document.fonts.check('16px "Noto Sans Khmer"', "ក"),
    family: getComputedStyle(document.body).fontFamily,
    chars: chars.length,
    outside: chars.filter((c) => !inRange(c)),
    fallback: chars.filter((c) => width('"Noto Sans Khmer"', sample(c)) === width("monospace", sample(c))),
  };
})()`

type glyphReport struct {
	Faces    int      `json:"faces"`
	Loaded   int      `json:"loaded"`
	Check    bool     `json:"check"`
	Family   string   `json:"family"`
	Chars    int      `json:"chars"`
	Outside  []string `json:"outside"`
	Fallback []string `json:"fallback"`
}

// checkKhmerGlyphs fails unless the page open in b draws its Khmer text
// with the shipped font and no glyph is missing.
func checkKhmerGlyphs(t *testing.T, b *browser, where string) {
	t.Helper()
	r := inBrowser(t, b, chromedp.Evaluate[glyphReport](khmerGlyphs, chromedp.EvalAwaitPromise))
	t.Logf("%s: %+v", where, r)
	if r.Loaded == 0 || !r.Check {
		t.Errorf("%s: Noto Sans Khmer not loaded (%d faces, %d loaded, check %v)", where, r.Faces, r.Loaded, r.Check)
	}
	if r.Chars < 20 {
		t.Errorf("%s: %d distinct Khmer characters on the page, want a page in Khmer", where, r.Chars)
	}
	if len(r.Outside) > 0 || len(r.Fallback) > 0 {
		t.Errorf("%s: Khmer characters without a glyph in the font: outside its range %q, drawn as the fallback %q", where, r.Outside, r.Fallback)
	}
}

// testKhmer opens the overview in Khmer (?lang=km), checks its heading is
// the Khmer catalogue's, that the choice is remembered on the next page,
// and that the glyphs are drawn; then the printable work plan in Khmer as
// the API serves it (the workplan verb's --format html --lang km). The
// screenshots km-overview.png and km-workplan.png go to the artifacts. It
// leaves the browser in English.
func testKhmer(t *testing.T, b *browser) {
	b.open(t, "/?lang=km", `[data-figure="national-remaining"]`)
	if got, want := b.text(t, "h1"), i18n.T("km", "overview.title"); got != want {
		t.Errorf("the Khmer overview's heading is %q, want the km catalogue's %q", got, want)
	}
	if got, want := b.text(t, `[data-kpi="remaining"] .label`), i18n.T("km", "js.overview.kpi.remaining"); got != want {
		t.Errorf("a label the script writes reads %q, want the km catalogue's %q", got, want)
	}
	if got := b.attr(t, "html", "lang"); got != "km" {
		t.Errorf("html lang=%q, want km", got)
	}
	checkKhmerGlyphs(t, b, "overview")
	b.artifact(t, "km-overview.png", inBrowser(t, b, chromedp.FullScreenshot(100)))

	b.open(t, "/audit.html", "#audit-table")
	if got, want := b.text(t, "h1"), i18n.T("km", "audit.h1"); got != want {
		t.Errorf("after choosing Khmer, the audit page's heading is %q, want %q (the choice is not remembered)", got, want)
	}
	b.noProblems(t, "audit in Khmer")

	const province, year = "Battambang", 2022
	b.do(t, chromedp.Navigate(fmt.Sprintf("%s/api/v1/workplans/%s/%d?format=html&lang=km", b.base, province, year)))
	if got, want := b.text(t, "h1"), i18n.T("km", "print.plan.h1", "province", province, "year", year); got != want {
		t.Errorf("the Khmer printed plan's heading is %q, want %q", got, want)
	}
	if got, want := b.text(t, "table#nts th:nth-child(2)"), i18n.T("km", "print.col.area"); got != want {
		t.Errorf("the Khmer printed plan's table header is %q, want %q", got, want)
	}
	checkKhmerGlyphs(t, b, "printed work plan")
	b.noProblems(t, "printed work plan in Khmer")
	// The first screen: headings, summary and the first rows (a whole plan
	// is tens of thousands of pixels tall).
	b.artifact(t, "km-workplan.png", inBrowser(t, b, chromedp.CaptureScreenshot()))

	b.open(t, "/?lang=en", `[data-figure="national-remaining"]`)
	if got := b.text(t, "h1"); got != i18n.T("en", "overview.title") {
		t.Errorf("back in English, the heading is %q", got)
	}
	// The switch names Khmer in Khmer on an English page too: in the font.
	if family := evaluate[string](t, b, `getComputedStyle(document.querySelector('nav.lang a[lang="km"]')).fontFamily`); !strings.HasPrefix(family, `"Noto Sans Khmer"`) {
		t.Errorf("the switch's Khmer link on an English page is set in %s, want Noto Sans Khmer first", family)
	}
}
