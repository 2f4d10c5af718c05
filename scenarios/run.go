package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
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

// Runner runs scenarios against a source of recorded history.
type Runner struct {
	Source   projections.Source
	Country  string
	Now      func() time.Time
	Forecast projections.ForecastConfig
}

// Run forks the history, applies the scenario's commands to the fork and
// forecasts. A refused hypothetical command fails the run with its error.
func (r Runner) Run(ctx context.Context, sc Scenario) (Result, error) {
	res := Result{Name: sc.Name, Description: sc.Description, File: sc.File}
	var keep func(events.Envelope) bool
	if !sc.AsOf.IsZero() {
		keep = projections.KnownAt(sc.AsOf, time.Time{}) // field facts by then, plans as recorded
	}
	fork, err := memory.FromReplay(ctx, r.Source, keep)
	if err != nil {
		return res, fmt.Errorf("scenario %s: fork the history: %w", sc.Name, err)
	}
	base, err := projections.Replay(ctx, fork, nil)
	if err != nil {
		return res, err
	}
	asOf := sc.AsOf.AddDays(1)
	if sc.AsOf.IsZero() {
		asOf = projections.ForecastStart(base)
	}
	hc := domain.DefaultHandlerConfig()
	hc.Country = r.Country
	if r.Now != nil {
		hc.Now = r.Now
	}
	h, err := domain.NewHandler(fork, hc)
	if err != nil {
		return res, err
	}
	if err := h.Warm(ctx); err != nil {
		return res, err
	}
	if err := apply(ctx, h, sc, sc.Commands, sc.lines); err != nil {
		return res, err
	}
	if c := sc.FundingCut; c != nil {
		after, err := projections.Replay(ctx, fork, nil)
		if err != nil {
			return res, err
		}
		var cuts []domain.CommandEnvelope
		for y := c.FromYear; y <= c.ToYear; y++ {
			amount := int64(c.Share * projections.AnnualCost(after, y))
			if amount <= 0 {
				continue
			}
			cuts = append(cuts, domain.CommandEnvelope{Actor: "scenario", Command: domain.RecordFundingShortfall{
				Year: y, AmountUSD: amount, Reason: fmt.Sprintf("scenario %s: %.0f%% funding cut", sc.Name, 100*c.Share)}})
		}
		if err := apply(ctx, h, sc, cuts, nil); err != nil {
			return res, err
		}
		res.Commands += len(cuts)
	}
	res.Commands += len(sc.Commands)
	fold, err := projections.Replay(ctx, fork, nil)
	if err != nil {
		return res, err
	}
	fc := r.Forecast
	fc.AsOf = asOf
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
	res.Forecast = projections.RunForecast(fold, fc)
	return res, nil
}

func apply(ctx context.Context, h *domain.Handler, sc Scenario, envs []domain.CommandEnvelope, lines []int) error {
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
