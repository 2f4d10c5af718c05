package httpapi

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// jsonType is the media type of a JSON body; commandTypes adds the JSON
// Lines types a batch of commands may be sent as.
const jsonType = "application/json"

var commandTypes = []string{jsonType, "application/x-ndjson", "application/jsonl"}

// checkRequest refuses, before any authentication or work, a request a web
// page could have forged or that would be read ambiguously:
//   - a query parameter given twice (the API never takes lists: a second
//     value must not be dropped silently);
//   - under --insecure-local, a Host that is not a loopback name, so that a
//     page of another site whose name was made to resolve to 127.0.0.1 (DNS
//     rebinding) cannot talk to the token-less admin;
//   - on a state-changing method, an Origin other than this server's own (a
//     script or the CLI sends none; the dashboard sends its own);
//   - on a POST, a body that is not declared JSON: a form or a text/plain
//     request, which a page of another site may send without asking, is
//     refused with 415.
func (s *Server) checkRequest(r *http.Request, rt route) error {
	if _, err := parseQuery(r.URL.RawQuery); err != nil {
		return err
	}
	if s.cfg.InsecureLocal && !loopbackHost(r.Host) {
		return &Error{Status: http.StatusForbidden, Kind: KindForbidden, Field: "Host",
			Message: fmt.Sprintf("Host %q is not a loopback name: with --insecure-local the API answers only requests addressed to localhost, 127.0.0.1 or [::1] (against DNS rebinding); to reach it by another name, serve with tokens", r.Host)}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r) {
		return &Error{Status: http.StatusForbidden, Kind: KindForbidden, Field: "Origin",
			Message: fmt.Sprintf("Origin %q is not this server's (%s): a request that changes state is taken from the server's own pages, or from a client that sends no Origin (a script, the CLI)", origin, r.Host)}
	}
	if r.Method == http.MethodPost {
		return checkContentType(r, rt.bodyTypes)
	}
	return nil
}

// checkContentType refuses with 415 a body whose Content-Type is not one of
// types (application/json when types is empty), or not UTF-8.
func checkContentType(r *http.Request, types []string) error {
	if len(types) == 0 {
		types = []string{jsonType}
	}
	raw := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(raw)
	ok := err == nil && slices.Contains(types, strings.ToLower(mt))
	if cs, has := params["charset"]; ok && has && !strings.EqualFold(cs, "utf-8") {
		ok = false
	}
	if ok {
		return nil
	}
	got := fmt.Sprintf("%q", raw)
	if raw == "" {
		got = "missing"
	}
	return &Error{Status: http.StatusUnsupportedMediaType, Kind: KindUnsupportedMediaType, Field: "Content-Type",
		Message: fmt.Sprintf("Content-Type %s: send the body as %s (UTF-8)", got, strings.Join(types, " or "))}
}

// loopbackHost says whether a Host header names this machine's loopback:
// localhost or a loopback address, with any port.
func loopbackHost(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin says whether origin (scheme://host[:port]) is the origin of
// the server r was sent to: the same host and port (a missing port being
// the scheme's default).
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.User != nil {
		return false // "null" (a sandboxed frame or a file) among them
	}
	def := "80"
	if u.Scheme == "https" {
		def = "443"
	}
	split := func(hostport string) (string, string) {
		h, p, err := net.SplitHostPort(hostport)
		if err != nil {
			return strings.Trim(hostport, "[]"), def
		}
		return h, p
	}
	oh, op := split(u.Host)
	rh, rp := split(r.Host)
	return strings.EqualFold(oh, rh) && op == rp
}
