package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/httpapi"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

// fakeBackend answers the API's ports with plain Go values and records the
// query each handler passed it, so that a test sees what parameter parsing
// produced. err, when set, is every query's answer.
type fakeBackend struct {
	err     error
	queries []any // the queries received, in order
	stored  uint64
	handled []domain.CommandEnvelope
}

func (f *fakeBackend) got(q any) error { f.queries = append(f.queries, q); return f.err }

func (f *fakeBackend) Handle(_ context.Context, env domain.CommandEnvelope) (domain.Result, error) {
	f.handled = append(f.handled, env)
	return domain.Result{}, f.err
}
func (f *fakeBackend) HandleBatch(_ context.Context, envs []domain.CommandEnvelope) []domain.Outcome {
	f.handled = append(f.handled, envs...)
	return make([]domain.Outcome, len(envs))
}
func (f *fakeBackend) Stored(context.Context) (uint64, error)      { return f.stored, nil }
func (f *fakeBackend) Projected() uint64                           { return f.stored }
func (f *fakeBackend) WaitProjected(context.Context, uint64) error { return nil }
func (f *fakeBackend) Handled() int64                              { return int64(len(f.handled)) }
func (f *fakeBackend) Quarantined() int                            { return 2 }
func (f *fakeBackend) MapAreas(_ context.Context, province string) ([]queries.Area, error) {
	return nil, f.got(province)
}
func (f *fakeBackend) Subscribe() (<-chan uint64, func()) { return make(chan uint64), func() {} }

func (f *fakeBackend) Areas(_ context.Context, q queries.AreaQuery) (queries.AreaPage, error) {
	return queries.AreaPage{Areas: []queries.Area{{ID: "a1", Province: q.Province}}, Limit: q.Limit, Offset: q.Offset, Total: 7}, f.got(q)
}
func (f *fakeBackend) Area(_ context.Context, id uuid.UUID) (queries.AreaHistory, error) {
	return queries.AreaHistory{Area: queries.Area{ID: id.String()}, History: []queries.HistoryEvent{}}, f.got(id)
}
func (f *fakeBackend) State(_ context.Context, q queries.StateQuery) (queries.State, error) {
	return queries.State{Sequence: 42, Provinces: []projections.ProvinceFigures{}}, f.got(q)
}
func (f *fakeBackend) Stats(_ context.Context, q queries.StatsQuery) ([]queries.StatRow, error) {
	return []queries.StatRow{{Year: q.Year, Province: q.Province, Method: "CLEARANCE", AreaM2: 5}}, f.got(q)
}
func (f *fakeBackend) Audit(_ context.Context, q queries.AuditQuery) (queries.Audit, error) {
	return queries.Audit{Entries: []queries.AuditEntry{}}, f.got(q)
}
func (f *fakeBackend) WorkPlan(_ context.Context, q queries.WorkPlanQuery) (queries.WorkPlan, error) {
	return queries.WorkPlan{Province: q.Province, Year: q.Year}, f.got(q)
}
func (f *fakeBackend) RenderWorkPlan(plan queries.WorkPlan, format, _ string) (string, []byte, error) {
	f.queries = append(f.queries, format)
	return "text/" + format + "; charset=utf-8", []byte(format + " of " + plan.Province), nil
}
func (f *fakeBackend) Article5Plan(_ context.Context, q queries.Article5PlanQuery) (queries.Article5Plan, error) {
	return queries.Article5Plan{AsOf: events.NewDate(2022, 1, 1), Risks: []string{}}, f.got(q)
}
func (f *fakeBackend) RenderArticle5Plan(plan queries.Article5Plan, format string) (string, []byte, error) {
	f.queries = append(f.queries, format)
	return "text/" + format + "; charset=utf-8", []byte(format + " of " + plan.AsOf.String()), nil
}
func (f *fakeBackend) Report(_ context.Context, q queries.ReportQuery) (queries.Report, error) {
	return queries.Report{Year: q.Year, Province: q.Province}, f.got(q)
}
func (f *fakeBackend) RenderReport(r queries.Report, format, _ string) (string, []byte, error) {
	f.queries = append(f.queries, format)
	return "text/" + format + "; charset=utf-8", []byte(format + " of " + strconv.Itoa(r.Year)), nil
}
func (f *fakeBackend) Forecast(_ context.Context, q queries.ForecastQuery) (queries.Forecast, error) {
	return queries.Forecast{}, f.got(q)
}
func (f *fakeBackend) Backtest(_ context.Context, q queries.BacktestQuery) (queries.Backtest, error) {
	return queries.Backtest{}, f.got(q)
}
func (f *fakeBackend) Scenarios(context.Context) (queries.ScenarioList, error) {
	return queries.ScenarioList{Scenarios: []queries.ScenarioEntry{{Name: "baseline", Description: "as recorded"}}}, f.got(nil)
}
func (f *fakeBackend) CompareScenarios(_ context.Context, q queries.CompareQuery) (queries.Comparison, error) {
	return queries.Comparison{}, f.got(q)
}
func (f *fakeBackend) Overview(context.Context) (queries.Overview, error) {
	return queries.Overview{Sequence: 9}, f.got(nil)
}

// get sends one request as the token-less admin of --insecure-local.
func get(t *testing.T, be httpapi.Backend, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	srv := httpapi.New(httpapi.Config{Country: "KH", InsecureLocal: true}, be, nil, nil)
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "127.0.0.1:8080"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w
}

func ptr[T any](v T) *T { return &v }

// TestQueryRoutesParseTheirParameters: each read route answers 200 with the
// backend's document as JSON, and the query the backend gets is what the
// parameters say, defaults filled in and names made canonical.
func TestQueryRoutesParseTheirParameters(t *testing.T) {
	area := uuid.MustParse("017e12ef-9c00-72c3-bc5c-2fc0c282a703")
	d2020 := events.NewDate(2020, 1, 1)
	rec := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		target string
		want   any
		body   string // a fragment of the answer
	}{
		{"/api/v1/areas", queries.AreaQuery{Limit: 100}, `"total": 7`},
		{"/api/v1/areas?province=battambang&status=CHA&limit=5&offset=2", queries.AreaQuery{Province: "Battambang", Status: "CHA", Limit: 5, Offset: 2}, `"province": "Battambang"`},
		{"/api/v1/areas/" + area.String(), area, `"history": []`},
		{"/api/v1/state", queries.StateQuery{}, `"sequence": 42`},
		{"/api/v1/state?as_of=2020-01-01", queries.StateQuery{AsOf: &d2020}, `"sequence": 42`},
		{"/api/v1/state?as_recorded=2021-06-30T00:00:00Z", queries.StateQuery{AsRecorded: &rec}, `"provinces": []`},
		{"/api/v1/stats?year=2022&province=Pailin", queries.StatsQuery{Year: 2022, Province: "Pailin"}, `"method": "CLEARANCE"`},
		{"/api/v1/audit?area=" + area.String() + "&from=2020-01-01&flag=NO_EVIDENCE&action=REGISTERED", queries.AuditQuery{Area: area, From: d2020,
			Flag: "NO_EVIDENCE", Action: "REGISTERED", Limit: 1000}, `"entries": []`},
		{"/api/v1/workplans/Battambang/2022", queries.WorkPlanQuery{Province: "Battambang", Year: 2022}, `"province": "Battambang"`},
		{"/api/v1/forecast?as_of=2020-01-01&trials=50&seed=7&redeploy=POOL&funding=ends", queries.ForecastQuery{AsOf: &d2020, Trials: 50,
			Seed: ptr(uint64(7)), Redeploy: "pool", Funding: "ends"}, `"trials"`},
		{"/api/v1/forecast", queries.ForecastQuery{Trials: 1000}, `"trials"`},
		{"/api/v1/article5-plan", queries.Article5PlanQuery{}, `"risks": []`},
		{"/api/v1/article5-plan?as_of=2020-01-01&as_recorded=2021-06-30T00:00:00Z&redeploy=Largest&funding=ENDS&format=json",
			queries.Article5PlanQuery{AsOf: &d2020, AsRecorded: &rec, Redeploy: "largest", Funding: "ends"}, `"as_of": "2022-01-01"`},
		{"/api/v1/reports/2021", queries.ReportQuery{Year: 2021}, `"year": 2021`},
		{"/api/v1/reports/2021?province=banteay%20meanchey&format=JSON", queries.ReportQuery{Year: 2021, Province: "Banteay Meanchey"}, `"province": "Banteay Meanchey"`},
		{"/api/v1/backtest?from=2019&to=2021&trials=10", queries.BacktestQuery{From: 2019, To: 2021, Trials: 10}, `"years"`},
		{"/api/v1/scenarios", nil, `"name": "baseline"`},
		{"/api/v1/overview", nil, `"sequence": 9`},
	}
	for _, c := range cases {
		be := &fakeBackend{}
		w := get(t, be, "GET", c.target, "")
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("GET %s: %d %q: %s", c.target, w.Code, w.Header().Get("Content-Type"), w.Body)
			continue
		}
		if len(be.queries) != 1 || !reflect.DeepEqual(be.queries[0], c.want) {
			t.Errorf("GET %s: the backend got %#v, want %#v", c.target, be.queries, c.want)
		}
		if !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("GET %s: the answer lacks %s:\n%s", c.target, c.body, w.Body)
		}
	}
}

// TestQueryRoutesRefuseBadParameters: a parameter the route cannot read is
// a 400 naming it, and the backend is never asked.
func TestQueryRoutesRefuseBadParameters(t *testing.T) {
	for _, c := range []struct{ target, field string }{
		{"/api/v1/areas?status=OPEN", "status"},
		{"/api/v1/areas?limit=0", "limit"},
		{"/api/v1/areas?province=Atlantis", "province"},
		{"/api/v1/areas?colour=red", "colour"},
		{"/api/v1/areas/xyz", "id"},
		{"/api/v1/state?as_of=2020-13-01", "as_of"},
		{"/api/v1/state?as_recorded=yesterday", "as_recorded"},
		{"/api/v1/state?as_of=2020-01-01&as_recorded=2021-06-30T00:00:00Z", "as_recorded"},
		{"/api/v1/stats?year=1800", "year"},
		{"/api/v1/audit?flag=WHATEVER", "flag"},
		{"/api/v1/audit?area=nope", "area"},
		{"/api/v1/workplans/Battambang/1800", "year"},
		{"/api/v1/workplans/Nowhere/2022", "province"},
		{"/api/v1/workplans/Battambang/2022?format=pdf", "format"},
		{"/api/v1/article5-plan?as_of=2020-02-30", "as_of"},
		{"/api/v1/article5-plan?as_recorded=yesterday", "as_recorded"},
		{"/api/v1/article5-plan?redeploy=teleport", "redeploy"},
		{"/api/v1/article5-plan?funding=forever", "funding"},
		{"/api/v1/article5-plan?format=pdf", "format"},
		{"/api/v1/article5-plan?trials=10", "trials"},
		{"/api/v1/article5-plan?funding=ends&funding=renewed", "funding"},
		{"/api/v1/article5-plan?as_of=%zz", "as_of"},
		{"/api/v1/reports/1989", "year"},
		{"/api/v1/reports/twenty", "year"},
		{"/api/v1/reports/2021?province=Atlantis", "province"},
		{"/api/v1/reports/2021?format=xlsx", "format"},
		{"/api/v1/reports/2021?year=2020", "year"},
		{"/api/v1/reports/2021?province=Pailin&province=Kep", "province"},
		{"/api/v1/forecast?trials=-1", "trials"},
		{"/api/v1/forecast?redeploy=teleport", "redeploy"},
		{"/api/v1/backtest?from=2022&to=2020", "to"},
		{"/api/v1/backtest?from=2000&to=2020", "to"},
		{"/api/v1/backtest?trials=5001", "trials"},
	} {
		be := &fakeBackend{}
		w := get(t, be, "GET", c.target, "")
		var doc struct{ Error domain.ErrorReport }
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 400 || doc.Error.Kind != "bad_request" || doc.Error.Field != c.field {
			t.Errorf("GET %s: %d %+v, want 400 bad_request on %s (%s)", c.target, w.Code, doc.Error, c.field, w.Body)
		}
		if len(be.queries) != 0 {
			t.Errorf("GET %s: the backend was asked %v", c.target, be.queries)
		}
	}
}

// TestQueryErrorsMapToStatuses: a backend's domain error is answered with
// its kind's status and wire code, the field and message kept; any other
// error is a 500.
func TestQueryErrorsMapToStatuses(t *testing.T) {
	for _, c := range []struct {
		err       error
		code      int
		kind, fld string
	}{
		{domain.Errorf(domain.ErrNotFound, "", "no area 017e"), 404, "not_found", ""},
		{domain.Errorf(domain.ErrInvalid, "to", "at most 2 years fit"), 422, "invalid", "to"},
		{domain.Errorf(domain.ErrConflict, "command_id", "used before"), 409, "conflict", "command_id"},
		{errors.New("disk on fire"), 500, "internal", ""},
	} {
		for _, target := range []string{"/api/v1/state", "/api/v1/areas/017e12ef-9c00-72c3-bc5c-2fc0c282a703", "/api/v1/backtest", "/api/v1/overview"} {
			w := get(t, &fakeBackend{err: c.err}, "GET", target, "")
			var doc struct{ Error domain.ErrorReport }
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != c.code || doc.Error.Kind != c.kind || doc.Error.Field != c.fld ||
				!strings.Contains(doc.Error.Message, strings.TrimPrefix(c.err.Error(), "to: ")) {
				t.Errorf("GET %s with %v: %d %+v, want %d %s on %q", target, c.err, w.Code, doc.Error, c.code, c.kind, c.fld)
			}
		}
	}
}

// TestWorkPlanFormats: the plan is JSON by default, or the backend's
// rendering as CSV (an attachment) or HTML (under its own CSP).
func TestWorkPlanFormats(t *testing.T) {
	for _, c := range []struct{ format, ctype, disposition, csp string }{
		{"json", "application/json; charset=utf-8", "", ""},
		{"csv", "text/csv; charset=utf-8", `attachment; filename="workplan-Banteay_Meanchey-2022.csv"`, ""},
		{"HTML", "text/html; charset=utf-8", "", "style-src 'unsafe-inline'"},
	} {
		be := &fakeBackend{}
		w := get(t, be, "GET", "/api/v1/workplans/banteay%20meanchey/2022?format="+c.format, "")
		if w.Code != 200 || w.Header().Get("Content-Type") != c.ctype || w.Header().Get("Content-Disposition") != c.disposition ||
			!strings.Contains(w.Header().Get("Content-Security-Policy"), c.csp) || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("format %s: %d %v", c.format, w.Code, w.Header())
		}
		want := []any{queries.WorkPlanQuery{Province: "Banteay Meanchey", Year: 2022}}
		if c.format != "json" {
			want = append(want, strings.ToLower(c.format))
			if w.Body.String() != strings.ToLower(c.format)+" of Banteay Meanchey" {
				t.Errorf("format %s: body %q", c.format, w.Body)
			}
		}
		if !reflect.DeepEqual(be.queries, want) {
			t.Errorf("format %s: the backend got %#v, want %#v", c.format, be.queries, want)
		}
	}
}

// TestArticle5PlanAndReportFormats: the Article 5 plan and the annual
// report are JSON by default, or the backend's rendering as CSV (an
// attachment) or HTML (under the printable documents' CSP).
func TestArticle5PlanAndReportFormats(t *testing.T) {
	for _, c := range []struct {
		target, format, ctype, disposition, csp, body string
		query                                         any
	}{
		{"/api/v1/article5-plan?funding=ends&format=", "csv", "text/csv; charset=utf-8", `attachment; filename="article5-plan-2022-01-01.csv"`, "default-src 'none'; frame", "csv of 2022-01-01",
			queries.Article5PlanQuery{Funding: "ends"}},
		{"/api/v1/article5-plan?format=", "Html", "text/html; charset=utf-8", "", "default-src 'none'; style-src 'unsafe-inline'", "html of 2022-01-01", queries.Article5PlanQuery{}},
		{"/api/v1/reports/2021?format=", "csv", "text/csv; charset=utf-8", `attachment; filename="report-2021.csv"`, "default-src 'none'; frame", "csv of 2021", queries.ReportQuery{Year: 2021}},
		{"/api/v1/reports/2021?province=kampong%20speu&format=", "csv", "text/csv; charset=utf-8", `attachment; filename="report-2021-Kampong_Speu.csv"`, "default-src 'none'; frame", "csv of 2021",
			queries.ReportQuery{Year: 2021, Province: "Kampong Speu"}},
		{"/api/v1/reports/2019?format=", "html", "text/html; charset=utf-8", "", "default-src 'none'; style-src 'unsafe-inline'", "html of 2019", queries.ReportQuery{Year: 2019}},
	} {
		be := &fakeBackend{}
		w := get(t, be, "GET", c.target+c.format, "")
		if w.Code != 200 || w.Header().Get("Content-Type") != c.ctype || w.Header().Get("Content-Disposition") != c.disposition ||
			!strings.HasPrefix(w.Header().Get("Content-Security-Policy"), c.csp) || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s%s: %d %v", c.target, c.format, w.Code, w.Header())
		}
		if w.Body.String() != c.body {
			t.Errorf("%s%s: body %q, want %q", c.target, c.format, w.Body, c.body)
		}
		if want := []any{c.query, strings.ToLower(c.format)}; !reflect.DeepEqual(be.queries, want) {
			t.Errorf("%s%s: the backend got %#v, want %#v", c.target, c.format, be.queries, want)
		}
	}
	// A refusal of the backend (an empty history, a year it refuses) is
	// answered as such, never rendered.
	for _, target := range []string{"/api/v1/article5-plan?format=html", "/api/v1/reports/2021?format=csv"} {
		be := &fakeBackend{err: domain.Errorf(domain.ErrInvalid, "year", "outside the history")}
		w := get(t, be, "GET", target, "")
		var doc struct{ Error domain.ErrorReport }
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 422 || doc.Error.Field != "year" || len(be.queries) != 1 {
			t.Errorf("GET %s with a refusal: %d %s, the backend got %v", target, w.Code, w.Body, be.queries)
		}
	}
}

// TestCompareAndHealth: the comparison's body reaches the backend as
// sent, within its bounds; health reads the progress port.
func TestCompareAndHealth(t *testing.T) {
	be := &fakeBackend{}
	w := get(t, be, "POST", "/api/v1/scenarios/compare", `{"scenarios":["baseline","rcaf-2000"],"trials":10}`)
	if want := (queries.CompareQuery{Scenarios: []string{"baseline", "rcaf-2000"}, Trials: 10}); w.Code != 200 || len(be.queries) != 1 || !reflect.DeepEqual(be.queries[0], want) {
		t.Errorf("compare: %d, the backend got %#v: %s", w.Code, be.queries, w.Body)
	}
	for _, body := range []string{`{"scenarios":[]}`, `{"scenarios":["a"],"trials":20001}`, `{"scenarios":["a"],"colour":1}`} {
		be := &fakeBackend{}
		if w := get(t, be, "POST", "/api/v1/scenarios/compare", body); w.Code != 400 || len(be.queries) != 0 {
			t.Errorf("compare %s: %d, the backend got %v", body, w.Code, be.queries)
		}
	}
	w = get(t, &fakeBackend{stored: 12}, "GET", "/api/v1/health", "")
	var h map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &h); err != nil || w.Code != 200 ||
		!reflect.DeepEqual(h, map[string]any{"status": "ok", "sequence": 12.0, "projected": 12.0, "commands_handled": 0.0, "quarantined": 2.0}) {
		t.Errorf("health: %d %v", w.Code, h)
	}
}

// The audit route's action filter and the OpenAPI document's enum list the
// same actions as the fold writes (projections.AuditActions).
func TestAuditActionsMatchTheDocument(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Paths["/api/v1/audit"]["get"].Parameters {
		if p.Name == "action" {
			if !slices.Equal(p.Schema.Enum, projections.AuditActions) {
				t.Errorf("openapi.json's audit actions %v, the fold's %v", p.Schema.Enum, projections.AuditActions)
			}
			return
		}
	}
	t.Fatal("no action parameter on GET /api/v1/audit in openapi.json")
}
