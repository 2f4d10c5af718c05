package scenarios

import (
	"context"
	"fmt"
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
	SurveyFactor float64 // multiplies the survey (NTS) rate learned from the history; 0 means unchanged
	Trials       int     // Monte Carlo trials; 0 keeps the runner's
	Redeploy     string  // redeployment policy (projections.RedeployPolicies); "" keeps the runner's
	Funding      string  // capacity after the last pledged year (projections.FundingPolicies); "" keeps the runner's

	lines []int // line of each command in File
}

// Result is a scenario's forecast.
type Result struct {
	Name        string               `json:"name"`
	Description string               `json:"description,omitempty"`
	File        string               `json:"file,omitempty"`
	Commands    int                  `json:"hypothetical_commands"`
	Forecast    projections.Forecast `json:"forecast"`
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
	return res, nil
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
