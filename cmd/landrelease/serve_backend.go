package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/bus"
	"github.com/landrelease/landrelease/adapters/httpapi"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/scenarios"
)

// apiBackend answers the API from the live read model: the SQL store for
// the register and the audit trail, the projection runner's fold (read
// under its lock) for figures, plans and forecasts, and the event store for
// an area's history and as-of questions. Commands go through the bus; JSON
// Lines batches through the bulk path.
type apiBackend struct {
	rm      *readModel
	bus     *bus.Bus
	country string

	projected atomic.Uint64
	handled   *atomic.Int64 // commands this replica took from the bus
	mu        sync.Mutex
	changed   chan struct{} // closed and replaced at each commit
	subs      map[chan uint64]struct{}
}

var _ httpapi.Backend = (*apiBackend)(nil)

func newAPIBackend(rm *readModel, b *bus.Bus, country string) *apiBackend {
	be := &apiBackend{rm: rm, bus: b, country: country, changed: make(chan struct{}), subs: map[chan uint64]struct{}{}}
	be.projected.Store(rm.runner.Sequence())
	return be
}

// follow keeps the projections live until ctx ends; when the event store or
// the database fails, it waits (growing to 5 s) and follows again from the
// last committed checkpoint, saying so on stderr.
func (b *apiBackend) follow(ctx context.Context, stderr io.Writer) {
	_ = projections.FollowRetrying(ctx, b.rm.runner, b.rm.store, projections.Backoff{}, b.committed, func(err error, attempt int) {
		fmt.Fprintf(stderr, "landrelease: projections paused (attempt %d): %v; they resume from the last checkpoint\n", attempt, err)
	})
}

// committed publishes a new projected sequence to waiters and subscribers.
func (b *apiBackend) committed(seq uint64) {
	b.projected.Store(seq)
	b.mu.Lock()
	close(b.changed)
	b.changed = make(chan struct{})
	for ch := range b.subs {
		select { // keep only the latest for a slow reader
		case <-ch:
		default:
		}
		ch <- seq
	}
	b.mu.Unlock()
}

func (b *apiBackend) Stored(ctx context.Context) (uint64, error) { return b.rm.store.LastSequence(ctx) }

func (b *apiBackend) Handled() int64 {
	if b.handled == nil {
		return 0
	}
	return b.handled.Load()
}
func (b *apiBackend) Projected() uint64 { return b.projected.Load() }

func (b *apiBackend) Quarantined() int {
	n := 0
	b.view(func(f *projections.National) {
		if f != nil {
			n = f.Quarantined
		}
	})
	return n
}

func (b *apiBackend) WaitProjected(ctx context.Context, seq uint64) error {
	for {
		b.mu.Lock()
		ch := b.changed
		b.mu.Unlock()
		if b.projected.Load() >= seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func (b *apiBackend) Subscribe() (<-chan uint64, func()) {
	ch := make(chan uint64, 1)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

func (b *apiBackend) Handle(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error) {
	return b.bus.Send(ctx, env)
}

func (b *apiBackend) HandleBatch(ctx context.Context, envs []domain.CommandEnvelope) []domain.Outcome {
	return b.rm.handler.HandleBatch(ctx, envs, nil)
}

// view runs fn on the live fold.
func (b *apiBackend) view(fn func(n *projections.National)) { b.rm.runner.View(fn) }

// areaJSON is an area of the register in the API.
type areaJSON struct {
	ID                string          `json:"id"`
	Province          string          `json:"province"`
	District          string          `json:"district,omitempty"`
	Commune           string          `json:"commune,omitempty"`
	Village           string          `json:"village,omitempty"`
	Hazard            string          `json:"hazard"`
	Classification    string          `json:"classification"`
	Status            string          `json:"status"`
	Source            string          `json:"source,omitempty"`
	SizeM2            int64           `json:"size_m2"`
	RemainingM2       int64           `json:"remaining_m2"`
	CancelledNTSM2    int64           `json:"cancelled_nts_m2"`
	CancelledDeskM2   int64           `json:"cancelled_desk_m2"`
	ReducedM2         int64           `json:"reduced_m2"`
	ClearedM2         int64           `json:"cleared_m2"`
	ReopenedM2        int64           `json:"reopened_m2"`
	EvidenceCount     int             `json:"evidence_count"`
	DirectEvidence    int             `json:"direct_evidence"`
	LandUse           string          `json:"land_use,omitempty"`
	CasualtiesLast5y  int             `json:"casualties_last_5y"`
	CommunityRequest  bool            `json:"community_request"`
	APMinesDestroyed  int             `json:"ap_mines_destroyed"`
	ATMinesDestroyed  int             `json:"at_mines_destroyed"`
	ERWDestroyed      int             `json:"erw_destroyed"`
	Reclassifications int             `json:"reclassifications"`
	LastOperator      string          `json:"last_operator,omitempty"`
	RegisteredOn      string          `json:"registered_on"`
	LastActivityOn    string          `json:"last_activity_on"`
	ReleasedOn        string          `json:"released_on,omitempty"`
	LastSequence      uint64          `json:"last_sequence"`
	Geometry          json.RawMessage `json:"geometry,omitempty"`
}

func toAreaJSON(a projections.AreaRow) areaJSON {
	out := areaJSON{ID: a.ID.String(), Province: a.Province, District: a.District, Commune: a.Commune, Village: a.Village,
		Hazard: a.Hazard, Classification: a.Classification, Status: a.Status, Source: a.Source, SizeM2: a.SizeM2,
		RemainingM2: a.RemainingM2, CancelledNTSM2: a.CancelledNTSM2, CancelledDeskM2: a.CancelledDeskM2,
		ReducedM2: a.ReducedM2, ClearedM2: a.ClearedM2, ReopenedM2: a.ReopenedM2, EvidenceCount: a.EvidenceCount,
		DirectEvidence: a.DirectEvidence, LandUse: a.LandUse, CasualtiesLast5y: a.CasualtiesLast5y,
		CommunityRequest: a.CommunityRequest, APMinesDestroyed: a.APMinesDestroyed, ATMinesDestroyed: a.ATMinesDestroyed,
		ERWDestroyed: a.ERWDestroyed, Reclassifications: a.Reclassifications, LastOperator: a.LastOperator,
		RegisteredOn: a.RegisteredOn.String(), LastActivityOn: a.LastActivityOn.String(), LastSequence: a.LastSequence}
	if !a.ReleasedOn.IsZero() {
		out.ReleasedOn = a.ReleasedOn.String()
	}
	if len(a.Geometry) > 0 && string(a.Geometry) != "null" {
		out.Geometry = a.Geometry
	}
	return out
}

func (b *apiBackend) Areas(ctx context.Context, q httpapi.AreaQuery) (any, error) {
	rows, err := b.rm.db.Areas(ctx, sqlstore.AreaFilter{Province: q.Province, Status: q.Status, Limit: q.Limit, Offset: q.Offset})
	if err != nil {
		return nil, err
	}
	total := 0
	b.view(func(n *projections.National) {
		for _, a := range n.Areas {
			if (q.Province == "" || a.Province == q.Province) && (q.Status == "" || a.Status == q.Status) {
				total++
			}
		}
	})
	out := make([]areaJSON, len(rows))
	for i, r := range rows {
		out[i] = toAreaJSON(r)
	}
	return map[string]any{"areas": out, "total": total, "limit": q.Limit, "offset": q.Offset}, nil
}

// historyJSON is one event of an area's history.
type historyJSON struct {
	Sequence   uint64       `json:"sequence"`
	EventID    string       `json:"event_id"`
	Type       string       `json:"type"`
	OccurredOn string       `json:"occurred_on"`
	RecordedAt string       `json:"recorded_at"`
	Actor      string       `json:"actor,omitempty"`
	CommandID  string       `json:"command_id"`
	Data       events.Event `json:"data"`
}

func (b *apiBackend) Area(ctx context.Context, id uuid.UUID) (any, error) {
	row, err := b.rm.db.Area(ctx, id)
	if err != nil {
		return nil, err
	}
	envs, _, err := b.rm.store.Load(ctx, events.Ref{Country: b.country, Kind: events.KindArea, ID: id})
	if err != nil {
		return nil, err
	}
	hist := make([]historyJSON, len(envs))
	for i, e := range envs {
		hist[i] = historyJSON{e.Sequence, e.ID.String(), e.Type, e.OccurredOn.String(), e.RecordedAt.UTC().Format(time.RFC3339),
			e.Actor, e.CommandID.String(), e.Data}
	}
	return map[string]any{"area": toAreaJSON(row), "history": hist}, nil
}

func (b *apiBackend) State(ctx context.Context, q httpapi.StateQuery) (any, error) {
	var keep func(events.Envelope) bool
	doc := stateJSON{}
	switch {
	case q.AsOf != nil:
		keep, doc.AsOf = projections.AsOf(*q.AsOf), q.AsOf.String()
	case q.AsRecorded != nil:
		keep, doc.AsRecorded = projections.AsRecorded(*q.AsRecorded), q.AsRecorded.UTC().Format(time.RFC3339)
	}
	if keep != nil {
		fold, err := projections.Replay(ctx, b.rm.store, keep)
		if err != nil {
			return nil, err
		}
		return fillState(doc, fold), nil
	}
	b.view(func(n *projections.National) { doc = fillState(doc, n) })
	return doc, nil
}

func (b *apiBackend) Stats(_ context.Context, q httpapi.StatsQuery) (any, error) {
	var rows []statJSON
	b.view(func(n *projections.National) { rows = statRows(n, q.Year, q.Province) })
	if rows == nil {
		rows = []statJSON{}
	}
	return rows, nil
}

func (b *apiBackend) Audit(ctx context.Context, q httpapi.AuditQuery) (any, error) {
	f := sqlstore.AuditFilter{AreaID: q.Area, From: q.From, To: q.To, Action: q.Action, Flag: q.Flag, Limit: q.Limit}
	var doc map[string]any
	var err error
	b.view(func(n *projections.National) { doc, err = auditDoc(ctx, b.rm.db, n, f, 0) })
	return doc, err
}

func (b *apiBackend) WorkPlan(_ context.Context, q httpapi.WorkPlanQuery) (any, string, []byte, error) {
	crit, err := scenarios.DefaultCriteria()
	if err != nil {
		return nil, "", nil, err
	}
	var plan projections.PlanResult
	b.view(func(n *projections.National) {
		plan = projections.PlanWorkPlan(n, q.Province, q.Year, crit, projections.DefaultForecastConfig())
	})
	var buf bytes.Buffer
	switch q.Format {
	case "csv":
		err = writePlanCSV(&buf, plan)
		return nil, "text/csv; charset=utf-8", buf.Bytes(), err
	case "html":
		err = planHTML.Execute(&buf, plan)
		return nil, "text/html; charset=utf-8", buf.Bytes(), err
	}
	return plan, "", nil, nil
}

func (b *apiBackend) Forecast(ctx context.Context, q httpapi.ForecastQuery) (any, error) {
	cfg := projections.DefaultForecastConfig()
	cfg.Trials = q.Trials
	if q.Seed != nil {
		cfg.Seed = *q.Seed
	}
	if q.Redeploy != "" {
		cfg.Redeploy = q.Redeploy
	}
	if q.Funding != "" {
		cfg.Funding = q.Funding
	}
	if q.AsOf != nil {
		fold, err := projections.Replay(ctx, b.rm.store, projections.KnownAt(*q.AsOf, time.Time{}))
		if err != nil {
			return nil, err
		}
		cfg.AsOf = q.AsOf.AddDays(1)
		return forecastOf(fold, cfg)
	}
	var f any
	var err error
	b.view(func(n *projections.National) { f, err = forecastOf(n, cfg) })
	return f, err
}

func forecastOf(n *projections.National, cfg projections.ForecastConfig) (any, error) {
	if len(n.Areas) == 0 {
		return nil, domain.Errorf(domain.ErrNotFound, "", "the history holds no hazard area to forecast yet")
	}
	return projections.RunForecast(n, cfg), nil
}

// backtestReplayBudget bounds the events one backtest request replays: it
// replays the whole history once per year tested and once more, at about
// 100,000 to 150,000 events a second, so 3 million events keep a request
// to some 20 to 30 s, inside the API's 60 s request timeout. The CLI's
// backtest has no such bound.
const backtestReplayBudget = 3_000_000

// backtestFit is how many years one backtest request may test on a history
// of stored events: at most httpapi.BacktestMaxYears, and no more than the
// replays that fit in backtestReplayBudget (0 or less: none).
func backtestFit(stored uint64) int {
	return min(httpapi.BacktestMaxYears, int(backtestReplayBudget/max(stored, 1))-1)
}

// Backtest backtests the forecast over the history as the event store holds
// it now. Without from or to, the range is the register's second year to the
// last year with a record, cut to the latest httpapi.BacktestMaxYears years
// (or, with from alone, the BacktestMaxYears years from it), and to the
// years whose replays fit in backtestReplayBudget.
func (b *apiBackend) Backtest(ctx context.Context, q httpapi.BacktestQuery) (any, error) {
	stored, err := b.rm.store.LastSequence(ctx)
	if err != nil {
		return nil, err
	}
	fit := backtestFit(stored)
	if fit < 1 {
		return nil, domain.Errorf(domain.ErrInvalid, "", "this history holds %d events, and a backtest replays it once per year tested and once more: "+
			"not even one year fits in a request (at most %d events replayed); run 'landrelease backtest', which has no such bound", stored, backtestReplayBudget)
	}
	cfg := projections.DefaultForecastConfig()
	cfg.Trials = q.Trials
	if q.Seed != nil {
		cfg.Seed = *q.Seed
	}
	if q.Redeploy != "" {
		cfg.Redeploy = q.Redeploy
	}
	from, to := q.From, q.To
	empty := false
	b.view(func(n *projections.National) {
		if len(n.Areas) == 0 {
			empty = true
			return
		}
		first := math.MaxInt
		for k := range n.Stats {
			if k.Method == projections.MethodRegistered && k.Year < first {
				first = k.Year
			}
		}
		last := projections.LastDate(n).Year()
		switch {
		case from == 0 && to == 0:
			from, to = max(first+1, last-fit+1), last
		case from == 0:
			from = max(first+1, to-fit+1)
		case to == 0:
			to = min(last, from+fit-1)
		}
	})
	if empty {
		return nil, domain.Errorf(domain.ErrNotFound, "", "the history holds no hazard area to backtest yet")
	}
	if from > to {
		return nil, domain.Errorf(domain.ErrInvalid, "from", "no year to test: from %d is after to %d (the last year with a record, or the one asked for)", from, to)
	}
	if to-from+1 > fit {
		return nil, domain.Errorf(domain.ErrInvalid, "to", "this history holds %d events, and a backtest replays it once per year tested and once more: "+
			"at most %d years fit in a request (at most %d events replayed), %d asked for; ask for fewer, or run 'landrelease backtest', which has no such bound",
			stored, fit, backtestReplayBudget, to-from+1)
	}
	knownAt := func(d events.Date) (*projections.National, error) {
		return projections.Replay(ctx, b.rm.store, projections.KnownAt(d, time.Time{}))
	}
	bt, err := projections.RunBacktest(knownAt, projections.BacktestConfig{From: from, To: to, Forecast: cfg})
	if err != nil {
		return nil, err
	}
	return bt, nil
}

func (b *apiBackend) Scenarios(context.Context) (any, error) {
	scs, err := scenarios.Shipped(time.Now())
	if err != nil {
		return nil, err
	}
	type entry struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	out := make([]entry, len(scs))
	for i, s := range scs {
		out[i] = entry{s.Name, s.Description}
	}
	return map[string]any{"scenarios": out}, nil
}

func (b *apiBackend) CompareScenarios(ctx context.Context, q httpapi.CompareQuery) (any, error) {
	now := time.Now()
	shipped, err := scenarios.Shipped(now)
	if err != nil {
		return nil, err
	}
	var scs []scenarios.Scenario
	for i, s := range q.Scenarios {
		found := false
		for _, sh := range shipped {
			if sh.Name == s {
				scs, found = append(scs, sh), true
				break
			}
		}
		if found {
			continue
		}
		if !bytes.ContainsAny([]byte(s), ":\n") {
			return nil, domain.Errorf(domain.ErrNotFound, fmt.Sprintf("scenarios[%d]", i), "no shipped scenario %q (GET /api/v1/scenarios lists them); or send the YAML text", s)
		}
		sc, err := scenarios.Load(fmt.Sprintf("scenarios[%d]", i), []byte(s), now)
		if err != nil {
			return nil, domain.Errorf(domain.ErrInvalid, fmt.Sprintf("scenarios[%d]", i), "%v", err)
		}
		scs = append(scs, sc)
	}
	if scs[0].Name != "baseline" {
		scs = append([]scenarios.Scenario{shipped[0]}, scs...)
	}
	cfg := projections.DefaultForecastConfig()
	cfg.Trials = q.Trials
	r := scenarios.Runner{Source: b.rm.store, Country: b.country, Now: time.Now, Forecast: cfg}
	results := make([]scenarios.Result, 0, len(scs))
	for _, sc := range scs {
		if q.Trials > 0 {
			sc.Trials = q.Trials
		}
		res, err := r.Run(ctx, sc)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	return map[string]any{"scenarios": results}, nil
}

// overviewJSON is the dashboard's national overview.
type overviewJSON struct {
	Sequence   uint64                        `json:"sequence"`
	AsOf       string                        `json:"as_of"`
	National   projections.ProvinceFigures   `json:"national"`
	Provinces  []projections.ProvinceFigures `json:"provinces"`
	Years      []projections.YearFigures     `json:"release_by_year"`
	Deployment []deploymentSummary           `json:"capacity"`
	Burndown   burndownJSON                  `json:"burndown"`
}

type deploymentSummary struct {
	Operator    string `json:"operator"`
	Province    string `json:"province"`
	Deployments int    `json:"deployments"`
	Deminers    int    `json:"deminers"`
	Women       int    `json:"women"`
}

// burndownJSON is the overview's burn-down. Actual counts every hazard (the
// register's statistics do not split releases by hazard); the forecast rows
// hold the Article 5 area (deterministic and its Monte Carlo band) and the
// AT/ERW-only area beside it, so that like is compared with like:
// actual against deterministic_m2 + other_m2.
type burndownJSON struct {
	Deadline                *events.Date           `json:"deadline"`
	Actual                  []yearRemainingJSON    `json:"actual"`
	Forecast                []burndownForecastJSON `json:"forecast"`
	Article5RemainingM2     int64                  `json:"article5_remaining_m2"` // now (on the forecast's first day)
	OtherRemainingM2        int64                  `json:"other_remaining_m2"`
	DeterministicCompletion *events.Date           `json:"deterministic_completion"`
	Completion              projections.Completion `json:"completion"`
	ProbabilityByDeadline   float64                `json:"probability_by_deadline"`
	OnTrack                 bool                   `json:"on_track"`
}

type yearRemainingJSON struct {
	Year        int   `json:"year"`
	RemainingM2 int64 `json:"remaining_m2"`
}

type burndownForecastJSON struct {
	Year            int   `json:"year"`
	DeterministicM2 int64 `json:"deterministic_m2"` // Article 5 area
	LowM2           int64 `json:"low_m2"`           // its P10, P50 and P90
	MedianM2        int64 `json:"median_m2"`
	HighM2          int64 `json:"high_m2"`
	OtherM2         int64 `json:"other_m2"` // AT/ERW-only area (deterministic)
}

// overviewTrials keeps the overview quick enough to load on every change.
const overviewTrials = 500

func (b *apiBackend) Overview(context.Context) (any, error) {
	var doc overviewJSON
	b.view(func(n *projections.National) {
		s := projections.Summarize(n)
		doc.Sequence, doc.National, doc.Provinces, doc.Years = n.Sequence, s.National, s.Provinces, projections.ByYear(n.Stats)
		doc.AsOf = projections.LastDate(n).String()
		doc.Deployment = capacitySummary(n)
		doc.Burndown.Actual = actualBurndown(doc.National.RemainingM2, doc.Years)
		if len(n.Areas) == 0 {
			return
		}
		cfg := projections.DefaultForecastConfig()
		cfg.Trials = overviewTrials
		f := projections.RunForecast(n, cfg)
		bd := &doc.Burndown
		bd.Deadline, bd.DeterministicCompletion, bd.Completion = f.Deadline, f.DeterministicCompletion, f.Completion
		bd.ProbabilityByDeadline, bd.OnTrack = f.ProbabilityByDeadline, f.OnTrack
		bd.Article5RemainingM2, bd.OtherRemainingM2 = f.RemainingM2, f.OtherRemainingM2
		band := map[int]projections.YearBand{}
		for _, y := range f.Band {
			band[y.Year] = y
		}
		for _, t := range f.Trajectory {
			y := band[t.Year]
			bd.Forecast = append(bd.Forecast, burndownForecastJSON{t.Year, t.RemainingM2, y.LowM2, y.MedianM2, y.HighM2, t.OtherM2})
		}
	})
	if doc.Provinces == nil {
		doc.Provinces = []projections.ProvinceFigures{}
	}
	if doc.Burndown.Forecast == nil {
		doc.Burndown.Forecast = []burndownForecastJSON{}
	}
	return doc, nil
}

// actualBurndown is the area remaining at the end of each recorded year,
// worked back from what remains now and each year's recorded changes.
func actualBurndown(now int64, years []projections.YearFigures) []yearRemainingJSON {
	out := make([]yearRemainingJSON, len(years))
	rem := now
	for i := len(years) - 1; i >= 0; i-- {
		y := years[i]
		out[i] = yearRemainingJSON{y.Year, rem}
		rem -= y.RegisteredM2 + y.ReopenedM2 + y.CorrectionM2 - y.CancelledNTSM2 - y.CancelledDeskM2 - y.ReducedM2 - y.ClearedM2
	}
	return out
}

func capacitySummary(n *projections.National) []deploymentSummary {
	m := map[[2]string]*deploymentSummary{}
	for _, d := range n.Deployments {
		if d.Withdrawn {
			continue
		}
		k := [2]string{d.Operator, d.Province}
		s, ok := m[k]
		if !ok {
			s = &deploymentSummary{Operator: d.Operator, Province: d.Province}
			m[k] = s
		}
		s.Deployments++
		s.Deminers += d.Deminers
		s.Women += d.Women
	}
	out := make([]deploymentSummary, 0, len(m))
	for _, s := range m {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator != out[j].Operator {
			return out[i].Operator < out[j].Operator
		}
		return out[i].Province < out[j].Province
	})
	return out
}
