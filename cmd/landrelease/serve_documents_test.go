package main

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/landrelease/landrelease/scenarios/synth"
)

// The API serves the Article 5 extension-request plan and the annual report
// as the CLI prints them, on a small generated history: the JSON is the
// same document as --format json, the CSV and the printable HTML the same
// bytes, with the printable page's CSP and the CSV as an attachment.
func TestServeArticle5PlanAndReportAsTheCLI(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", writeCommands(t, synth.Mixed(synth.DefaultConfig(5, 1500)))); code != exitOK {
		t.Fatalf("exec: exit %d\n%s", code, errOut)
	}
	cases := []struct {
		cli  []string
		path string
	}{
		{[]string{"article5-plan", "--funding", "ends"}, "/api/v1/article5-plan?funding=ends"},
		{[]string{"article5-plan", "--as-of", "2020-12-31", "--redeploy", "none"}, "/api/v1/article5-plan?as_of=2020-12-31&redeploy=none"},
		{[]string{"report", "--year", "2021"}, "/api/v1/reports/2021"},
		{[]string{"report", "--year", "2021", "--province", "pailin"}, "/api/v1/reports/2021?province=Pailin"},
	}
	formats := []string{"json", "csv", "html"}
	cli := map[string]string{}
	for _, c := range cases {
		for _, f := range formats {
			code, out, errOut := run(t, "", append(append([]string{"--data-dir", dir}, c.cli...), "--format", f)...)
			if code != exitOK || out == "" {
				t.Fatalf("%v --format %s: exit %d\n%s", c.cli, f, code, errOut)
			}
			cli[c.path+" "+f] = out
		}
	}

	base := startServe(t, dir, "--insecure-local")
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(base + path)
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
	// The plan without as_of reads the live fold: wait until it has the
	// whole history.
	pollUntil(t, 10*time.Second, "read model caught up with the history", func() bool {
		var h struct{ Sequence, Projected uint64 }
		_, body := get("/api/v1/health")
		return json.Unmarshal([]byte(body), &h) == nil && h.Sequence > 0 && h.Projected == h.Sequence
	})

	for _, c := range cases {
		for _, f := range formats {
			sep := "?"
			if strings.Contains(c.path, "?") {
				sep = "&"
			}
			res, body := get(c.path + sep + "format=" + f)
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET %s format=%s: %d %.300s", c.path, f, res.StatusCode, body)
				continue
			}
			want := cli[c.path+" "+f]
			switch f {
			case "json":
				var a, b any
				if json.Unmarshal([]byte(body), &a) != nil || json.Unmarshal([]byte(want), &b) != nil || !reflect.DeepEqual(a, b) {
					t.Errorf("GET %s: the JSON differs from the CLI's --format json:\nAPI %.400s\nCLI %.400s", c.path, body, want)
				}
			default:
				if body != want {
					t.Errorf("GET %s format=%s: differs from the CLI's --format %s:\nAPI %.400s\nCLI %.400s", c.path, f, f, body, want)
				}
			}
			ctype, csp, disp := res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"), res.Header.Get("Content-Disposition")
			if f == "html" && (ctype != "text/html; charset=utf-8" || !strings.Contains(csp, "style-src 'unsafe-inline'") || !strings.Contains(csp, "default-src 'none'")) {
				t.Errorf("GET %s format=html: Content-Type %q, CSP %q", c.path, ctype, csp)
			}
			if f == "csv" && (ctype != "text/csv; charset=utf-8" || !strings.HasPrefix(disp, "attachment; filename=")) {
				t.Errorf("GET %s format=csv: Content-Type %q, Content-Disposition %q", c.path, ctype, disp)
			}
		}
	}
}
