package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

// query reads a route's query parameters: an unknown one is a 400 (a typo
// must not silently widen a filter), and every value is checked.
type query struct {
	v   url.Values
	err error
}

func newQuery(r *http.Request, allowed ...string) *query {
	q := &query{}
	v, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		q.fail(err)
	}
	q.v = v
	allowed = append(allowed, "min_sequence")
	for k := range q.v {
		if !slices.Contains(allowed, k) {
			q.fail(badRequest(k, "unknown query parameter %q; this route takes %s", k, strings.Join(allowed, ", ")))
		}
	}
	return q
}

// parseQuery parses a raw query string. It does so itself rather than with
// url.Values, which drops what it cannot parse (a ';', a bad escape): a
// filter must never vanish silently. A parameter given twice is
// an error naming it (no route takes a list; keeping one of the values
// would silently drop the other). The values parsed are returned even with
// an error.
func parseQuery(raw string) (url.Values, error) {
	v := url.Values{}
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(rawKey)
		value, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil {
			fail(badRequest(key, "malformed query parameter %q: bad %%-escape", pair))
			continue
		}
		if v.Has(key) {
			fail(badRequest(key, "query parameter %q is given more than once; give it once (no parameter takes a list)", key))
		}
		v.Add(key, value)
	}
	return v, first
}

func (q *query) fail(err error) {
	if q.err == nil {
		q.err = err
	}
}

func (q *query) str(name string) string { return strings.TrimSpace(q.v.Get(name)) }

func (q *query) integer(name string, def, lo, hi int) int {
	s := q.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.fail(badRequest(name, "want a whole number from %d to %d, got %q", lo, hi, s))
		return def
	}
	return n
}

func (q *query) date(name string) *events.Date {
	s := q.str(name)
	if s == "" {
		return nil
	}
	d, err := events.ParseDate(s)
	if err != nil {
		q.fail(badRequest(name, "want a date YYYY-MM-DD: %v", err))
		return nil
	}
	return &d
}

// instant reads an RFC 3339 instant; nil when absent.
func (q *query) instant(name string) *time.Time {
	v := q.str(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		q.fail(badRequest(name, "want an RFC 3339 instant such as 2021-06-30T00:00:00Z, got %q", v))
		return nil
	}
	return &t
}

// seed reads a Monte Carlo seed (any unsigned 64-bit number); nil when absent.
func (q *query) seed(name string) *uint64 {
	v := q.str(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		q.fail(badRequest(name, "want a whole number from 0 to %d, got %q", uint64(math.MaxUint64), v))
		return nil
	}
	return &n
}

// lowerOneOf reads one of lower-case values, ignoring case; "" when absent.
func (q *query) lowerOneOf(name string, values ...string) string {
	s := strings.ToLower(q.str(name))
	if s != "" && !slices.Contains(values, s) {
		q.fail(badRequest(name, "want one of %s, got %q", strings.Join(values, ", "), q.str(name)))
		return ""
	}
	return s
}

func (q *query) oneOf(name string, values ...string) string {
	s := strings.ToUpper(q.str(name))
	if s != "" && !slices.Contains(values, s) {
		q.fail(badRequest(name, "want one of %s, got %q", strings.Join(values, ", "), q.str(name)))
		return ""
	}
	return s
}

// province checks a province name against the gazetteer and returns its
// canonical spelling.
func (q *query) province(country, name, value string) string {
	if value == "" {
		return ""
	}
	p, ok := domain.CanonicalProvince(country, value)
	if !ok {
		q.fail(badRequest(name, "unknown province %q; one of %s", value, strings.Join(domain.Provinces(country), ", ")))
	}
	return p
}

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	stored, err := s.backend.Stored(r.Context())
	if err != nil {
		return err
	}
	doc := map[string]any{"status": "ok", "sequence": stored, "projected": s.backend.Projected(),
		"commands_handled": s.backend.Handled(), "quarantined": s.backend.Quarantined()}
	if o, ok := s.backend.(OfficeReporter); ok {
		if st, ok := o.OfficeStatus(r.Context()); ok {
			doc["office"] = st // a provincial office: link, last sync, commands pending
		}
	}
	if b, ok := s.backend.(BackupReporter); ok {
		doc["backup"] = b.BackupStatus()
	}
	if s.cfg.Building != nil {
		if err := s.cfg.Building(); err != nil {
			doc["read_model"] = err.Error() // still being built: reads answer 503
		}
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// OfficeReporter is what a backend of a provincial office adds: its sync
// state (docs/operations.md, "Provincial office"), served as "office" in
// /api/v1/health and shown on every dashboard page. ok is false elsewhere.
type OfficeReporter interface {
	OfficeStatus(ctx context.Context) (status any, ok bool)
}

// BackupReporter is a Backend that takes scheduled backups: the health
// document shows their status under "backup" (the last good one, the last
// failure since, the next one due).
type BackupReporter interface {
	BackupStatus() any
}

func (s *Server) whoami(w http.ResponseWriter, _ *http.Request, p *domain.Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"name": p.Name, "role": p.Role.String()})
	return nil
}

func (s *Server) areas(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "province", "status", "limit", "offset")
	aq := AreaQuery{
		Province: q.province(s.cfg.Country, "province", q.str("province")),
		Status:   q.oneOf("status", "SHA", "CHA", "RELEASED"),
		Limit:    q.integer("limit", 100, 1, 10_000),
		Offset:   q.integer("offset", 0, 0, 1<<31-1),
	}
	if q.err != nil {
		return q.err
	}
	doc, err := s.backend.Areas(r.Context(), aq)
	return answer(w, doc, err)
}

func (s *Server) area(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return badRequest("id", "want an area ID (a UUID), got %q", r.PathValue("id"))
	}
	doc, err := s.backend.Area(r.Context(), id)
	return answer(w, doc, err)
}

func (s *Server) state(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "as_of", "as_recorded")
	sq := StateQuery{AsOf: q.date("as_of"), AsRecorded: q.instant("as_recorded")}
	if sq.AsOf != nil && sq.AsRecorded != nil {
		q.fail(badRequest("as_recorded", "give as_of or as_recorded, not both"))
	}
	if q.err != nil {
		return q.err
	}
	doc, err := s.backend.State(r.Context(), sq)
	return answer(w, doc, err)
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "year", "province")
	sq := StatsQuery{Year: q.integer("year", 0, 1990, 2100), Province: q.province(s.cfg.Country, "province", q.str("province"))}
	if q.err != nil {
		return q.err
	}
	doc, err := s.backend.Stats(r.Context(), sq)
	return answer(w, doc, err)
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "area", "from", "to", "action", "flag", "limit")
	aq := AuditQuery{
		Action: q.oneOf("action", projections.AuditActions...),
		Flag: q.oneOf("flag", "NO_EVIDENCE", "DESK_CANCELLATION", "CANCELLED_CHA", "DOWNGRADED", "CHA_WITHOUT_DIRECT",
			"SIZE_CORRECTION", "SIZE_CORRECTED_10X", "RESIDUAL_CONTAMINATION", "QUARANTINED"),
		Limit: q.integer("limit", 1000, 1, 100_000),
	}
	if v := q.str("area"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			q.fail(badRequest("area", "want an area ID (a UUID), got %q", v))
		}
		aq.Area = id
	}
	if d := q.date("from"); d != nil {
		aq.From = *d
	}
	if d := q.date("to"); d != nil {
		aq.To = *d
	}
	if q.err != nil {
		return q.err
	}
	doc, err := s.backend.Audit(r.Context(), aq)
	return answer(w, doc, err)
}

func (s *Server) workplan(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "format", "lang")
	format := q.format()
	lang := q.lowerOneOf("lang", s.cfg.Languages...)
	var wq WorkPlanQuery
	wq.Province = q.province(s.cfg.Country, "province", r.PathValue("province"))
	wq.Year = q.pathYear(r)
	if q.err != nil {
		return q.err
	}
	plan, err := s.backend.WorkPlan(r.Context(), wq)
	if err != nil || format == "" {
		return answer(w, plan, err)
	}
	ctype, body, err := s.backend.RenderWorkPlan(plan, format, lang)
	if err != nil {
		return err
	}
	return writeRendered(w, format, ctype, body, fmt.Sprintf("workplan-%s-%d.csv", strings.ReplaceAll(wq.Province, " ", "_"), wq.Year))
}

// format reads the format parameter of a document route: "" (JSON, the
// default), "csv" or "html"; case is ignored.
func (q *query) format() string {
	format := strings.ToLower(q.str("format"))
	if format == "json" {
		format = ""
	}
	if format != "" && format != "csv" && format != "html" {
		q.fail(badRequest("format", "want json, csv or html, got %q", q.str("format")))
		return ""
	}
	return format
}

// pathYear reads the {year} path segment: a year from 1990 to 2100.
func (q *query) pathYear(r *http.Request) int {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || year < 1990 || year > 2100 {
		q.fail(badRequest("year", "want a year from 1990 to 2100, got %q", r.PathValue("year")))
	}
	return year
}

// writeRendered writes a document the backend rendered as CSV (an
// attachment named csvName) or printable HTML (under its own CSP).
func writeRendered(w http.ResponseWriter, format, ctype string, body []byte, csvName string) error {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if format == "html" {
		// The printable document: its own inline style, and nothing else.
		w.Header().Set("Content-Security-Policy", workPlanCSP)
	}
	if format == "csv" {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, csvName))
	}
	_, err := w.Write(body)
	return err
}

func (s *Server) article5Plan(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "as_of", "as_recorded", "redeploy", "funding", "format")
	format := q.format()
	aq := Article5PlanQuery{AsOf: q.date("as_of"), AsRecorded: q.instant("as_recorded"),
		Redeploy: q.lowerOneOf("redeploy", projections.RedeployPolicies...),
		Funding:  q.lowerOneOf("funding", projections.FundingPolicies...)}
	if q.err != nil {
		return q.err
	}
	plan, err := s.backend.Article5Plan(r.Context(), aq)
	if err != nil || format == "" {
		return answer(w, plan, err)
	}
	ctype, body, err := s.backend.RenderArticle5Plan(plan, format)
	if err != nil {
		return err
	}
	return writeRendered(w, format, ctype, body, fmt.Sprintf("article5-plan-%s.csv", plan.AsOf))
}

func (s *Server) report(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "province", "format", "lang")
	format := q.format()
	lang := q.lowerOneOf("lang", s.cfg.Languages...)
	rq := ReportQuery{Year: q.pathYear(r), Province: q.province(s.cfg.Country, "province", q.str("province"))}
	if q.err != nil {
		return q.err
	}
	doc, err := s.backend.Report(r.Context(), rq)
	if err != nil || format == "" {
		return answer(w, doc, err)
	}
	ctype, body, err := s.backend.RenderReport(doc, format, lang)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("report-%d.csv", rq.Year)
	if rq.Province != "" {
		name = fmt.Sprintf("report-%d-%s.csv", rq.Year, strings.ReplaceAll(rq.Province, " ", "_"))
	}
	return writeRendered(w, format, ctype, body, name)
}

// workPlanCSP lets the printable documents (work plan, Article 5 plan,
// annual report) use their inline style sheet and the font inlined in a
// Khmer one, and load or run nothing at all.
const workPlanCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; font-src data:"

func (s *Server) forecast(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "as_of", "trials", "seed", "redeploy", "funding")
	fq := ForecastQuery{AsOf: q.date("as_of"), Trials: q.integer("trials", 1000, 0, 100_000), Seed: q.seed("seed"),
		Redeploy: q.lowerOneOf("redeploy", projections.RedeployPolicies...),
		Funding:  q.lowerOneOf("funding", projections.FundingPolicies...)}
	if q.err != nil {
		return q.err
	}
	doc, err := s.backend.Forecast(r.Context(), fq)
	return answer(w, doc, err)
}

// Bounds of GET /api/v1/backtest: each year tested replays the history once
// and runs a Monte Carlo forecast, so trials and years are bounded to keep
// one request to seconds on the demo (and within the request timeout on a
// history 100 times its size).
const (
	BacktestMaxTrials = 5_000
	BacktestMaxYears  = queries.BacktestMaxYears
)

func (s *Server) backtest(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	q := newQuery(r, "from", "to", "trials", "seed", "redeploy")
	bq := BacktestQuery{From: q.integer("from", 0, 1990, 2100), To: q.integer("to", 0, 1990, 2100),
		Trials: q.integer("trials", 1000, 0, BacktestMaxTrials), Seed: q.seed("seed"),
		Redeploy: q.lowerOneOf("redeploy", projections.RedeployPolicies...)}
	if q.err == nil && bq.From != 0 && bq.To != 0 {
		if bq.From > bq.To {
			q.fail(badRequest("to", "want a year at or after from (%d), got %d", bq.From, bq.To))
		} else if bq.To-bq.From >= BacktestMaxYears {
			q.fail(badRequest("to", "at most %d years per request: from %d, want to ≤ %d, got %d", BacktestMaxYears, bq.From, bq.From+BacktestMaxYears-1, bq.To))
		}
	}
	if q.err != nil {
		return q.err
	}
	doc, err := s.backend.Backtest(r.Context(), bq)
	return answer(w, doc, err)
}

func (s *Server) scenarios(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	doc, err := s.backend.Scenarios(r.Context())
	return answer(w, doc, err)
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	var cq CompareQuery
	if err := decodeBody(r, &cq); err != nil {
		return err
	}
	if len(cq.Scenarios) == 0 || len(cq.Scenarios) > 8 {
		return badRequest("scenarios", "want 1 to 8 scenario names or YAML documents, got %d", len(cq.Scenarios))
	}
	if cq.Trials < 0 || cq.Trials > 20_000 {
		return badRequest("trials", "want 0 to 20,000, got %d", cq.Trials)
	}
	doc, err := s.backend.CompareScenarios(r.Context(), cq)
	return answer(w, doc, err)
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	doc, err := s.backend.Overview(r.Context())
	return answer(w, doc, err)
}

// answer writes a document of the query port as JSON, or returns its error.
func answer[D any](w http.ResponseWriter, doc D, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// decodeBody reads one JSON object into v, refusing unknown fields and
// trailing data.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("", "one JSON object expected; found more after it")
	}
	return nil
}

// jsonError turns a JSON decoding error into a 400 that names the field
// and where, or a 413 for a body over the limit.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("", "empty body; a JSON object is expected")
	case errors.As(err, &se):
		return badRequest("", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return badRequest(te.Field, "%s: want a JSON %s, got %s", te.Field, te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(f, "unknown field %q", f)
	}
	return badRequest("", "malformed JSON: %v", err)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	list, err := s.tokens.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	var req struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	token, info, err := s.tokens.Create(r.Context(), req.Name, req.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token, "name": info.Name, "role": info.Role, "created_at": info.CreatedAt,
		"note": "the token is shown once; keep it secret"})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	info, err := s.tokens.Revoke(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// openapi serves the OpenAPI document.
func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ *domain.Principal) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := io.Copy(w, bytes.NewReader(OpenAPI))
	return err
}
