package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// FundingCut is a share of every year's deployment cost that does not
// arrive, from one year to another: it becomes one RecordFundingShortfall
// per year.
type FundingCut struct {
	Share    float64
	FromYear int
	ToYear   int
}

// Scenario is one what-if question.
type Scenario struct {
	Name         string
	Description  string
	File         string      // where it was loaded from, for messages
	AsOf         events.Date // base: the history as of this date; zero: the whole history
	Commands     []domain.CommandEnvelope
	FundingCut   *FundingCut
	SurveyFactor float64  // multiplies the survey (NTS) rate learned from the history; 0 means unchanged
	Trials       int      // Monte Carlo trials; 0 keeps the runner's
	Redeploy     string   // redeployment policy (projections.RedeployPolicies); "" keeps the runner's
	Funding      string   // capacity after the last pledged year (projections.FundingPolicies); "" keeps the runner's
	CancelShare  *float64 // replaces the learned NTS cancellation share (0..1); nil keeps it
	// SurveyTeams NTS teams of SurveyM2PerTeamYear m² each replace the
	// learned survey rate; 0 teams keeps it.
	SurveyTeams         int
	SurveyM2PerTeamYear float64
	// QAVisitsPerYear is checked against the forecast's releases (Result.QA);
	// the forecast has no QA model, so it changes nothing else. 0: no check.
	QAVisitsPerYear int
	Moves           []Move // clearance capacity moved between provinces, in order
	// AccessOpens sets the date access opens to the access-restricted land
	// of a province (access_opens), on the fork.
	AccessOpens []AccessOpens

	lines []int // line of each command in File
}

// Move moves Deminers deminers of clearance capacity from one province to
// another on a day: on the scenario's fork of the history, the deployments
// of From active the day before are withdrawn that day (oldest ID first,
// until enough deminers are found) and redeployed from On, the moved
// deminers in To and any remainder in From, with the same operator, method,
// productivity, working days, planned end and cost per deminer.
type Move struct {
	From     string
	To       string
	Deminers int
	On       events.Date
}

// AccessOpens is the date access opens to the restricted land of a
// province. On the scenario's fork, each area of Province restricted on
// the history has its restriction lifted on On when On is not after the
// fork's today (a lift cannot be dated in the future), or else lifted and
// recorded again with On as its expected opening date, which the forecast
// takes as the day the area becomes workable (docs/forecast.md). Both are
// dated on the restriction's own start, so the history before is unchanged.
type AccessOpens struct {
	Province string
	On       events.Date
}

// Result is a scenario's forecast.
type Result struct {
	Name        string               `json:"name"`
	Description string               `json:"description,omitempty"`
	File        string               `json:"file,omitempty"`
	Commands    int                  `json:"hypothetical_commands"`
	Forecast    projections.Forecast `json:"forecast"`
	QA          *QACheck             `json:"qa_check,omitempty"`
}

// QACheck sets a scenario's QA capacity against the forecast's releases.
// It is a check only: the forecast has no QA model, so QA capacity changes
// no date or figure of the forecast.
type QACheck struct {
	VisitsPerYear int      `json:"qa_visits_per_year"`
	Years         []QAYear `json:"years"` // forecast years with release, until national completion
	Note          string   `json:"note"`
}

// QAYear is one forecast year's release (cancelled + reduced + cleared m²,
// deterministic) and the area each QA visit would have to cover.
type QAYear struct {
	Year       int   `json:"year"`
	ReleasedM2 int64 `json:"released_m2"`
	M2PerVisit int64 `json:"m2_per_qa_visit"`
}

// qaNote says what the QA check is and is not.
const qaNote = "constraint check only: the forecast has no QA model, so QA capacity does not change the forecast; compare m² per QA visit with what the national authority's QA teams can monitor"

func qaCheck(visits int, f projections.Forecast) *QACheck {
	q := &QACheck{VisitsPerYear: visits, Years: []QAYear{}, Note: qaNote}
	last := f.Horizon.Year()
	if f.DeterministicCompletion != nil {
		last = f.DeterministicCompletion.Year()
	}
	for y := f.AsOf.Year(); y <= last; y++ {
		r, ok := f.Release[y]
		if !ok {
			continue
		}
		m2 := int64(math.Round(r[0] + r[1] + r[2]))
		q.Years = append(q.Years, QAYear{Year: y, ReleasedM2: m2, M2PerVisit: m2 / int64(visits)})
	}
	return q
}

// Runner runs scenarios against a source of recorded history. It reads and
// folds each base (the whole history, or the history as of a date) once, the
// first time a scenario needs it; every scenario then starts from a copy of
// that fold and of that history, so the scenarios one Runner runs are
// compared on the same history. Not safe for concurrent use.
type Runner struct {
	Source   projections.Source
	Country  string
	Now      func() time.Time
	Forecast projections.ForecastConfig

	bases map[events.Date]*base // by base date; zero: the whole history
}

// base is a scenario's starting point: the history forked into memory and
// its fold. Neither is ever changed: each run works on copies.
type base struct {
	history *memory.Store
	fold    *projections.National
	start   events.Date // the forecast's first day
}

// base forks and folds the history of the base asOf (zero: all of it), once.
func (r *Runner) base(ctx context.Context, asOf events.Date) (*base, error) {
	if b, ok := r.bases[asOf]; ok {
		return b, nil
	}
	var keep func(events.Envelope) bool
	if !asOf.IsZero() {
		keep = projections.KnownAt(asOf, time.Time{}) // field facts by then, plans as recorded
	}
	history, err := memory.FromReplay(ctx, r.Source, keep)
	if err != nil {
		return nil, fmt.Errorf("fork the history: %w", err)
	}
	fold, err := projections.Replay(ctx, history, nil)
	if err != nil {
		return nil, err
	}
	b := &base{history: history, fold: fold, start: asOf.AddDays(1)}
	if asOf.IsZero() {
		b.start = projections.ForecastStart(fold)
	}
	if r.bases == nil {
		r.bases = make(map[events.Date]*base)
	}
	r.bases[asOf] = b
	return b, nil
}

// Run forks the history, applies the scenario's commands to the fork and
// forecasts. A refused hypothetical command fails the run with its error.
func (r *Runner) Run(ctx context.Context, sc Scenario) (Result, error) {
	res := Result{Name: sc.Name, Description: sc.Description, File: sc.File}
	b, err := r.base(ctx, sc.AsOf)
	if err != nil {
		return res, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	fork, fold := b.history.Fork(0), b.fold.Clone()
	hc := handling.DefaultHandlerConfig()
	hc.Country = r.Country
	if r.Now != nil {
		hc.Now = r.Now
	}
	h, err := handling.NewHandler(fork, hc)
	if err != nil {
		return res, err
	}
	if err := h.Warm(ctx); err != nil {
		return res, err
	}
	if err := apply(ctx, h, sc, sc.Commands, sc.lines); err != nil {
		return res, err
	}
	res.Commands = len(sc.Commands)
	if err := catchUp(ctx, fork, fold); err != nil {
		return res, err
	}
	for i, mv := range sc.Moves {
		cmds, err := moveCommands(sc, i, mv, fold)
		if err != nil {
			return res, err
		}
		if err := apply(ctx, h, sc, cmds, nil); err != nil {
			return res, err
		}
		res.Commands += len(cmds)
		if err := catchUp(ctx, fork, fold); err != nil {
			return res, err
		}
	}
	if len(sc.AccessOpens) > 0 {
		today := events.DateOf(time.Now())
		if r.Now != nil {
			today = events.DateOf(r.Now())
		}
		cmds := accessCommands(sc, today, fold)
		if err := apply(ctx, h, sc, cmds, nil); err != nil {
			return res, err
		}
		res.Commands += len(cmds)
		if err := catchUp(ctx, fork, fold); err != nil {
			return res, err
		}
	}
	if sc.FundingCut != nil {
		cuts := fundingCuts(sc, fold)
		if err := apply(ctx, h, sc, cuts, nil); err != nil {
			return res, err
		}
		res.Commands += len(cuts)
		if err := catchUp(ctx, fork, fold); err != nil {
			return res, err
		}
	}
	res.Forecast = projections.RunForecast(fold, r.forecastConfig(sc, b.start))
	if sc.QAVisitsPerYear > 0 {
		res.QA = qaCheck(sc.QAVisitsPerYear, res.Forecast)
	}
	return res, nil
}

// moveCommands are the hypothetical commands of move i: withdraw enough of
// From's capacity active the day before On, and deploy it again from On,
// the moved part in To and the rest in From. Too few deminers in From is
// refused, naming the move.
func moveCommands(sc Scenario, i int, mv Move, fold *projections.National) ([]domain.CommandEnvelope, error) {
	var ds []*projections.DeploymentRow
	for _, d := range fold.Deployments {
		if d.Province == mv.From && d.From.Before(mv.On) && (d.To.IsZero() || !d.To.Before(mv.On)) {
			ds = append(ds, d)
		}
	}
	slices.SortFunc(ds, func(a, b *projections.DeploymentRow) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	have := 0
	for _, d := range ds {
		have += d.Deminers
	}
	if have < mv.Deminers {
		return nil, domain.Errorf(domain.ErrInvalid, fmt.Sprintf("move[%d].deminers", i),
			"%s: %d deminers to move from %s on %s, but only %d are deployed there the day before", sc.File, mv.Deminers, mv.From, mv.On, have)
	}
	ns := events.NameID("scenario", sc.File, sc.Name, "move", strconv.Itoa(i))
	env := func(k int, c domain.Command) domain.CommandEnvelope {
		return domain.CommandEnvelope{ID: events.DerivedID(ns, "command", k, time.Unix(0, 0)), Actor: "scenario", Command: c}
	}
	var out []domain.CommandEnvelope
	left := mv.Deminers
	for _, d := range ds {
		if left == 0 {
			break
		}
		n := min(left, d.Deminers)
		left -= n
		out = append(out, env(len(out), domain.WithdrawCapacity{DeploymentID: d.ID, On: mv.On.AddDays(-1),
			Reason: fmt.Sprintf("scenario %s: %d deminers moved to %s", sc.Name, n, mv.To)}))
		women := d.Women * n / d.Deminers
		cost := d.AnnualCostUSD * int64(n) / int64(d.Deminers)
		part := func(province string, deminers, women int, cost int64) {
			out = append(out, env(len(out), domain.DeployCapacity{
				DeploymentID: events.DerivedID(ns, "deployment", len(out), time.Unix(0, 0)),
				Operator:     d.Operator, Province: province, Method: events.ClearanceMethod(d.Method), Deminers: deminers,
				From: mv.On, To: d.To, Women: women, ProductivityM2PerDeminerDay: d.ProductivityM2PerDeminerDay,
				WorkingDaysPerYear: d.WorkingDaysPerYear, AnnualCostUSD: cost}))
		}
		part(mv.To, n, women, cost)
		if rest := d.Deminers - n; rest > 0 {
			part(mv.From, rest, d.Women-women, d.AnnualCostUSD-cost)
		}
	}
	return out, nil
}

// accessCommands are the hypothetical commands of the scenario's
// access_opens entries (see AccessOpens), areas in ID order.
func accessCommands(sc Scenario, today events.Date, fold *projections.National) []domain.CommandEnvelope {
	ns := events.NameID("scenario", sc.File, sc.Name, "access_opens")
	var out []domain.CommandEnvelope
	add := func(c domain.Command) {
		out = append(out, domain.CommandEnvelope{ID: events.DerivedID(ns, "command", len(out), time.Unix(0, 0)), Actor: "scenario", Command: c})
	}
	for _, ao := range sc.AccessOpens {
		var as []*projections.AreaRow
		for _, a := range fold.Areas {
			if a.Province == ao.Province && a.Restricted() && a.RemainingM2 > 0 {
				as = append(as, a)
			}
		}
		slices.SortFunc(as, func(a, b *projections.AreaRow) int { return bytes.Compare(a.ID[:], b.ID[:]) })
		reason := fmt.Sprintf("scenario %s: access opens in %s on %s", sc.Name, ao.Province, ao.On)
		for _, a := range as {
			if !ao.On.After(today) {
				add(domain.LiftAccessRestriction{AreaID: a.ID, On: maxDate(ao.On, a.RestrictedSince), Reason: reason})
				continue
			}
			add(domain.LiftAccessRestriction{AreaID: a.ID, On: a.RestrictedSince, Reason: reason})
			add(domain.RestrictAccess{AreaID: a.ID, On: a.RestrictedSince, Reason: a.RestrictionReason, ExpectedUntil: ao.On})
		}
	}
	return out
}

func maxDate(a, b events.Date) events.Date {
	if a.After(b) {
		return a
	}
	return b
}

// fundingCuts are the shortfalls of the scenario's funding cut: its share
// of each year's cost of the capacity in fold.
func fundingCuts(sc Scenario, fold *projections.National) []domain.CommandEnvelope {
	c := sc.FundingCut
	var cuts []domain.CommandEnvelope
	for y := c.FromYear; y <= c.ToYear; y++ {
		amount := int64(c.Share * projections.AnnualCost(fold, y))
		if amount <= 0 {
			continue
		}
		cuts = append(cuts, domain.CommandEnvelope{Actor: "scenario", Command: domain.RecordFundingShortfall{
			Year: y, AmountUSD: amount, Reason: fmt.Sprintf("scenario %s: %.0f%% funding cut", sc.Name, 100*c.Share)}})
	}
	return cuts
}

// catchUp folds the events the scenario added to its fork of the history.
func catchUp(ctx context.Context, fork *memory.Store, fold *projections.National) error {
	return fork.Replay(ctx, fold.Sequence+1, func(e events.Envelope) error {
		fold.Apply(e)
		return nil
	})
}

// forecastConfig is the runner's forecast with the scenario's changes, from
// the day start.
func (r *Runner) forecastConfig(sc Scenario, start events.Date) projections.ForecastConfig {
	fc := r.Forecast
	fc.AsOf = start
	if sc.SurveyFactor > 0 {
		fc.SurveyFactor = sc.SurveyFactor
	}
	if sc.Trials > 0 {
		fc.Trials = sc.Trials
	}
	if sc.Redeploy != "" {
		fc.Redeploy = sc.Redeploy
	}
	if sc.Funding != "" {
		fc.Funding = sc.Funding
	}
	if sc.CancelShare != nil {
		fc.CancelShare = sc.CancelShare
	}
	if sc.SurveyTeams > 0 {
		fc.SurveyM2PerYear = float64(sc.SurveyTeams) * sc.SurveyM2PerTeamYear
	}
	return fc
}

func apply(ctx context.Context, h *handling.Handler, sc Scenario, envs []domain.CommandEnvelope, lines []int) error {
	for i, o := range h.HandleBatch(ctx, envs, nil) {
		if o.Err != nil {
			where := sc.File
			if i < len(lines) {
				where = fmt.Sprintf("%s:%d", sc.File, lines[i])
			}
			return fmt.Errorf("%s: commands[%d] (%s) refused on the history: %w", where, i, o.Command, o.Err)
		}
	}
	return nil
}
