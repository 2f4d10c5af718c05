package queries

import (
	"context"
	"errors"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// Article5Plan is the costed multi-year work plan of an Article 5
// extension request (Oslo Action Plan Action 23): `article5-plan --format
// json`. It comes from the forecast's own deterministic run, so it never
// disagrees with Forecast for the same settings. GET /api/v1/article5-plan
// serves it (docs/api.md).
type Article5Plan = projections.Article5Plan

// Article5PlanQuery configures the plan as a forecast is configured, less
// the Monte Carlo trials: the plan is the deterministic run.
type Article5PlanQuery struct {
	AsOf       *events.Date // plan from what was known at the end of this day
	AsRecorded *time.Time   // keep only events recorded by this instant
	Redeploy   string       // one of projections.RedeployPolicies; "" the default
	Funding    string       // one of projections.FundingPolicies; "" the default
}

// Article5Plan answers the plan on the live fold or, with q.AsOf or
// q.AsRecorded, on a replay of what was known then.
func (r *Reads) Article5Plan(ctx context.Context, q Article5PlanQuery) (Article5Plan, error) {
	cfg := forecastConfig(0, nil, q.Redeploy, q.Funding)
	if q.AsOf == nil && q.AsRecorded == nil {
		var p Article5Plan
		var err error
		r.Fold.View(func(n *projections.National) { p, err = Article5PlanOf(n, cfg) })
		return p, err
	}
	var keep func(events.Envelope) bool
	var recorded time.Time
	if q.AsRecorded != nil {
		recorded = *q.AsRecorded
		keep = projections.AsRecorded(recorded)
	}
	if q.AsOf != nil {
		keep, cfg.AsOf = projections.KnownAt(*q.AsOf, recorded), q.AsOf.AddDays(1)
	}
	fold, err := projections.Replay(ctx, r.History, keep)
	if err != nil {
		return Article5Plan{}, err
	}
	return Article5PlanOf(fold, cfg)
}

// Article5PlanOf builds the plan from a fold; a refused setting is an
// ErrInvalid error naming it, an empty history ErrNotFound.
func Article5PlanOf(n *projections.National, cfg projections.ForecastConfig) (Article5Plan, error) {
	p, err := projections.RunArticle5Plan(n, cfg)
	var ie *projections.PlanInputError
	switch {
	case err == nil:
		return p, nil
	case errors.As(err, &ie):
		return Article5Plan{}, domain.Errorf(domain.ErrInvalid, ie.Field, "%s", ie.Reason)
	case errors.Is(err, projections.ErrNothingToPlan):
		return Article5Plan{}, domain.Errorf(domain.ErrNotFound, "", "the history holds no hazard area to plan yet")
	}
	return Article5Plan{}, err
}
