package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/httpapi"
)

// openAPIChecker validates live answers against the served OpenAPI
// document: the status must be documented for the operation and the body
// must match its schema.
type openAPIChecker struct {
	t      *testing.T
	router routers.Router
}

func newOpenAPIChecker(t *testing.T) *openAPIChecker {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil // match any host
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &openAPIChecker{t: t, router: r}
}

func (c *openAPIChecker) check(method, path string, status int, ctype string, body []byte) {
	c.t.Helper()
	u, _ := url.Parse("http://localhost" + path)
	req := &http.Request{Method: method, URL: u, Header: http.Header{}}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s: not in the OpenAPI document: %v", method, path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: status, Header: http.Header{"Content-Type": {ctype}},
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.t.Errorf("%s %s → %d: the answer does not match the OpenAPI document: %v\n%.400s", method, path, status, err, body)
	}
}

// TestServeOnDemo runs serve on the demo history and checks every route's
// answers against the OpenAPI document, refuses bad input without writing,
// answers what the CLI answers, and lets a client read its own writes.
func TestServeOnDemo(t *testing.T) {
	dir := t.TempDir()
	loadDemo(t, dir)
	code, cliForecast, errOut := run(t, "", "--data-dir", dir, "forecast", "--json", "--trials", "0")
	if code != exitOK {
		t.Fatalf("forecast: %d %s", code, errOut)
	}
	code, cliBacktest, errOut := run(t, "", "--data-dir", dir, "backtest", "--json", "--trials", "50", "--seed", "3", "--redeploy", "largest", "--from", "2020", "--to", "2021")
	if code != exitOK {
		t.Fatalf("backtest: %d %s", code, errOut)
	}
	base := startServe(t, dir, "--insecure-local")
	c := newClient(t, base, "")
	oa := newOpenAPIChecker(t)
	do := func(method, path string, body any) (int, []byte) {
		t.Helper()
		code, out := c.do(method, path, body)
		ctype := "application/json"
		switch {
		case strings.Contains(path, "format=csv"):
			ctype = "text/csv"
		case strings.Contains(path, "format=html"):
			ctype = "text/html"
		}
		oa.check(method, path, code, ctype, out)
		return code, out
	}
	var areas struct {
		Areas []struct {
			ID       string `json:"id"`
			Province string `json:"province"`
			Status   string `json:"status"`
		} `json:"areas"`
		Total int `json:"total"`
	}
	c.getJSON("/api/v1/areas?province=Battambang&status=CHA&limit=5", &areas)
	if len(areas.Areas) != 5 || areas.Total < 5 {
		t.Fatalf("areas: %+v", areas)
	}
	areaID := areas.Areas[0].ID

	t.Run("every route answers as documented", func(t *testing.T) {
		for _, path := range []string{
			"/api/v1/health", "/api/v1/whoami", "/api/v1/areas?province=Pailin&limit=3&offset=2",
			"/api/v1/areas/" + areaID, "/api/v1/state", "/api/v1/state?as_of=2020-06-30",
			"/api/v1/state?as_recorded=2030-01-01T00:00:00Z", "/api/v1/stats?year=2021&province=Pailin",
			"/api/v1/audit?flag=NO_EVIDENCE&limit=5", "/api/v1/audit?area=" + areaID,
			"/api/v1/workplans/Battambang/2022", "/api/v1/workplans/Battambang/2022?format=csv",
			"/api/v1/workplans/Battambang/2022?format=html", "/api/v1/forecast?trials=20&seed=7",
			"/api/v1/forecast?as_of=2020-12-31&trials=0", "/api/v1/forecast?trials=10&redeploy=none&funding=ends",
			"/api/v1/forecast?trials=0&redeploy=POOL", "/api/v1/backtest?trials=10",
			"/api/v1/scenarios", "/api/v1/overview", "/api/v1/tokens",
			"/api/v1/openapi.json", "/api/v1/article5-plan?funding=ends", "/api/v1/reports/2021?province=Pailin",
		} {
			if code, body := do("GET", path, nil); code != http.StatusOK {
				t.Errorf("GET %s: %d %.300s", path, code, body)
			}
		}
		code, body := do("POST", "/api/v1/scenarios/compare", map[string]any{"scenarios": []string{"rcaf-2000"}, "trials": 10})
		var cmp struct {
			Scenarios []struct {
				Name     string `json:"name"`
				Forecast struct {
					Deterministic *string `json:"deterministic_completion"`
				} `json:"forecast"`
			} `json:"scenarios"`
		}
		if code != 200 || json.Unmarshal(body, &cmp) != nil || len(cmp.Scenarios) != 2 || cmp.Scenarios[0].Name != "baseline" ||
			cmp.Scenarios[1].Forecast.Deterministic == nil || *cmp.Scenarios[1].Forecast.Deterministic >= *cmp.Scenarios[0].Forecast.Deterministic {
			t.Errorf("compare: %d %.500s", code, body)
		}
		// A workplan in CSV and HTML is the same plan as its JSON.
		var plan struct {
			Areas []struct {
				AreaID string `json:"area_id"`
			} `json:"areas"`
		}
		c.getJSON("/api/v1/workplans/Battambang/2022", &plan)
		_, csv := do("GET", "/api/v1/workplans/Battambang/2022?format=csv", nil)
		_, html := do("GET", "/api/v1/workplans/Battambang/2022?format=html", nil)
		if len(plan.Areas) == 0 || !bytes.Contains(csv, []byte(plan.Areas[0].AreaID)) || !bytes.Contains(html, []byte(plan.Areas[0].AreaID)) {
			t.Errorf("work plan formats disagree: %d areas", len(plan.Areas))
		}
	})

	t.Run("the live fold forecasts as the CLI replay does", func(t *testing.T) {
		var cli, api map[string]any
		if err := json.Unmarshal([]byte(cliForecast), &cli); err != nil {
			t.Fatal(err)
		}
		c.getJSON("/api/v1/forecast?trials=0", &api)
		for _, k := range []string{"deadline", "remaining_m2", "deterministic_completion", "cost_to_completion_usd", "remaining_at_deadline_m2", "milestones"} {
			a, _ := json.Marshal(api[k])
			b, _ := json.Marshal(cli[k])
			if !bytes.Equal(a, b) {
				t.Errorf("%s: API %s, CLI %s", k, a, b)
			}
		}
		// Rates are sums of floats over maps: equal to the last digits.
		ar, cr := api["rates"].(map[string]any), cli["rates"].(map[string]any)
		for k, v := range cr {
			a, ok1 := ar[k].(float64)
			b, ok2 := v.(float64)
			if !ok1 || !ok2 || math.Abs(a-b) > 1e-9*math.Max(1, math.Abs(b)) {
				t.Errorf("rate %s: API %v, CLI %v", k, ar[k], v)
			}
		}
		if cli["deadline"] == nil {
			t.Fatal("the demo has an Article 5 deadline")
		}
	})

	t.Run("the backtest and the forecast's policies answer as the CLI does", func(t *testing.T) {
		_, api := do("GET", "/api/v1/backtest?from=2020&to=2021&trials=50&seed=3&redeploy=largest", nil)
		var a, b any
		if err := json.Unmarshal(api, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(cliBacktest), &b); err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("GET /api/v1/backtest:\n%.600s\nbacktest --json:\n%.600s", ja, jb)
		}
		var f struct {
			Redeploy  string `json:"redeploy"`
			Funding   string `json:"funding_after_pledges"`
			Provinces []struct {
				StrandedM2 int64 `json:"stranded_capacity_m2"`
			} `json:"provinces"`
		}
		c.getJSON("/api/v1/forecast?trials=0&redeploy=None&funding=ends", &f)
		if f.Redeploy != "none" || f.Funding != "ends" || len(f.Provinces) == 0 {
			t.Errorf("forecast?redeploy=None&funding=ends: redeploy %q, funding %q, %d provinces", f.Redeploy, f.Funding, len(f.Provinces))
		}
	})

	t.Run("bad input gets a clear 4xx and writes nothing", func(t *testing.T) {
		var before struct{ Sequence uint64 }
		c.getJSON("/api/v1/health", &before)
		huge := `{"command":"RecordEvidence","data":{"area_id":"` + areaID + `","kind":"OTHER","observed_on":"2021-01-01","description":"` + strings.Repeat("x", 9<<20) + `"}}`
		for _, bad := range []struct {
			method, path string
			body         any
			status       int
			field        string
		}{
			{"POST", "/api/v1/commands", `{"command":"ClearArea","data":{"area_id":`, 400, ""},
			{"POST", "/api/v1/commands", `not json at all`, 400, ""},
			{"POST", "/api/v1/commands", ``, 400, ""},
			{"POST", "/api/v1/commands", `{"command":"ClearArea","data":{"area_id":"` + areaID + `","on":"2021-12-01","size_m2":10,"operator":"HALO","bogus":1}}`, 400, "bogus"},
			{"POST", "/api/v1/commands", `{"command":"ClearArea","verb":"x","data":{}}`, 400, ""},
			{"POST", "/api/v1/commands", `{"command":"LaunchMissiles","data":{}}`, 400, "command"},
			{"POST", "/api/v1/commands", `{"command":"ClearArea","data":{"area_id":"` + areaID + `","on":"2021-12-01","size_m2":-5,"operator":"HALO"}}`, 422, "size_m2"},
			{"POST", "/api/v1/commands", `{"command":"ClearArea","data":{"area_id":"` + uuid.NewString() + `","on":"2021-12-01","size_m2":5,"operator":"HALO"}}`, 404, ""},
			{"POST", "/api/v1/commands", huge, 413, ""},
			{"POST", "/api/v1/scenarios/compare", `{"scenarios":["baseline"],"trials":10,"extra":true}`, 400, "extra"},
			{"POST", "/api/v1/scenarios/compare", `{"scenarios":["no-such-scenario"]}`, 404, "scenarios[0]"},
			{"GET", "/api/v1/areas?province=Pailin'%20OR%201=1--", nil, 400, "province"},
			{"GET", "/api/v1/areas?status=SHA;DROP%20TABLE%20areas", nil, 400, "status"},
			{"GET", "/api/v1/areas?limit=-1", nil, 400, "limit"},
			{"GET", "/api/v1/areas?limit=1e9", nil, 400, "limit"},
			{"GET", "/api/v1/areas?province=Pailin&sort=id;--", nil, 400, "sort"},
			{"GET", "/api/v1/areas/' OR '1'='1", nil, 400, "id"},
			{"GET", "/api/v1/areas/" + uuid.NewString(), nil, 404, ""},
			{"GET", "/api/v1/workplans/..%2F..%2Fetc%2Fpasswd/2022", nil, 400, "province"},
			{"GET", "/api/v1/workplans/Battambang/2022?format=../../x", nil, 400, "format"},
			{"GET", "/api/v1/workplans/Battambang/abc", nil, 400, "year"},
			{"GET", "/api/v1/state?as_of=2021-02-29", nil, 400, "as_of"},
			{"GET", "/api/v1/audit?from=yesterday", nil, 400, "from"},
			{"GET", "/api/v1/forecast?trials=99999999", nil, 400, "trials"},
			{"GET", "/api/v1/forecast?redeploy=everywhere", nil, 400, "redeploy"},
			{"GET", "/api/v1/forecast?funding=forever", nil, 400, "funding"},
			{"GET", "/api/v1/backtest?trials=5001", nil, 400, "trials"},
			{"GET", "/api/v1/backtest?from=2021&to=2019", nil, 400, "to"},
			{"GET", "/api/v1/backtest?from=1995&to=2021", nil, 400, "to"},
			{"GET", "/api/v1/backtest?from=1989", nil, 400, "from"},
			{"GET", "/api/v1/backtest?from=2030&trials=0", nil, 422, "from"},
			{"GET", "/api/v1/backtest?redeploy=x", nil, 400, "redeploy"},
			{"GET", "/api/v1/backtest?funding=ends", nil, 400, "funding"},
			{"GET", "/api/v1/backtest?seed=-1", nil, 400, "seed"},
			{"GET", "/api/v1/areas?min_sequence=abc", nil, 400, "min_sequence"},
			{"DELETE", "/api/v1/areas", nil, 405, ""},
			{"GET", "/api/v1/no/such/route", nil, 404, ""},
		} {
			var code int
			var body []byte
			if bad.status == 405 || bad.status == 413 || strings.Contains(bad.path, "no/such") || strings.Contains(bad.path, "%2F") {
				code, body = c.do(bad.method, bad.path, bad.body) // not documented paths/methods
			} else {
				code, body = do(bad.method, bad.path, bad.body)
			}
			label := fmt.Sprintf("%s %.90s", bad.method, bad.path)
			if code != bad.status {
				t.Errorf("%s: status %d, want %d: %.300s", label, code, bad.status, body)
				continue
			}
			e := decodeAPIError(t, body)
			if bad.field != "" && e.Error.Field != bad.field {
				t.Errorf("%s: field %q, want %q (%s)", label, e.Error.Field, bad.field, e.Error.Message)
			}
		}
		var after struct{ Sequence uint64 }
		c.getJSON("/api/v1/health", &after)
		if after.Sequence != before.Sequence {
			t.Fatalf("bad input wrote events: sequence %d → %d", before.Sequence, after.Sequence)
		}
	})

	t.Run("read your writes and the event stream", func(t *testing.T) {
		// The stream stays open until the command's sequence is announced
		// (or the test's deadline, see waitBound).
		ctx, cancel := context.WithDeadline(context.Background(), waitBound(t))
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/stream", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("stream content type %q", ct)
		}
		seen := make(chan uint64, 16)
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					var v struct{ Sequence uint64 }
					if json.Unmarshal([]byte(d), &v) == nil {
						seen <- v.Sequence
					}
				}
			}
			close(seen)
		}()
		first := <-seen
		code, body := do("POST", "/api/v1/commands", cmdJSON("RecordEvidence", map[string]any{
			"area_id": areaID, "kind": "DEVICE_FOUND", "observed_on": "2021-12-10", "description": "read-your-writes"}))
		var ans commandAnswer
		if code != 200 || json.Unmarshal(body, &ans) != nil || ans.Applied != 1 || ans.Sequence <= first {
			t.Fatalf("command: %d %s (stream started at %d)", code, body, first)
		}
		var area struct {
			Area struct {
				EvidenceCount int    `json:"evidence_count"`
				LastSequence  uint64 `json:"last_sequence"`
			} `json:"area"`
		}
		c.getJSON(fmt.Sprintf("/api/v1/areas/%s?min_sequence=%d", areaID, ans.Sequence), &area)
		if area.Area.LastSequence != ans.Sequence {
			t.Fatalf("read with min_sequence=%d saw the area at %d", ans.Sequence, area.Area.LastSequence)
		}
		for s := range seen {
			if s >= ans.Sequence {
				return
			}
		}
		t.Fatal("the event stream ended before announcing the command's sequence")
	})
}

// TestServeConcurrentClients: 50 clients send 200 commands each through
// POST /api/v1/commands at once. No answer is a 5xx, every command is
// accepted, and every accepted command is in the history exactly once.
// Under the race detector (20 times slower) each client sends 40: the
// same 50-way concurrency, a fifth of the commands.
func TestServeConcurrentClients(t *testing.T) {
	clients, each := 50, 200
	if raceDetector {
		each = 40
	}
	base := startServe(t, t.TempDir(), "--insecure-local")
	var server5xx, refused atomic.Int64
	ids := make([][]string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(t, base, "")
			area := uuid.New()
			for j := range each {
				var cmd map[string]any
				if j == 0 {
					cmd = cmdJSON("RegisterSuspectedArea", map[string]any{"area_id": area, "province": "Pailin", "hazard": "AP",
						"size_m2": 1_000_000, "registered_on": "2024-01-02", "source": "BLS"})
				} else {
					cmd = cmdJSON("RecordEvidence", map[string]any{"area_id": area, "kind": "WITNESS", "observed_on": "2024-01-03"})
				}
				cmd["command_id"] = uuid.NewString()
				code, body := c.do("POST", "/api/v1/commands", cmd)
				switch {
				case code >= 500:
					server5xx.Add(1)
					t.Errorf("client %d: %d %s", i, code, body)
				case code != 200:
					refused.Add(1)
					t.Errorf("client %d: %d %s", i, code, body)
				default:
					ids[i] = append(ids[i], cmd["command_id"].(string))
				}
			}
		}()
	}
	wg.Wait()
	if server5xx.Load() > 0 || refused.Load() > 0 {
		t.Fatalf("%d 5xx, %d refused", server5xx.Load(), refused.Load())
	}
	c := newClient(t, base, "")
	var health struct{ Sequence uint64 }
	c.getJSON("/api/v1/health", &health)
	if health.Sequence != uint64(clients*each) {
		t.Fatalf("%d events stored for %d accepted commands", health.Sequence, clients*each)
	}
	// Each command's ID is in its area's history once.
	var state struct {
		National struct {
			Areas int `json:"areas"`
		} `json:"national"`
	}
	c.getJSON(fmt.Sprintf("/api/v1/state?min_sequence=%d", health.Sequence), &state)
	if state.National.Areas != clients {
		t.Fatalf("%d areas, want %d", state.National.Areas, clients)
	}
	var areas struct {
		Areas []struct {
			ID            string `json:"id"`
			EvidenceCount int    `json:"evidence_count"`
		} `json:"areas"`
	}
	c.getJSON("/api/v1/areas?limit=100", &areas)
	seen := map[string]int{}
	for _, a := range areas.Areas {
		if a.EvidenceCount != each-1 {
			t.Errorf("area %s: %d evidence, want %d", a.ID, a.EvidenceCount, each-1)
		}
		var d struct {
			History []struct {
				CommandID string `json:"command_id"`
			} `json:"history"`
		}
		c.getJSON("/api/v1/areas/"+a.ID, &d)
		for _, h := range d.History {
			seen[h.CommandID]++
		}
	}
	for _, list := range ids {
		for _, id := range list {
			if seen[id] != 1 {
				t.Fatalf("command %s is in the history %d times", id, seen[id])
			}
		}
	}
}
