package queries

import (
	"context"
	"sort"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// Overview is the dashboard's national overview: GET /api/v1/overview.
type Overview struct {
	Sequence   uint64                        `json:"sequence"`
	AsOf       string                        `json:"as_of"`
	National   projections.ProvinceFigures   `json:"national"`
	Provinces  []projections.ProvinceFigures `json:"provinces"`
	Years      []projections.YearFigures     `json:"release_by_year"`
	Deployment []DeploymentSummary           `json:"capacity"`
	Burndown   Burndown                      `json:"burndown"`
}

// DeploymentSummary is the capacity of one operator in one province.
type DeploymentSummary struct {
	Operator    string `json:"operator"`
	Province    string `json:"province"`
	Deployments int    `json:"deployments"`
	Deminers    int    `json:"deminers"`
	Women       int    `json:"women"`
}

// Burndown is the overview's burn-down. Actual counts every hazard (the
// register's statistics do not split releases by hazard); the forecast rows
// hold the Article 5 area (deterministic and its Monte Carlo band) and the
// AT/ERW-only area beside it, so that like is compared with like:
// actual against deterministic_m2 + other_m2.
type Burndown struct {
	Deadline                *events.Date           `json:"deadline"`
	Actual                  []YearRemaining        `json:"actual"`
	Forecast                []BurndownForecast     `json:"forecast"`
	Article5RemainingM2     int64                  `json:"article5_remaining_m2"` // now (on the forecast's first day)
	OtherRemainingM2        int64                  `json:"other_remaining_m2"`
	DeterministicCompletion *events.Date           `json:"deterministic_completion"`
	Completion              projections.Completion `json:"completion"`
	ProbabilityByDeadline   float64                `json:"probability_by_deadline"`
	OnTrack                 bool                   `json:"on_track"`
}

// YearRemaining is the area remaining at the end of a year.
type YearRemaining struct {
	Year        int   `json:"year"`
	RemainingM2 int64 `json:"remaining_m2"`
}

// BurndownForecast is one forecast year of the burn-down.
type BurndownForecast struct {
	Year            int   `json:"year"`
	DeterministicM2 int64 `json:"deterministic_m2"` // Article 5 area
	LowM2           int64 `json:"low_m2"`           // its P10, P50 and P90
	MedianM2        int64 `json:"median_m2"`
	HighM2          int64 `json:"high_m2"`
	OtherM2         int64 `json:"other_m2"` // AT/ERW-only area (deterministic)
}

// OverviewTrials keeps the overview quick enough to load on every change.
const OverviewTrials = 500

// OverviewOf builds the overview of a fold.
func OverviewOf(n *projections.National) Overview {
	var doc Overview
	s := projections.Summarize(n)
	doc.Sequence, doc.National, doc.Provinces, doc.Years = n.Sequence, s.National, s.Provinces, projections.ByYear(n.Stats)
	doc.AsOf = projections.LastDate(n).String()
	doc.Deployment = capacitySummary(n)
	doc.Burndown.Actual = actualBurndown(doc.National.RemainingM2, doc.Years)
	if len(n.Areas) > 0 {
		cfg := projections.DefaultForecastConfig()
		cfg.Trials = OverviewTrials
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
			bd.Forecast = append(bd.Forecast, BurndownForecast{t.Year, t.RemainingM2, y.LowM2, y.MedianM2, y.HighM2, t.OtherM2})
		}
	}
	if doc.Provinces == nil {
		doc.Provinces = []projections.ProvinceFigures{}
	}
	if doc.Burndown.Forecast == nil {
		doc.Burndown.Forecast = []BurndownForecast{}
	}
	return doc
}

// Overview answers the overview of the live fold.
func (r *Reads) Overview(context.Context) (Overview, error) {
	var doc Overview
	r.Fold.View(func(n *projections.National) { doc = OverviewOf(n) })
	return doc, nil
}

// actualBurndown is the area remaining at the end of each recorded year,
// worked back from what remains now and each year's recorded changes.
func actualBurndown(now int64, years []projections.YearFigures) []YearRemaining {
	out := make([]YearRemaining, len(years))
	rem := now
	for i := len(years) - 1; i >= 0; i-- {
		y := years[i]
		out[i] = YearRemaining{y.Year, rem}
		rem -= y.RegisteredM2 + y.ReopenedM2 + y.CorrectionM2 - y.CancelledNTSM2 - y.CancelledDeskM2 - y.ReducedM2 - y.ClearedM2
	}
	return out
}

func capacitySummary(n *projections.National) []DeploymentSummary {
	m := map[[2]string]*DeploymentSummary{}
	for _, d := range n.Deployments {
		if d.Withdrawn {
			continue
		}
		k := [2]string{d.Operator, d.Province}
		s, ok := m[k]
		if !ok {
			s = &DeploymentSummary{Operator: d.Operator, Province: d.Province}
			m[k] = s
		}
		s.Deployments++
		s.Deminers += d.Deminers
		s.Women += d.Women
	}
	out := make([]DeploymentSummary, 0, len(m))
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
