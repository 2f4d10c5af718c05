package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/landrelease/landrelease/domain"
)

// Config configures the API server.
type Config struct {
	Country string
	// InsecureLocal accepts requests without a token as the admin "local";
	// only for a server listening on loopback (New refuses otherwise).
	InsecureLocal bool
	// MaxBodyBytes limits a request body (default 8 MiB).
	MaxBodyBytes int64
	// ReadYourWritesTimeout bounds how long a read with min_sequence waits
	// for the projections (default 5 s).
	ReadYourWritesTimeout time.Duration
	// RequestTimeout bounds one request's work (default 60 s; the event
	// stream is exempt).
	RequestTimeout time.Duration
	Log            *slog.Logger
	// Boundaries is a GeoJSON FeatureCollection of province boundaries
	// served at /api/v1/map/boundaries for the map (nil: 404); the map
	// shows its "attribution" member, if any, as the credit line.
	Boundaries []byte
	// Basemap is the offline basemap served at /api/v1/map/basemap/ (nil:
	// none; the map shows the boundaries only).
	Basemap Basemap
	// Languages are the codes ?lang= takes for the printable HTML
	// documents (the backend renders them; default: en only). cmd passes
	// the dashboard's catalogues.
	Languages []string
	// Building, when set and answering an error, says that the read model
	// is still being built (a serve started on a large history not
	// projected yet): every read of the read model answers 503 with that
	// error's message and Retry-After, while commands, health, whoami,
	// tokens and the event stream answer as usual.
	Building func() error
}

func (c *Config) defaults() {
	if len(c.Languages) == 0 {
		c.Languages = []string{"en"}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.ReadYourWritesTimeout <= 0 {
		c.ReadYourWritesTimeout = 5 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Server is the API: routes under /api/v1/, and any other path handed to
// the dashboard (or 404).
type Server struct {
	cfg     Config
	backend Backend
	tokens  *Tokens
	mux     *http.ServeMux
	routes  []route
	closing chan struct{} // closed when the server shuts down
	tiles   mapTiles
}

// access says who may call a route.
type access int

const (
	public   access = iota // no token needed
	readers                // any principal
	planners               // admin and planner
	admins                 // admin only
	commands               // any principal; the domain decides per command
)

type route struct {
	method, path string
	access       access
	h            func(w http.ResponseWriter, r *http.Request, p *domain.Principal) error
	stream       bool     // long-lived: no request timeout
	bodyTypes    []string // media types a POST may send (default application/json)
	model        bool     // reads the read model: 503 while it is built (Config.Building)
}

// New returns the API over backend, with tokens checked against tokens (nil
// only with InsecureLocal), and dashboard (may be nil) served for every
// path outside /api/.
func New(cfg Config, backend Backend, tokens *Tokens, dashboard http.Handler) *Server {
	cfg.defaults()
	s := &Server{cfg: cfg, backend: backend, tokens: tokens, mux: http.NewServeMux(), closing: make(chan struct{})}
	s.routes = []route{
		{method: "GET", path: "/api/v1/health", access: public, h: s.health},
		{method: "GET", path: "/api/v1/openapi.json", access: public, h: s.openapi},
		{method: "GET", path: "/api/v1/whoami", access: readers, h: s.whoami},
		{method: "POST", path: "/api/v1/commands", access: commands, h: s.commands, bodyTypes: commandTypes},
		{method: "GET", path: "/api/v1/areas", access: readers, h: s.areas, model: true},
		{method: "GET", path: "/api/v1/areas/{id}", access: readers, h: s.area, model: true},
		{method: "GET", path: "/api/v1/state", access: readers, h: s.state, model: true},
		{method: "GET", path: "/api/v1/stats", access: readers, h: s.stats, model: true},
		{method: "GET", path: "/api/v1/audit", access: readers, h: s.audit, model: true},
		{method: "GET", path: "/api/v1/workplans/{province}/{year}", access: readers, h: s.workplan, model: true},
		{method: "GET", path: "/api/v1/article5-plan", access: readers, h: s.article5Plan, model: true},
		{method: "GET", path: "/api/v1/reports/{year}", access: readers, h: s.report, model: true},
		{method: "GET", path: "/api/v1/forecast", access: readers, h: s.forecast, model: true},
		{method: "GET", path: "/api/v1/backtest", access: readers, h: s.backtest, model: true},
		{method: "GET", path: "/api/v1/scenarios", access: readers, h: s.scenarios, model: true},
		{method: "POST", path: "/api/v1/scenarios/compare", access: planners, h: s.compare, model: true},
		{method: "GET", path: "/api/v1/overview", access: readers, h: s.overview, model: true},
		{method: "GET", path: "/api/v1/map/tiles/{z}/{x}/{y}", access: readers, h: s.mapTile, model: true},
		{method: "GET", path: "/api/v1/map/boundaries", access: readers, h: s.mapBoundaries},
		{method: "GET", path: "/api/v1/map", access: readers, h: s.mapInfo, model: true},
		{method: "GET", path: "/api/v1/map/basemap/{z}/{x}/{y}", access: readers, h: s.basemapTile},
		{method: "GET", path: "/api/v1/stream", access: readers, h: s.stream, stream: true},
		{method: "GET", path: "/api/v1/tokens", access: admins, h: s.listTokens},
		{method: "POST", path: "/api/v1/tokens", access: admins, h: s.createToken},
		{method: "DELETE", path: "/api/v1/tokens/{name}", access: admins, h: s.revokeToken},
	}
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.HandleFunc("/api/", s.noRoute)
	if dashboard != nil {
		s.mux.Handle("/", dashboard)
	}
	return s
}

// Routes lists "METHOD /path" of every API route (for the OpenAPI test).
func (s *Server) Routes() []string {
	out := make([]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.method + " " + rt.path
	}
	return out
}

// apiCSP is the Content-Security-Policy of every API answer: none of them is
// a page to render with anything (the printable work plan sets its own).
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		// Every API answer, errors included, is for this caller only and
		// now: no cache keeps it (a new token above all).
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", apiCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
	}
	s.mux.ServeHTTP(w, r)
}

// noRoute answers an /api/ path no route matches: 405 when the path exists
// with another method, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/api/" && pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, &Error{Status: http.StatusMethodNotAllowed, Kind: KindMethod,
			Message: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))})
		return
	}
	writeError(w, &Error{Status: http.StatusNotFound, Kind: KindNotFound,
		Message: fmt.Sprintf("no API route %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path)})
}

// wrap applies, in one place, what every route needs: the request checks
// (checkRequest), authentication and
// the role check, the body limit, the request timeout, read-your-writes
// and the error mapping.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var p *domain.Principal
		err := s.checkRequest(r, rt)
		if err == nil {
			p, err = s.authenticate(r, rt.access)
		}
		if err == nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
			if !rt.stream {
				ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
				defer cancel()
				r = r.WithContext(ctx)
			}
		}
		if err == nil && rt.model && s.cfg.Building != nil {
			if berr := s.cfg.Building(); berr != nil {
				// Expected while serve starts: answered at once (not after
				// a read-your-writes wait), not logged as a failure.
				w.Header().Set("Retry-After", "10")
				writeError(w, &Error{Status: 503, Kind: KindUnavailable, Message: berr.Error()})
				s.cfg.Log.Debug("api", "method", r.Method, "path", r.URL.Path, "status", 503, "building", berr)
				return
			}
		}
		if err == nil {
			err = s.readYourWrites(r)
		}
		if err == nil {
			err = rt.h(w, r, p)
		}
		if err != nil {
			e := toError(err)
			if e.Status >= 500 {
				s.cfg.Log.Error("api", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
			}
			writeError(w, e)
		}
		s.cfg.Log.Debug("api", "method", r.Method, "path", r.URL.Path, "took", time.Since(start))
	})
}

func (s *Server) authenticate(r *http.Request, a access) (*domain.Principal, error) {
	if a == public {
		return nil, nil
	}
	var p *domain.Principal
	auth := r.Header.Get("Authorization")
	switch {
	case auth != "":
		// RFC 9110 §11.1: the scheme name is case-insensitive.
		scheme, token, ok := strings.Cut(strings.TrimSpace(auth), " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, &Error{Status: 401, Kind: KindUnauthorized, Message: "Authorization must be 'Bearer <token>'"}
		}
		if s.tokens == nil {
			return nil, &Error{Status: 401, Kind: KindUnauthorized, Message: "this server has no token registry"}
		}
		var err error
		if p, err = s.tokens.Authenticate(r.Context(), token); err != nil {
			return nil, err
		}
	case s.cfg.InsecureLocal:
		p = &domain.Principal{Name: "local", Role: domain.Role{Kind: domain.RoleAdmin}}
	default:
		return nil, &Error{Status: 401, Kind: KindUnauthorized,
			Message: "a token is required: send 'Authorization: Bearer <token>' (create one with 'landrelease token create --role analyst --name NAME')"}
	}
	forbid := func(what string) error {
		return &Error{Status: 403, Kind: KindForbidden, Message: fmt.Sprintf("%s (%s) may not %s", p.Name, p.Role, what)}
	}
	switch a {
	case admins:
		if p.Role.Kind != domain.RoleAdmin {
			return nil, forbid("manage tokens: admin only")
		}
		if s.tokens == nil {
			return nil, &Error{Status: 404, Kind: KindNotFound, Message: "this server has no token registry"}
		}
	case planners:
		if p.Role.Kind != domain.RoleAdmin && p.Role.Kind != domain.RolePlanner {
			return nil, forbid("run scenarios: planners and admins only")
		}
	case commands:
		if p.Role.Kind == domain.RoleAnalyst {
			return nil, forbid("send commands: analysts read only")
		}
	}
	return p, nil
}

// readYourWrites waits, for a read that asks with ?min_sequence=N or the
// header Lr-Min-Sequence, until the projections have applied event N.
func (s *Server) readYourWrites(r *http.Request) error {
	v := r.URL.Query().Get("min_sequence")
	field := "min_sequence"
	if v == "" {
		v, field = r.Header.Get("Lr-Min-Sequence"), "Lr-Min-Sequence"
	}
	if v == "" || r.Method != http.MethodGet {
		return nil
	}
	seq, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return badRequest(field, "want a sequence number (the \"sequence\" of a command's answer), got %q", v)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadYourWritesTimeout)
	defer cancel()
	if err := s.backend.WaitProjected(ctx, seq); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return &Error{Status: 503, Kind: KindUnavailable, Field: field,
				Message: fmt.Sprintf("the projections have not reached sequence %d within %s (at %d); retry", seq, s.cfg.ReadYourWritesTimeout, s.backend.Projected())}
		}
		return err
	}
	return nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests in flight finish (they are bounded by
// RequestTimeout), and ends event streams.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.cfg.InsecureLocal {
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
			return fmt.Errorf("--insecure-local serves without tokens and is allowed on a loopback address only, not %s", ln.Addr())
		}
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// Requests in flight finish on shutdown: their context is not the
		// server's; event streams end through RegisterOnShutdown.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	hs.RegisterOnShutdown(func() { close(s.closing) })
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Requests in flight may take up to RequestTimeout; give them that.
	shut, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout+time.Second)
	defer cancel()
	err := hs.Shutdown(shut)
	<-done
	return err
}
