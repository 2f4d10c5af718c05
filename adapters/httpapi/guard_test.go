package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/adapters/httpapi"
)

type answer struct {
	code int
	h    http.Header
	err  struct {
		Kind, Message, Field string
	}
}

// call sends one request to srv as a client of host would.
func call(t *testing.T, srv http.Handler, method, target, host string, header map[string]string, body string) answer {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = host
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	a := answer{code: w.Code, h: w.Header()}
	if w.Code >= 400 {
		var doc struct {
			Error struct{ Kind, Message, Field string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.Error.Kind == "" || doc.Error.Message == "" {
			t.Fatalf("%s %s: %d, not an error document: %s", method, target, w.Code, w.Body)
		}
		a.err = doc.Error
	}
	return a
}

// TestRequestChecks: under --insecure-local (a token-less admin), what a web
// page of another site could send is refused before anything is done: a
// body not declared JSON (415), a foreign Origin, a Host that is not a
// loopback name (DNS rebinding); the server's own pages and scripts keep
// working. Every answer is no-store and carries a CSP.
func TestRequestChecks(t *testing.T) {
	tokens := newTokens(t)
	srv := httpapi.New(httpapi.Config{Country: "KH", InsecureLocal: true}, nil, tokens, nil)
	const host = "127.0.0.1:8080"
	create := `{"name":"%s","role":"analyst"}`
	body := func(name string) string { return strings.Replace(create, "%s", name, 1) }
	refusals := []struct {
		what          string
		method, path  string
		host          string
		header        map[string]string
		code          int
		kind, field   string
		messageQuotes string
	}{
		{"text/plain body", "POST", "/api/v1/tokens", host, map[string]string{"Content-Type": "text/plain"}, 415, "unsupported_media_type", "Content-Type", "text/plain"},
		{"form body", "POST", "/api/v1/tokens", host, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", "Content-Type", "x-www-form-urlencoded"},
		{"no Content-Type", "POST", "/api/v1/tokens", host, nil, 415, "unsupported_media_type", "Content-Type", "missing"},
		{"JSON Lines for a token", "POST", "/api/v1/tokens", host, map[string]string{"Content-Type": "application/x-ndjson"}, 415, "unsupported_media_type", "Content-Type", "application/json"},
		{"not UTF-8", "POST", "/api/v1/tokens", host, map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, 415, "unsupported_media_type", "Content-Type", "UTF-8"},
		{"text/plain command", "POST", "/api/v1/commands", host, map[string]string{"Content-Type": "text/plain"}, 415, "unsupported_media_type", "Content-Type", "application/x-ndjson"},
		{"text/plain scenarios", "POST", "/api/v1/scenarios/compare", host, map[string]string{"Content-Type": "text/plain"}, 415, "unsupported_media_type", "Content-Type", "text/plain"},
		{"foreign Origin", "POST", "/api/v1/tokens", host, map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, 403, "forbidden", "Origin", "evil.example"},
		{"Origin on another port", "POST", "/api/v1/tokens", host, map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:9999"}, 403, "forbidden", "Origin", "9999"},
		{"Origin null", "POST", "/api/v1/tokens", host, map[string]string{"Content-Type": "application/json", "Origin": "null"}, 403, "forbidden", "Origin", "null"},
		{"foreign Origin on DELETE", "DELETE", "/api/v1/tokens/keep", host, map[string]string{"Origin": "http://evil.example"}, 403, "forbidden", "Origin", "evil.example"},
		{"rebound Host", "POST", "/api/v1/tokens", "evil.example:8080", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example:8080"}, 403, "forbidden", "Host", "evil.example"},
		{"rebound Host reading", "GET", "/api/v1/tokens", "evil.example:8080", nil, 403, "forbidden", "Host", "evil.example"},
		{"repeated parameter", "GET", "/api/v1/areas?limit=1&limit=2", host, nil, 400, "bad_request", "limit", "limit"},
		{"repeated parameter on a POST", "POST", "/api/v1/tokens?x=1&x=2", host, map[string]string{"Content-Type": "application/json"}, 400, "bad_request", "x", "x"},
	}
	if _, _, err := tokens.Create(context.Background(), "keep", "analyst"); err != nil {
		t.Fatal(err)
	}
	for i, c := range refusals {
		a := call(t, srv, c.method, c.path, c.host, c.header, body("forged"+string(rune('a'+i))))
		if a.code != c.code || a.err.Kind != c.kind || a.err.Field != c.field || !strings.Contains(a.err.Message, c.messageQuotes) {
			t.Errorf("%s: %d %+v; want %d %s naming %s and %q", c.what, a.code, a.err, c.code, c.kind, c.field, c.messageQuotes)
		}
		if a.h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q on a refusal", c.what, a.h.Get("Cache-Control"))
		}
	}
	if list, err := tokens.List(context.Background()); err != nil || len(list) != 1 || list[0].Name != "keep" || list[0].RevokedAt != nil {
		t.Fatalf("after the refusals the registry is %+v (%v); want keep alone, not revoked", list, err)
	}

	// What works: a script (no Origin), the dashboard (its own Origin), any
	// loopback name, JSON with its charset.
	for i, c := range []struct {
		what   string
		host   string
		header map[string]string
	}{
		{"script", host, map[string]string{"Content-Type": "application/json"}},
		{"own page", host, map[string]string{"Content-Type": "application/json", "Origin": "http://127.0.0.1:8080"}},
		{"localhost", "localhost:8080", map[string]string{"Content-Type": "application/json; charset=utf-8", "Origin": "http://LOCALHOST:8080"}},
		{"IPv6 loopback", "[::1]:8080", map[string]string{"Content-Type": "Application/JSON", "Origin": "http://[::1]:8080"}},
		{"default port", "localhost", map[string]string{"Content-Type": "application/json", "Origin": "http://localhost"}},
	} {
		a := call(t, srv, "POST", "/api/v1/tokens", c.host, c.header, body("ok"+string(rune('a'+i))))
		if a.code != http.StatusCreated {
			t.Errorf("%s: %d %+v, want 201", c.what, a.code, a.err)
		}
		if a.h.Get("Cache-Control") != "no-store" || !strings.Contains(a.h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: the new token's answer has Cache-Control %q, CSP %q", c.what, a.h.Get("Cache-Control"), a.h.Get("Content-Security-Policy"))
		}
	}
	if a := call(t, srv, "GET", "/api/v1/whoami", "localhost:1", nil, ""); a.code != 200 || a.h.Get("Cache-Control") != "no-store" {
		t.Errorf("GET whoami on localhost: %d, Cache-Control %q", a.code, a.h.Get("Cache-Control"))
	}
	if a := call(t, srv, "GET", "/api/v1/nothing", host, nil, ""); a.code != 404 || a.h.Get("Cache-Control") != "no-store" {
		t.Errorf("GET an unknown route: %d, Cache-Control %q", a.code, a.h.Get("Cache-Control"))
	}
}

// TestBearerScheme: the scheme name is matched ignoring case (RFC 9110);
// a malformed Authorization is still a 401. With tokens (no
// --insecure-local) any Host is served: a proxy may name the server.
func TestBearerScheme(t *testing.T) {
	tokens := newTokens(t)
	tok, _, err := tokens.Create(context.Background(), "dara", "analyst")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.Config{Country: "KH"}, nil, tokens, nil)
	for _, auth := range []string{"Bearer " + tok, "bearer " + tok, "BEARER " + tok, "Bearer   " + tok + " "} {
		if a := call(t, srv, "GET", "/api/v1/whoami", "lr.example.org", map[string]string{"Authorization": auth}, ""); a.code != 200 {
			t.Errorf("Authorization %q: %d %+v", auth, a.code, a.err)
		}
	}
	for _, auth := range []string{"Bearer", "Bearer ", "Bearer" + tok, "Basic " + tok, "Token " + tok, "Bearer lrt_nope", tok} {
		a := call(t, srv, "GET", "/api/v1/whoami", "lr.example.org", map[string]string{"Authorization": auth}, "")
		if a.code != 401 || a.err.Kind != "unauthorized" || a.h.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d %+v, want 401 unauthorized with WWW-Authenticate", auth, a.code, a.err)
		}
	}
	// A foreign Origin is refused even with a token.
	a := call(t, srv, "POST", "/api/v1/commands", "lr.example.org",
		map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json", "Origin": "https://evil.example"}, "{}")
	if a.code != 403 || a.err.Field != "Origin" {
		t.Errorf("foreign Origin with a token: %d %+v", a.code, a.err)
	}
}
