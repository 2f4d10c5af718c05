package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/landrelease/landrelease/scenarios/synth"
)

// A dashboard page opened while serve builds its read model in the
// background (a history just loaded) shows why its data is not there yet,
// the server's own message above the page, and loads by itself once the
// read model is ready: no reload by hand, no new event needed.
func TestDashboardWaitsForTheReadModel(t *testing.T) {
	chromium := needChromium(t)
	dir := t.TempDir()
	file := writeCommands(t, synth.Mixed(synth.DefaultConfig(41, 10_000)))
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", file); code != exitOK {
		t.Fatalf("exec: %s", errOut)
	}
	t.Setenv(buildBehindEnv, "10")
	t.Setenv("LANDRELEASE_PROJECTION_BATCH", "1") // a commit per event: a build that lasts
	// The browser is up before serve starts, so that the page asks while
	// the build runs (a commit per event of 11,000).
	b := openBrowser(t, chromium, "")
	p := launchServe(t, dir, "--insecure-local")
	t.Cleanup(func() { p.stop(); p.wait(t) })
	b.base = p.base
	b.do(t, chromedp.Navigate(p.base+"/"))
	b.wait(t, `(document.querySelector("#read-model-waiting") || {}).textContent?.includes("read model is being built")`)
	b.screenshot(t, "waiting-for-the-read-model")
	b.wait(t, `document.querySelector('[data-figure="national-remaining"]') && !document.querySelector("#read-model-waiting")`)
	b.noProblems(t, "/ while the read model was built")
	var overview struct{ National provinceFigures }
	apiClient{t: t, base: p.base}.get("/api/v1/overview", &overview)
	b.figure(t, `[data-figure="national-remaining"]`, overview.National.RemainingM2, pageKm2(overview.National.RemainingM2, 1))
}
