package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
)

// Helpers of the dashboard's browser test: one headless Chromium tab, and a
// Go client of the API the pages read.

type provinceFigures struct {
	Province       string `json:"province"`
	RemainingM2    int64  `json:"remaining_m2"`
	RemainingSHAM2 int64  `json:"remaining_sha_m2"`
	OpenAreas      int    `json:"open_areas"`
	// Access-restricted open areas and what remains in them.
	RestrictedAreas int   `json:"restricted_areas"`
	RestrictedM2    int64 `json:"restricted_m2"`
}

// needChromium answers Debian's chromium, or skips the test where it is
// missing, unless CI=true: there it must be installed (.ci/run does).
func needChromium(t *testing.T) string {
	t.Helper()
	const path = "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing under CI: .ci/run installs Debian's chromium for the dashboard's browser tests", path)
		}
		t.Skipf("%s not found: the dashboard's browser tests need Debian's chromium (apt-get install chromium)", path)
	}
	return path
}

// browser is one headless Chromium tab on the dashboard at base.
type browser struct {
	ctx       context.Context
	base      string
	artifacts string
	bound     time.Time // when waiting stops (see waitBound)
}

// problemCatcher records, from the first script on, what a page must never
// have: an uncaught error, a rejected promise nobody handled, or a load that
// the Content-Security-Policy blocked (something from another origin).
const problemCatcher = `window.__problems = [];
addEventListener("error", (e) => __problems.push("error: " + e.message + " at " + e.filename + ":" + e.lineno));
addEventListener("unhandledrejection", (e) => __problems.push("unhandled rejection: " + (e.reason && e.reason.message || e.reason)));
document.addEventListener("securitypolicyviolation", (e) => __problems.push("blocked by CSP: " + e.violatedDirective + " " + e.blockedURI));`

// requestWatcher lists, in window.__waiting, the requests the page has sent
// and has no answer to yet ("POST /api/v1/scenarios/compare"): while one is
// there, the page is waiting for the server's work, not stuck. A request
// leaves the list when its response starts (a stream's, as soon as it
// opens).
const requestWatcher = `window.__waiting = [];
{
  const sent = window.fetch;
  window.fetch = function (input, init) {
    const what = ((init && init.method) || (input && input.method) || "GET") + " " + (typeof input === "string" ? input : input.url);
    __waiting.push(what);
    const done = () => { const i = __waiting.indexOf(what); if (i >= 0) __waiting.splice(i, 1); };
    const p = sent.apply(this, arguments);
    p.then(done, done);
    return p;
  };
}`

func openBrowser(t *testing.T, chromium, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// WebGL for the map (MapLibre GL JS) without a GPU: SwiftShader,
		// which Chromium no longer falls back to unasked.
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("password-store", "basic"),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout.
	if _, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: problemCatcher + "\n" + requestWatcher})
		return chromedp.Void{}, err
	}); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	dir := os.Getenv("LANDRELEASE_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "dashboard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &browser{ctx: ctx, base: base, artifacts: dir, bound: waitBound(t)}
}

// inBrowser runs one browser action (a navigation waits for the page to
// load, however long the server takes to send it).
func inBrowser[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithDeadline(b.ctx, b.bound)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

func evaluate[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	return inBrowser(t, b, chromedp.Evaluate[T](js))
}

func (b *browser) do(t *testing.T, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	inBrowser(t, b, a)
}

// open loads a page and waits until ready matches, or fails with what the
// page shows instead (an error box) and any script problem.
func (b *browser) open(t *testing.T, path, ready string) {
	t.Helper()
	b.do(t, chromedp.Navigate(b.base+path))
	sel, _ := json.Marshal(ready)
	state, err := b.poll(fmt.Sprintf(`document.querySelector(%s) ? "ready" :
		(document.querySelector(".error:not([hidden])") ? "error: " + document.querySelector(".error:not([hidden])").textContent : "")`, sel))
	if err != nil || state != "ready" {
		// What the page shows instead, for the log and as a screenshot.
		body := evaluate[string](t, b, `document.body.innerText.slice(0, 600)`)
		b.screenshot(t, "failed-"+strings.Trim(strings.NewReplacer("/", "-", "?", "-", "=", "-", "&", "-", ".", "-").Replace(path), "-"))
		t.Fatalf("%s: waiting for %s: %v %s\npage: %s", path, ready, err, state, body)
	}
	b.noProblems(t, path)
}

// wait polls a JavaScript condition until it holds (see poll).
func (b *browser) wait(t *testing.T, cond string) {
	t.Helper()
	if _, err := b.poll(fmt.Sprintf(`(%s) ? "yes" : ""`, cond)); err != nil {
		t.Fatalf("waiting for %s: %v", cond, err)
	}
}

// idleLimit is how long a page may take to show what it already has: no
// request of its own unanswered and the server's read model caught up with
// the history (nothing more will be pushed). It bounds rendering in the
// browser, not the server's work.
const idleLimit = 20 * time.Second

// poll evaluates expr every 50 ms until it gives a non-empty string. It
// waits as long as there is work under way: a request of the page not yet
// answered (a scenario comparison takes what it takes) or the server's read
// model behind its history (an update is coming); once there is none, the
// page has idleLimit to get there. The test's deadline bounds the whole (see
// waitBound). A failed evaluation is tried again: just after a navigation
// the browser can still refer to the old document's script context.
func (b *browser) poll(expr string) (string, error) {
	ctx, cancel := context.WithDeadline(b.ctx, b.bound)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	var waiting []string
	worked := time.Now() // when work was last seen under way
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err == nil && v != "" {
			return v, nil
		}
		if err != nil {
			last = err
		}
		waiting, _ = chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__waiting || []`))
		switch {
		case len(waiting) > 0 || b.serverBehind(ctx):
			worked = time.Now()
		case time.Since(worked) > idleLimit:
			return v, fmt.Errorf("nothing under way for %v: no request of the page unanswered, the read model caught up (last evaluation error: %v)", idleLimit, last)
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("%w; the page still waited for %q (last evaluation error: %v)", ctx.Err(), waiting, last)
		case <-tick.C:
		}
	}
}

// serverBehind reports whether serve's read model is behind its history
// (GET /api/v1/health: projected below sequence).
func (b *browser) serverBehind(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, "GET", b.base+"/api/v1/health", nil)
	if err != nil {
		return false
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var h struct{ Sequence, Projected uint64 }
	return res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&h) == nil && h.Projected < h.Sequence
}

func (b *browser) noProblems(t *testing.T, where string) {
	t.Helper()
	for _, p := range evaluate[[]string](t, b, `window.__problems || []`) {
		t.Errorf("%s: %s", where, p)
	}
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	q, _ := json.Marshal(sel)
	return evaluate[string](t, b, fmt.Sprintf(`(document.querySelector(%s) || {textContent: "(no %s)"}).textContent.trim()`, q, strings.ReplaceAll(sel, `"`, `'`)))
}

func (b *browser) attr(t *testing.T, sel, name string) string {
	t.Helper()
	q, _ := json.Marshal(sel)
	n, _ := json.Marshal(name)
	return evaluate[string](t, b, fmt.Sprintf(`((e) => e ? e.getAttribute(%s) || "" : "(no element)")(document.querySelector(%s))`, n, q))
}

func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	q, _ := json.Marshal(sel)
	return evaluate[int](t, b, fmt.Sprintf(`document.querySelectorAll(%s).length`, q))
}

// figure checks a figure's exact value (data-m2) and, unless text is empty,
// how it reads.
func (b *browser) figure(t *testing.T, sel string, m2 int64, text string) {
	t.Helper()
	if got := b.attr(t, sel, "data-m2"); got != strconv.FormatInt(m2, 10) {
		t.Errorf("%s: %s m² on the page, %d from the API", sel, got, m2)
	}
	if text != "" {
		if got := b.text(t, sel); got != text {
			t.Errorf("%s reads %q, want %q", sel, got, text)
		}
	}
}

// signIn sends a token through the login page's form; accepted, the page
// goes on to the overview, and signIn waits for it to load.
func (b *browser) signIn(t *testing.T, token string, accepted bool) {
	t.Helper()
	if evaluate[string](t, b, `location.pathname`) != "/login.html" {
		b.open(t, "/login.html", "#login")
	}
	b.do(t, chromedp.SetValue("#token", token))
	click := chromedp.Click(`#login button[type="submit"]`)
	if !accepted {
		b.do(t, click)
		return
	}
	inBrowser(t, b, chromedp.WaitEvent(page.LoadEventFired, nil, click))
	if path := evaluate[string](t, b, `location.pathname`); path != "/" {
		t.Fatalf("after signing in the browser is at %s, want the overview", path)
	}
}

func (b *browser) media(t *testing.T, media string) {
	t.Helper()
	inBrowser(t, b, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return chromedp.Void{}, err
	})
}

func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	b.artifact(t, "dashboard-"+name+".png", inBrowser(t, b, chromedp.FullScreenshot(100)))
}

func (b *browser) artifact(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(b.artifacts, name), data, 0o644); err != nil {
		t.Error(err)
	}
}

// apiClient reads the same API the pages read, from Go.
type apiClient struct {
	t    *testing.T
	base string
}

func (c apiClient) do(method, path string, body, into any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if into != nil {
		if err := json.Unmarshal(raw, into); err != nil {
			c.t.Fatalf("%s %s: %d %.300s: %v", method, path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode
}

func (c apiClient) raw(path string) (int, string) {
	c.t.Helper()
	res, err := http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func (c apiClient) get(path string, into any) {
	c.t.Helper()
	if status := c.do(http.MethodGet, path, nil, into); status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d", path, status)
	}
}

type apiRefusal struct {
	Error struct {
		Kind, Message, Field string
	} `json:"error"`
}

func (c apiClient) command(name string, data map[string]any) (int, apiRefusal) {
	c.t.Helper()
	var r apiRefusal
	status := c.do(http.MethodPost, "/api/v1/commands", map[string]any{"command": name, "command_id": uuid.NewString(), "data": data}, &r)
	return status, r
}

// token creates an API token (the insecure-local principal is an admin).
func (c apiClient) token(name, role string) string {
	c.t.Helper()
	var doc struct {
		Token string `json:"token"`
	}
	if status := c.do(http.MethodPost, "/api/v1/tokens", map[string]string{"name": name, "role": role}, &doc); status != http.StatusCreated || doc.Token == "" {
		c.t.Fatalf("creating a %s token: status %d", role, status)
	}
	return doc.Token
}

type areaDoc struct {
	Area struct {
		RemainingM2 int64 `json:"remaining_m2"`
	} `json:"area"`
	History []struct {
		Sequence uint64          `json:"sequence"`
		Type     string          `json:"type"`
		Actor    string          `json:"actor"`
		Data     json.RawMessage `json:"data"`
	} `json:"history"`
}

func (c apiClient) area(id string, query ...string) areaDoc {
	c.t.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	var doc areaDoc
	path := "/api/v1/areas/" + id
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	c.get(path, &doc)
	return doc
}

// withGeometry counts a province's areas that have a polygon.
func (c apiClient) withGeometry(province string) int {
	c.t.Helper()
	var doc struct {
		Areas []struct {
			Geometry json.RawMessage `json:"geometry"`
		} `json:"areas"`
		Total int `json:"total"`
	}
	c.get("/api/v1/areas?limit=10000&province="+url.QueryEscape(province), &doc)
	if len(doc.Areas) != doc.Total {
		c.t.Fatalf("%s: %d of %d areas in one page", province, len(doc.Areas), doc.Total)
	}
	n := 0
	for _, a := range doc.Areas {
		if len(a.Geometry) > 0 && string(a.Geometry) != "null" {
			n++
		}
	}
	return n
}

// km2 formats square metres as the pages do: "1,079.9 km²".
func pageKm2(m2 int64, digits int) string {
	s := strconv.FormatFloat(float64(m2)/1e6, 'f', digits, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	out := groupDigits(n)
	if frac != "" {
		out += "." + frac
	}
	return out + " km²"
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// longDate formats YYYY-MM-DD as the pages do: "31 Aug 2031".
func longDate(s string) string {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return d.Format("2 Jan 2006")
}
