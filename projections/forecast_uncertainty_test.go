package projections_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// A synthetic history generated from known rates with noise: each year
// 2015–2022 surveys 5,000,000 m² of SHA (CV 0.2) and cancels 55% of it (CV
// 0.1); one deployment states 1,000,000 m²/yr and achieves 80% of it (CV
// 0.1), technical survey reducing 35% of the CHA worked. The learned rates
// recover the true ones within the stated tolerances, and the learned
// spreads are of the size of the noise.
func TestForecastLearnsRatesAndSpreadFromTheRecord(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	noise := func(cv float64) float64 {
		s2 := math.Log(1 + cv*cv)
		return math.Exp(rng.NormFloat64()*math.Sqrt(s2) - s2/2)
	}
	evs := []events.Event{deploy(100, 50, 200, "2015-01-01")}
	for y := 2015; y <= 2022; y++ {
		on := events.NewDate(y, 6, 30)
		surveyed := 5_000_000 * noise(0.2)
		cancelled := int64(surveyed * math.Min(1, 0.55*noise(0.1)))
		confirmed := int64(surveyed) - cancelled
		worked := 1_000_000 * 0.8 * noise(0.1) / 0.65
		sha, chaA := uuid.New(), uuid.New()
		evs = append(evs,
			events.AreaRegistered{AreaID: sha, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: int64(surveyed), RegisteredOn: events.NewDate(2015, 1, 1), Source: "BLS"},
			events.AreaRegistered{AreaID: chaA, Province: "Pailin", Hazard: "AP", Classification: "CHA", SizeM2: int64(worked), RegisteredOn: events.NewDate(2015, 1, 1), Source: "BLS"},
			events.AreaCancelled{AreaID: sha, On: on, Method: "NTS", Reason: "no evidence", SizeM2: cancelled},
			events.AreaConfirmed{AreaID: sha, On: on, SizeM2: confirmed},
			events.AreaReduced{AreaID: chaA, On: on, SizeM2: int64(0.35 * worked), Operator: "CMAC"},
			events.AreaCleared{AreaID: chaA, On: on, SizeM2: int64(0.65 * worked), Operator: "CMAC"})
	}
	c := cfgAt("2023-01-01")
	c.WindowYears = 7
	r := projections.RunForecast(history(evs...), c).Rates
	near := func(what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s: learned %.4f, true %.4f (tolerance %.4f)", what, got, want, tol)
		}
	}
	near("NTS cancel share", r.CancelShare, 0.55, 0.04)
	near("TS reduce share", r.ReduceShare, 0.35, 0.01)
	near("survey m²/yr (relative)", r.SurveyM2PerYear/5_000_000, 1, 0.15)
	near("achieved productivity", r.ProductivityFactor, 0.8, 0.08)
	if r.SpreadYears != 7 {
		t.Fatalf("spread learned from %d years, want 7", r.SpreadYears)
	}
	near("survey spread", r.Spread.SurveyRate, 0.2, 0.12)
	near("productivity spread", r.Spread.Productivity, 0.1, 0.07)
	if r.Spread.ReduceShare > 0.01 {
		t.Errorf("the reduce share never varied, spread %.4f", r.Spread.ReduceShare)
	}
	// With fewer than three years, the floor applies.
	c.WindowYears = 2
	r2 := projections.RunForecast(history(evs...), c).Rates
	if fl := projections.DefaultForecastConfig().Spread; r2.Spread.ReduceShare < fl.ReduceShare || r2.Spread.Productivity < fl.Productivity {
		t.Errorf("two years: spread %+v below the floor %+v", r2.Spread, fl)
	}
}

// Costs respond: a team with no work left costs its fixed part only; moved
// to where the work is, all of it. Pailin's deployment (US$ 1,000,000 a
// year) has no land; Battambang's 960,000 m² take it two years.
func TestForecastCostsRespond(t *testing.T) {
	d := deployIn("Pailin", 100, 20, 240, "2020-01-01")
	d.AnnualCostUSD = 1_000_000
	n := history(area("Battambang", "AP", "CHA", 960_000, "2019-06-01"), d,
		events.FundingPledged{FundingID: uuid.New(), Donor: "Japan", Year: 2020, AmountUSD: 700_000, Operator: "CMAC"})
	c := cfgAt("2020-01-01")
	c.Redeploy = projections.RedeployNone
	stranded := projections.RunForecast(n, c)
	if g := stranded.FundingGap; len(g) == 0 || g[0].Year != 2020 || g[0].CostUSD != 600_000 || g[0].PledgedUSD != 700_000 || g[0].GapUSD != -100_000 {
		t.Fatalf("stranded: funding gap %+v, want 2020 cost 600,000 (the fixed 60%%) against 700,000 pledged", g)
	}
	c.Redeploy = projections.RedeployNearest
	moved := projections.RunForecast(n, c)
	if moved.CostToCompletionUSD != 2_000_000 || len(moved.FundingGap) != 2 || moved.FundingGap[1].GapUSD != 1_000_000 {
		t.Fatalf("moved: cost %d, gap %+v; want 2,000,000 over 2020–2021", moved.CostToCompletionUSD, moved.FundingGap)
	}
	// Funding that ends with its pledge (2020) stops the team after 2020.
	c.Funding = projections.FundingEnds
	ends := projections.RunForecast(n, c)
	if ends.DeterministicCompletion != nil || ends.Trajectory[0].RemainingM2 != 480_000 {
		t.Fatalf("funding ends: completion %v, trajectory %+v", ends.DeterministicCompletion, ends.Trajectory)
	}
}
