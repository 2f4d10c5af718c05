package queries

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/scenarios"
)

// Forecast is the Article 5 completion forecast: `forecast --json` and
// GET /api/v1/forecast.
type Forecast = projections.Forecast

// Backtest is the forecast tested against the record: `backtest --json` and
// GET /api/v1/backtest.
type Backtest = projections.Backtest

// WorkPlan is a province's annual work plan: `workplan --format json` and
// GET /api/v1/workplans/{province}/{year}.
type WorkPlan = projections.PlanResult

// WorkPlan answers the plan of a province for a year on the live fold, by
// the shipped criteria.
func (r *Reads) WorkPlan(_ context.Context, q WorkPlanQuery) (WorkPlan, error) {
	crit, err := scenarios.DefaultCriteria()
	if err != nil {
		return WorkPlan{}, err
	}
	var plan WorkPlan
	r.Fold.View(func(n *projections.National) {
		plan, err = projections.WorkPlanFor(n, q.Province, q.Year, crit, projections.DefaultForecastConfig())
	})
	return plan, WorkPlanError(err)
}

// WorkPlanError turns a refused work-plan input into the domain's invalid
// error naming the field.
func WorkPlanError(err error) error {
	var pe *projections.PlanInputError
	if errors.As(err, &pe) {
		return domain.Errorf(domain.ErrInvalid, pe.Field, "%s", pe.Reason)
	}
	return err
}

// Forecast answers a forecast on the live fold, or, with q.AsOf, on what
// was known at the end of that day.
func (r *Reads) Forecast(ctx context.Context, q ForecastQuery) (Forecast, error) {
	cfg := forecastConfig(q.Trials, q.Seed, q.Redeploy, q.Funding)
	if q.AsOf != nil {
		fold, err := projections.Replay(ctx, r.History, projections.KnownAt(*q.AsOf, time.Time{}))
		if err != nil {
			return Forecast{}, err
		}
		cfg.AsOf = q.AsOf.AddDays(1)
		return forecastOf(fold, cfg)
	}
	var f Forecast
	var err error
	r.Fold.View(func(n *projections.National) { f, err = forecastOf(n, cfg) })
	return f, err
}

// forecastConfig is the default forecast with the query's trials and, when
// given, its seed and policies.
func forecastConfig(trials int, seed *uint64, redeploy, funding string) projections.ForecastConfig {
	cfg := projections.DefaultForecastConfig()
	cfg.Trials = trials
	if seed != nil {
		cfg.Seed = *seed
	}
	if redeploy != "" {
		cfg.Redeploy = redeploy
	}
	if funding != "" {
		cfg.Funding = funding
	}
	return cfg
}

func forecastOf(n *projections.National, cfg projections.ForecastConfig) (Forecast, error) {
	if len(n.Areas) == 0 {
		return Forecast{}, domain.Errorf(domain.ErrNotFound, "", "the history holds no hazard area to forecast yet")
	}
	return projections.RunForecast(n, cfg), nil
}

// BacktestMaxYears bounds the years one backtest request tests.
const BacktestMaxYears = 10

// BacktestReplayBudget bounds the events one backtest request replays: it
// replays the whole history once per year tested and once more, at about
// 100,000 to 150,000 events a second, so 3 million events keep a request
// to some 20 to 30 s, inside the API's 60 s request timeout. The CLI's
// backtest has no such bound.
const BacktestReplayBudget = 3_000_000

// BacktestFit is how many years one backtest request may test on a history
// of stored events: at most BacktestMaxYears, and no more than the replays
// that fit in BacktestReplayBudget (0 or less: none).
func BacktestFit(stored uint64) int {
	return min(BacktestMaxYears, int(BacktestReplayBudget/max(stored, 1))-1)
}

// Backtest backtests the forecast over the history as the event store holds
// it now, within BacktestReplayBudget. Without from or to, the range is the
// register's second year to the last year with a record, cut to the latest
// BacktestMaxYears years (or, with from alone, the BacktestMaxYears years
// from it), and to the years whose replays fit in the budget.
func (r *Reads) Backtest(ctx context.Context, q BacktestQuery) (Backtest, error) {
	stored, err := r.History.LastSequence(ctx)
	if err != nil {
		return Backtest{}, err
	}
	fit := BacktestFit(stored)
	if fit < 1 {
		return Backtest{}, domain.Errorf(domain.ErrInvalid, "", "this history holds %d events, and a backtest replays it once per year tested and once more: "+
			"not even one year fits in a request (at most %d events replayed); run 'landrelease backtest', which has no such bound", stored, BacktestReplayBudget)
	}
	cfg := forecastConfig(q.Trials, q.Seed, q.Redeploy, "")
	from, to := q.From, q.To
	empty := false
	r.Fold.View(func(n *projections.National) {
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
		return Backtest{}, domain.Errorf(domain.ErrNotFound, "", "the history holds no hazard area to backtest yet")
	}
	if from > to {
		return Backtest{}, domain.Errorf(domain.ErrInvalid, "from", "no year to test: from %d is after to %d (the last year with a record, or the one asked for)", from, to)
	}
	if to-from+1 > fit {
		return Backtest{}, domain.Errorf(domain.ErrInvalid, "to", "this history holds %d events, and a backtest replays it once per year tested and once more: "+
			"at most %d years fit in a request (at most %d events replayed), %d asked for; ask for fewer, or run 'landrelease backtest', which has no such bound",
			stored, fit, BacktestReplayBudget, to-from+1)
	}
	knownAt := func(d events.Date) (*projections.National, error) {
		return projections.Replay(ctx, r.History, projections.KnownAt(d, time.Time{}))
	}
	return projections.RunBacktest(knownAt, projections.BacktestConfig{From: from, To: to, Forecast: cfg})
}
