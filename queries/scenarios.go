package queries

import (
	"context"
	"fmt"
	"strings"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/scenarios"
)

// ScenarioEntry names a shipped scenario.
type ScenarioEntry struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// ScenarioList is the shipped scenarios: GET /api/v1/scenarios.
type ScenarioList struct {
	Scenarios []ScenarioEntry `json:"scenarios"`
}

// Comparison is scenarios run side by side: `scenario compare --json` and
// POST /api/v1/scenarios/compare.
type Comparison struct {
	Scenarios []scenarios.Result `json:"scenarios"`
}

// Scenarios answers the shipped scenarios.
func (r *Reads) Scenarios(context.Context) (ScenarioList, error) {
	scs, err := scenarios.Shipped(r.now())
	if err != nil {
		return ScenarioList{}, err
	}
	out := make([]ScenarioEntry, len(scs))
	for i, s := range scs {
		out[i] = ScenarioEntry{s.Name, s.Description}
	}
	return ScenarioList{Scenarios: out}, nil
}

// CompareScenarios runs the scenarios of q (names of shipped scenarios or
// YAML texts) on forks of the history, the baseline first.
func (r *Reads) CompareScenarios(ctx context.Context, q CompareQuery) (Comparison, error) {
	now := r.now()
	shipped, err := scenarios.Shipped(now)
	if err != nil {
		return Comparison{}, err
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
		if !strings.ContainsAny(s, ":\n") {
			return Comparison{}, domain.Errorf(domain.ErrNotFound, fmt.Sprintf("scenarios[%d]", i), "no shipped scenario %q (GET /api/v1/scenarios lists them); or send the YAML text", s)
		}
		sc, err := scenarios.Load(fmt.Sprintf("scenarios[%d]", i), []byte(s), now)
		if err != nil {
			return Comparison{}, domain.Errorf(domain.ErrInvalid, fmt.Sprintf("scenarios[%d]", i), "%v", err)
		}
		scs = append(scs, sc)
	}
	if scs[0].Name != "baseline" {
		scs = append([]scenarios.Scenario{shipped[0]}, scs...)
	}
	cfg := projections.DefaultForecastConfig()
	cfg.Trials = q.Trials
	run := scenarios.Runner{Source: r.History, Country: r.Country, Now: r.now, Forecast: cfg}
	results := make([]scenarios.Result, 0, len(scs))
	for _, sc := range scs {
		if q.Trials > 0 {
			sc.Trials = q.Trials
		}
		res, err := run.Run(ctx, sc)
		if err != nil {
			return Comparison{}, err
		}
		results = append(results, res)
	}
	return Comparison{Scenarios: results}, nil
}
