package dashboard_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/adapters/dashboard"
)

// mustServe serves the dashboard on a loopback port until the test ends.
func mustServe(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(dashboard.Handler())
	tb.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// The pages the dashboard promises, each with the type it must be served as.
var shipped = map[string]string{
	"/":                               "text/html",
	"/province.html":                  "text/html",
	"/area.html":                      "text/html",
	"/audit.html":                     "text/html",
	"/scenarios.html":                 "text/html",
	"/forecast.html":                  "text/html",
	"/map.html":                       "text/html",
	"/login.html":                     "text/html",
	"/assets/app.js":                  "text/javascript",
	"/assets/app.css":                 "text/css",
	"/assets/charts.js":               "text/javascript",
	"/assets/map.js":                  "text/javascript",
	"/vendor/chart.umd.min.js":        "text/javascript",
	"/vendor/chart.js.LICENSE.md":     "text/markdown",
	"/vendor/maplibre-gl.mjs":         "text/javascript",
	"/vendor/maplibre-gl-worker.mjs":  "text/javascript",
	"/vendor/maplibre-gl.css":         "text/css",
	"/vendor/maplibre-gl.LICENSE.txt": "text/plain",
	"/vendor/noto-sans-khmer/noto-sans-khmer.css":                    "text/css",
	"/vendor/noto-sans-khmer/noto-sans-khmer-khmer-400-normal.woff2": "font/woff2",
	"/vendor/noto-sans-khmer/LICENSE.txt":                            "text/plain",
	"/assets/overview.js":                                            "text/javascript",
	"/assets/province.js":                                            "text/javascript",
	"/assets/area.js":                                                "text/javascript",
	"/assets/audit.js":                                               "text/javascript",
	"/assets/scenarios.js":                                           "text/javascript",
	"/assets/forecast.js":                                            "text/javascript",
	"/assets/mappage.js":                                             "text/javascript",
	"/assets/login.js":                                               "text/javascript",
}

func TestAssetsAreEmbeddedAndServed(t *testing.T) {
	base := mustServe(t)
	for path, ctype := range shipped {
		res, body := get(t, base+path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", path, got, ctype)
		}
		if len(body) < 100 {
			t.Errorf("GET %s: %d bytes, want the embedded file", path, len(body))
		}
		if (ctype == "text/html" || ctype == "text/javascript") && !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: no same-origin Content-Security-Policy", path)
		}
	}
}

// The vendored Chart.js is the version the package README names, with its
// licence beside it.
func TestChartJSVersionMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`chart\.js@(\d+\.\d+\.\d+)`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md names no chart.js@VERSION")
	}
	lib, err := fs.ReadFile(dashboard.Files(), "vendor/chart.umd.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if banner := "Chart.js v" + string(m[1]); !strings.Contains(string(lib[:200]), banner) {
		t.Errorf("vendor/chart.umd.min.js does not start with %q: %.120s", banner, lib)
	}
	licence, err := fs.ReadFile(dashboard.Files(), "vendor/chart.js.LICENSE.md")
	if err != nil || !strings.Contains(string(licence), "Chart.js Contributors") {
		t.Errorf("vendor/chart.js.LICENSE.md missing or not Chart.js's licence (%v)", err)
	}
}

// Links in the pages (href, src) and page paths in the scripts ("/area.html?id=")
// all resolve to an embedded file; links and paths to the API name routes of
// docs/api.md.
func TestEveryLinkResolves(t *testing.T) {
	base := mustServe(t)
	files := dashboard.Files()
	attr := regexp.MustCompile(`(?:href|src)="([^"]*)"`)
	literal := regexp.MustCompile(`"(/[a-z][a-z0-9./-]*\.(?:html|js|css))(?:[?#][^"]*)?"`)
	apiPath := regexp.MustCompile(`["` + "`" + `](/api/v1/[a-z]+)`)
	api, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	links := map[string][]string{} // link -> files that hold it
	apis := map[string][]string{}
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "vendor/") {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".html") {
			for _, m := range attr.FindAllStringSubmatch(string(b), -1) {
				links[m[1]] = append(links[m[1]], p)
			}
		}
		if strings.HasSuffix(p, ".js") {
			for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
				links[m[1]] = append(links[m[1]], p)
			}
			for _, m := range apiPath.FindAllStringSubmatch(string(b), -1) {
				apis[m[1]] = append(apis[m[1]], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range dashboard.Pages() {
		for _, m := range attr.FindAllStringSubmatch(string(b), -1) {
			links[m[1]] = append(links[m[1]], name)
		}
	}
	for _, want := range []string{"/", "/province.html", "/map.html", "/audit.html", "/scenarios.html", "/area.html", "/login.html", "/article5-plan.html", "/report.html"} {
		if _, ok := links[want]; !ok {
			t.Errorf("no page or script links to %s", want)
		}
	}
	for link, from := range links {
		if link == "data:," { // the empty favicon: no request at all
			continue
		}
		if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") {
			t.Errorf("%v: link %q is not a path on this server", from, link)
			continue
		}
		path, _, _ := strings.Cut(link, "?")
		if strings.HasPrefix(path, "/api/") { // the API's, checked below with the scripts' API paths
			apis[path] = append(apis[path], from...)
			continue
		}
		if res, _ := get(t, base+path); res.StatusCode != http.StatusOK {
			t.Errorf("%v: link %s answers %d", from, link, res.StatusCode)
		}
	}
	if len(apis) < 8 {
		t.Errorf("found %d API paths in the scripts, want the pages' 8 or more: %v", len(apis), apis)
	}
	for p, from := range apis {
		if !strings.Contains(string(api), "`GET "+p) && !strings.Contains(string(api), "`POST "+p) {
			t.Errorf("%v: %s is not a route of docs/api.md", slices.Compact(from), p)
		}
	}
}

// No asset refers to another host: nothing can be fetched from the internet.
// The only URLs allowed are in the licence banners (/*! ... */) of vendored
// files, which are comments that browsers never fetch.
func TestNoExternalURL(t *testing.T) {
	files := dashboard.Files()
	url := regexp.MustCompile(`(?i)https?://[^\s"'<>)]*`)
	banner := regexp.MustCompile(`(?s)/\*!.*?\*/`)
	protocolRelative := regexp.MustCompile(`(?i)(?:src|href|action)\s*=\s*["']?//|url\(\s*["']?//|@import`)
	n := 0
	check := func(p, text string) {
		for _, u := range url.FindAllString(text, -1) {
			t.Errorf("%s refers to %s", p, u)
		}
		for _, u := range protocolRelative.FindAllString(text, -1) {
			t.Errorf("%s has a protocol-relative or imported reference %q", p, u)
		}
	}
	for name, b := range dashboard.Pages() {
		n++
		check(name, string(b))
	}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		text := string(b)
		if strings.HasPrefix(p, "vendor/") {
			text = banner.ReplaceAllString(text, "")
			for _, u := range vendoredURLs {
				text = strings.ReplaceAll(text, u.url, "")
			}
		}
		check(p, text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Fatalf("walked %d embedded files, want every asset", n)
	}
}

// vendoredURLs are the URLs in MapLibre GL JS that no browser fetches, each
// with the reason; any other URL in a vendored file fails the test (and the
// Content-Security-Policy would block its load anyway).
var vendoredURLs = []struct{ url, why string }{
	{"http://www.w3.org/2000/svg", "the SVG namespace name of inline icons (data: URLs)"},
	{"http://www.w3.org/1999/xhtml", "the XHTML namespace name"},
	{"https://github.com/maplibre/maplibre-gl-js/blob/v6.20.0/LICENSE.txt", "the licence banner (a comment)"},
	{"https://github.com/mapbox/mapbox-gl-js/issues/2907", "text of a warning"},
	{"https://wiki.openstreetmap.org/wiki/This_map_requires_WebGL", "text of the no-WebGL error"},
	{"https://maplibre.invalid/", "a dummy base for parsing relative URLs (.invalid never resolves)"},
	{"https://github.com/d3/d3-color", "a credit in MapLibre's licence text"},
	{"https://maplibre.org/", "the href of the MapLibre logo link (a link, never loaded; the logo is off)"},
	{"https://github.com/notofonts/khmer", "the font's copyright line in its licence text (noto-sans-khmer/LICENSE.txt)"},
	{"http://scripts.sil.org/OFL", "where the OFL is published, in the font's licence text"},
}

// Mounted at /, the dashboard must never answer for the API or for a path it
// does not hold: no directory listing, no fallback page.
func TestServesOnlyItsOwnFiles(t *testing.T) {
	base := mustServe(t)
	for _, path := range []string{"/api/v1/health", "/api/", "/api/v1/areas/x", "/missing.html", "/assets/", "/vendor/", "/../go.mod", "/dashboard.go"} {
		if res, _ := get(t, base+path); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
	}
	res, err := http.Post(base+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", res.StatusCode)
	}
}

// Browsers revalidate with the ETag and get 304 while the binary is the same.
func TestRevalidation(t *testing.T) {
	base := mustServe(t)
	res, _ := get(t, base+"/assets/app.js")
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q: want a strong ETag and no-cache", etag, res.Header.Get("Cache-Control"))
	}
	if res, _ := get(t, base+"/assets/app.js", "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %d, want 304", etag, res.StatusCode)
	}
	if res, _ := get(t, base+"/assets/charts.js", "If-None-Match", etag); res.StatusCode != http.StatusOK {
		t.Errorf("another file with app.js's ETag: %d, want 200", res.StatusCode)
	}
}
