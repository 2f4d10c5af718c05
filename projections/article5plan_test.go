package projections_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// The plan is the forecast's own run: on random histories (with pledges and
// shortfalls), under every redeployment policy and funding setting, its
// years are the forecast's years to completion, its year-end areas the
// forecast's trajectory, its release per year the forecast's, its cost,
// pledges and gap the forecast's funding gap; each year starts where the
// one before ended and balances (start + found − Article 5 release = end);
// the provinces add up to the year.
func TestArticle5PlanEqualsForecast(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 3))
	provinces := []string{"Pailin", "Battambang", "Pursat"}
	for i := 0; i < 25; i++ {
		evs := randomHistory(rng)
		for range 1 + rng.IntN(3) {
			pl := events.FundingPledged{FundingID: uuid.New(), Donor: "D", Year: 2021 + rng.IntN(4), AmountUSD: int64(100_000 + rng.IntN(3_000_000))}
			switch rng.IntN(3) {
			case 0:
				pl.Operator = "CMAC"
			case 1:
				pl.Province = provinces[rng.IntN(3)]
			}
			evs = append(evs, pl)
		}
		if rng.IntN(2) == 0 {
			evs = append(evs, events.FundingShortfallRecorded{Year: 2021 + rng.IntN(2), AmountUSD: int64(50_000 + rng.IntN(500_000)), Reason: "cut"})
		}
		n := history(evs...)
		for _, policy := range projections.RedeployPolicies {
			for _, funding := range projections.FundingPolicies {
				c := cfgAt("2021-01-01")
				c.Redeploy, c.Funding = policy, funding
				f := projections.RunForecast(n, c)
				plan, err := projections.RunArticle5Plan(n, c)
				if err != nil {
					t.Fatal(err)
				}
				checkPlanAgainstForecast(t, i, policy+"/"+funding, f, plan)
			}
		}
	}
}

func checkPlanAgainstForecast(t *testing.T, i int, setting string, f projections.Forecast, plan projections.Article5Plan) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("history %d, %s: "+format, append([]any{i, setting}, args...)...)
	}
	if len(plan.Years) != len(f.FundingGap) {
		fail("%d plan years, %d forecast years to completion", len(plan.Years), len(f.FundingGap))
	}
	trajectory := map[int]projections.YearRemaining{}
	for _, y := range f.Trajectory {
		trajectory[y.Year] = y
	}
	if plan.RemainingM2 != f.RemainingM2 || plan.CostToCompletionUSD != f.CostToCompletionUSD {
		fail("remaining %d / cost %d, forecast %d / %d", plan.RemainingM2, plan.CostToCompletionUSD, f.RemainingM2, f.CostToCompletionUSD)
	}
	prevEnd := f.RemainingM2
	var cost, pledged, gap int64
	for k, y := range plan.Years {
		g := f.FundingGap[k]
		tr, ok := trajectory[y.Year]
		if y.Year != g.Year || !ok {
			fail("year %d, forecast year %d (in the trajectory: %v)", y.Year, g.Year, ok)
		}
		if y.EndM2 != tr.RemainingM2 || y.OtherEndM2 != tr.OtherM2 {
			fail("%d: end %d / other %d, trajectory %d / %d", y.Year, y.EndM2, y.OtherEndM2, tr.RemainingM2, tr.OtherM2)
		}
		r := f.Release[y.Year]
		if y.ReleasedM2 != int64(math.Round(r[0]+r[1]+r[2])) {
			fail("%d: released %d, forecast %.0f", y.Year, y.ReleasedM2, r[0]+r[1]+r[2])
		}
		if d := y.CancelledM2 + y.ReducedM2 + y.ClearedM2 + y.OtherReleasedM2 - y.ReleasedM2; d < -4 || d > 4 {
			fail("%d: by method %d + %d + %d + other %d, released %d", y.Year, y.CancelledM2, y.ReducedM2, y.ClearedM2, y.OtherReleasedM2, y.ReleasedM2)
		}
		if y.CostUSD != g.CostUSD || y.PledgedUSD != g.PledgedUSD || y.GapUSD != g.GapUSD || y.GapUSD != y.CostUSD-y.PledgedUSD {
			fail("%d: cost %d pledged %d gap %d, forecast %+v", y.Year, y.CostUSD, y.PledgedUSD, y.GapUSD, g)
		}
		if y.StartM2 != prevEnd {
			fail("%d starts with %d, the year before ended with %d", y.Year, y.StartM2, prevEnd)
		}
		if d := y.StartM2 + y.FoundM2 - y.CancelledM2 - y.ReducedM2 - y.ClearedM2 - y.EndM2; d < -4 || d > 4 {
			fail("%d: start %d + found %d − release %d ≠ end %d", y.Year, y.StartM2, y.FoundM2, y.CancelledM2+y.ReducedM2+y.ClearedM2, y.EndM2)
		}
		var pEnd, pRel, pCost, pPledged int64
		for _, p := range y.Provinces {
			pEnd += p.EndM2
			pRel += p.CancelledM2 + p.ReducedM2 + p.ClearedM2 + p.OtherReleasedM2
			pCost += p.CostUSD
			pPledged += p.PledgedUSD
			if p.GapUSD != p.CostUSD-p.PledgedUSD {
				fail("%d %s: gap %d ≠ cost %d − pledged %d", y.Year, p.Province, p.GapUSD, p.CostUSD, p.PledgedUSD)
			}
		}
		slack := int64(4 * (len(y.Provinces) + 1))
		if abs64(pEnd-y.EndM2) > slack || abs64(pRel-y.ReleasedM2) > slack || abs64(pCost-y.CostUSD) > slack {
			fail("%d: provinces end %d release %d cost %d, year %d / %d / %d", y.Year, pEnd, pRel, pCost, y.EndM2, y.ReleasedM2, y.CostUSD)
		}
		if pPledged+y.UnattributedUSD != y.PledgedUSD || y.UnattributedUSD < 0 {
			fail("%d: provinces pledged %d + unattributed %d ≠ %d", y.Year, pPledged, y.UnattributedUSD, y.PledgedUSD)
		}
		prevEnd = y.EndM2
		cost, pledged, gap = cost+y.CostUSD, pledged+y.PledgedUSD, gap+y.GapUSD
	}
	if pledged != plan.PledgedUSD || gap != plan.GapUSD || abs64(cost-plan.CostToCompletionUSD) > int64(len(plan.Years)) {
		fail("totals: cost %d pledged %d gap %d, plan %d / %d / %d", cost, pledged, gap, plan.CostToCompletionUSD, plan.PledgedUSD, plan.GapUSD)
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Two provinces, one deployment each, one pledge, no history of release (no
// cancellation or reduction, achieved = stated), by hand:
//   - Pailin: 480,000 m² of CHA; CMAC, 100 deminers × 20 m²/day × 240 days =
//     480,000 m²/yr (40,000 a month), US$ 1,200,000 a year.
//   - Battambang: 960,000 m² of CHA; HALO, the same capacity and cost.
//   - HALO is pledged US$ 500,000 for 2021 (no province: it goes where HALO works).
//
// Without redeployment Pailin is done at the end of 2020 and Battambang at
// the end of 2021. 2020 costs 1,200,000 + 1,200,000 = 2,400,000, pledged 0.
// In 2021 Pailin's team finds no work: it costs its fixed part, 0.6 ×
// 1,200,000 = 720,000 (gap 720,000); Battambang 1,200,000 against 500,000
// (gap 700,000); the year 1,920,000 against 500,000, gap 1,420,000. In all
// 4,320,000, pledged 500,000, gap 3,820,000.
//
// Redeployed to the nearest province, Pailin's team works Battambang from
// January 2021: 480,000 m² at 80,000 a month, done at the end of June; 2021
// costs six months of both, 1,200,000, all of it in Battambang, where 200
// deminers in two deployments work; gap 700,000.
func TestArticle5PlanByHand(t *testing.T) {
	dep := func(op, province string, cost int64) events.CapacityDeployed {
		d := deployIn(province, 100, 20, 240, "2020-01-01")
		d.Operator, d.AnnualCostUSD = op, cost
		return d
	}
	n := history(area("Pailin", "AP", "CHA", 480_000, "2019-06-01"), area("Battambang", "AP", "CHA", 960_000, "2019-06-01"),
		dep("CMAC", "Pailin", 1_200_000), dep("HALO", "Battambang", 1_200_000),
		events.FundingPledged{FundingID: uuid.New(), Donor: "Japan", Year: 2021, AmountUSD: 500_000, Operator: "HALO"})
	c := cfgAt("2020-01-01")
	c.Redeploy = projections.RedeployNone
	plan, err := projections.RunArticle5Plan(n, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Years) != 2 {
		t.Fatalf("years %+v", plan.Years)
	}
	type want struct {
		year                                int
		cost, pledged, gap                  int64
		pCost, pPledged, bCost, bPledged    int64
		pCleared, bCleared, pEnd, bEnd, end int64
	}
	for k, w := range []want{
		{2020, 2_400_000, 0, 2_400_000, 1_200_000, 0, 1_200_000, 0, 480_000, 480_000, 0, 480_000, 480_000},
		{2021, 1_920_000, 500_000, 1_420_000, 720_000, 0, 1_200_000, 500_000, 0, 480_000, 0, 0, 0},
	} {
		y := plan.Years[k]
		prov := map[string]projections.Article5ProvinceYear{}
		for _, p := range y.Provinces {
			prov[p.Province] = p
		}
		pa, ba := prov["Pailin"], prov["Battambang"]
		got := want{y.Year, y.CostUSD, y.PledgedUSD, y.GapUSD, pa.CostUSD, pa.PledgedUSD, ba.CostUSD, ba.PledgedUSD, pa.ClearedM2, ba.ClearedM2, pa.EndM2, ba.EndM2, y.EndM2}
		if got != w {
			t.Errorf("year %d:\n got %+v\nwant %+v", w.year, got, w)
		}
		if ba.GapUSD != w.bCost-w.bPledged || pa.GapUSD != w.pCost {
			t.Errorf("%d: gaps Pailin %d, Battambang %d", w.year, pa.GapUSD, ba.GapUSD)
		}
	}
	if y := plan.Years[0]; y.Deminers != 200 || y.Teams != 2 || y.CancelledM2 != 0 || y.ReducedM2 != 0 || y.ClearedM2 != 960_000 {
		t.Errorf("2020: %.1f deminers, %d deployments, release %d/%d/%d", y.Deminers, y.Teams, y.CancelledM2, y.ReducedM2, y.ClearedM2)
	}
	if plan.CostToCompletionUSD != 4_320_000 || plan.PledgedUSD != 500_000 || plan.GapUSD != 3_820_000 {
		t.Errorf("totals: cost %d, pledged %d, gap %d", plan.CostToCompletionUSD, plan.PledgedUSD, plan.GapUSD)
	}

	c.Redeploy = projections.RedeployNearest
	plan, err = projections.RunArticle5Plan(n, c)
	if err != nil {
		t.Fatal(err)
	}
	if plan.DeterministicCompletion == nil || *plan.DeterministicCompletion != events.MustDate("2021-06-30") || len(plan.Years) != 2 {
		t.Fatalf("nearest: completion %v, %d years", plan.DeterministicCompletion, len(plan.Years))
	}
	y := plan.Years[1]
	if y.CostUSD != 1_200_000 || y.GapUSD != 700_000 || len(y.Provinces) != 1 || y.Provinces[0].Province != "Battambang" {
		t.Fatalf("nearest 2021: cost %d gap %d provinces %+v", y.CostUSD, y.GapUSD, y.Provinces)
	}
	if b := y.Provinces[0]; b.CostUSD != 1_200_000 || b.Deminers != 200 || b.Teams != 2 || b.ClearedM2 != 480_000 || !b.Completes {
		t.Fatalf("nearest 2021 Battambang: %+v", b)
	}
}

// Bad inputs are refused with the field named; an empty history has
// nothing to plan.
func TestArticle5PlanRefusesBadInputs(t *testing.T) {
	n := history(cha(1_000_000, "2019-06-01"), deploy(100, 20, 250, "2020-01-01"))
	for field, mutate := range map[string]func(*projections.ForecastConfig){
		"redeploy": func(c *projections.ForecastConfig) { c.Redeploy = "everywhere" },
		"funding":  func(c *projections.ForecastConfig) { c.Funding = "maybe" },
		"as_of":    func(c *projections.ForecastConfig) { c.AsOf = events.MustDate("2050-01-01") },
	} {
		c := cfgAt("2020-01-01")
		mutate(&c)
		_, err := projections.RunArticle5Plan(n, c)
		var ie *projections.PlanInputError
		if !errors.As(err, &ie) || ie.Field != field {
			t.Errorf("%s: got %v, want an input error naming %s", field, err, field)
		}
	}
	if _, err := projections.RunArticle5Plan(projections.NewNational(), cfgAt("2020-01-01")); !errors.Is(err, projections.ErrNothingToPlan) {
		t.Errorf("empty history: %v", err)
	}
}
