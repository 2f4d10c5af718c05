package projections_test

import (
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

func area(province, hazard, class string, size int64, on string) events.AreaRegistered {
	return events.AreaRegistered{AreaID: uuid.New(), Province: province, Hazard: events.Hazard(hazard), Classification: events.Classification(class),
		SizeM2: size, RegisteredOn: events.MustDate(on), Source: "BLS"}
}

func deployIn(province string, deminers int, prod float64, days int, from string) events.CapacityDeployed {
	d := deploy(deminers, prod, days, from)
	d.Province = province
	return d
}

func deadline2025() events.Article5DeadlineSet {
	return events.Article5DeadlineSet{Country: "KH", Deadline: events.MustDate("2025-12-31"), Reason: "second extension"}
}

// With ample capacity every trial meets the deadline, although discovery
// goes on for five years: what is found after completion is residual
// contamination, not a gate. With no capacity, completion is never.
func TestForecastAmpleCapacityAndNone(t *testing.T) {
	base := []events.Event{
		area("Pailin", "AP", "SHA", 8_000_000, "2018-01-01"), area("Pailin", "AP", "CHA", 3_000_000, "2018-01-01"),
		area("Pailin", "AP", "SHA", 400_000, "2019-05-01"), // discovery after the migration year
		deadline2025(),
	}
	c := cfgAt("2020-01-01")
	c.Trials = 500
	ample := projections.RunForecast(history(append(base, deployIn("Pailin", 20_000, 50, 200, "2020-01-01"))...), c)
	if ample.ProbabilityByDeadline != 1 || ample.Completion.P90 == nil || !ample.Completion.P90.Before(*ample.Deadline) {
		t.Fatalf("ample capacity: P(deadline) %.2f, P90 %v, deadline %v", ample.ProbabilityByDeadline, ample.Completion.P90, ample.Deadline)
	}
	within(t, "ample capacity", ample.DeterministicCompletion, "2020-01-31", 0)
	if ample.Rates.DiscoveryM2PerYear <= 0 || len(ample.ResidualM2PerYear) == 0 || ample.ResidualM2PerYear[0].Year != 2020 {
		t.Fatalf("discovery %.0f m²/yr, residual %+v", ample.Rates.DiscoveryM2PerYear, ample.ResidualM2PerYear)
	}
	var residual int64
	for _, r := range ample.ResidualM2PerYear {
		residual += r.M2
	}
	// Five years of discovery (less the first month, before completion).
	if want := ample.Rates.DiscoveryM2PerYear * (5 - 1.0/12); float64(residual) < 0.99*want || float64(residual) > 1.01*want {
		t.Fatalf("residual %d m² over the discovery years, want %.0f", residual, want)
	}
	none := projections.RunForecast(history(base...), c)
	if none.DeterministicCompletion != nil || none.Completion != (projections.Completion{}) || none.ProbabilityByDeadline != 0 {
		t.Fatalf("no capacity: completion %v, %+v, P %.2f", none.DeterministicCompletion, none.Completion, none.ProbabilityByDeadline)
	}
}

// Areas without AP mines are outside Article 5: 1,000,000 m² AP and
// 5,000,000 m² AT, 100 deminers × 20 m²/day × 250 days = 500,000 m²/yr
// working the AP area first: Article 5 completion at the end of 2021, the
// AT area ten years later, at the end of 2031.
func TestForecastArticle5Scope(t *testing.T) {
	n := history(area("Pailin", "AP", "CHA", 1_000_000, "2019-06-01"), area("Pailin", "AT", "CHA", 5_000_000, "2019-06-01"),
		deploy(100, 20, 250, "2020-01-01"))
	f := projections.RunForecast(n, cfgAt("2020-01-01"))
	if f.RemainingM2 != 1_000_000 || f.OtherRemainingM2 != 5_000_000 {
		t.Fatalf("Article 5 %d m², other %d m²", f.RemainingM2, f.OtherRemainingM2)
	}
	within(t, "Article 5 completion", f.DeterministicCompletion, "2021-12-31", 0)
	within(t, "AT/ERW completion", f.OtherCompletion, "2031-12-31", 0)
	mixed := projections.RunForecast(history(area("Pailin", "MIXED", "CHA", 1_000_000, "2019-06-01"), deploy(100, 20, 250, "2020-01-01")), cfgAt("2020-01-01"))
	if mixed.RemainingM2 != 1_000_000 {
		t.Fatalf("a MIXED area holds AP mines: Article 5 area %d", mixed.RemainingM2)
	}
}

// Two provinces, all capacity in Pailin (100 deminers × 20 m²/day × 240
// days = 480,000 m²/yr, 40,000 m² a month) and all land in Battambang
// (960,000 m² of CHA). Without redeployment Battambang never completes, and
// Pailin's 40,000 m² a month is stranded for the 252 months to the horizon
// (10,080,000 m²). With any redeployment, Pailin's capacity works Battambang
// from the first month: 960,000 ÷ 40,000 = 24 months, done at the end of
// 2021.
func TestForecastTwoProvinces(t *testing.T) {
	n := history(area("Battambang", "AP", "CHA", 960_000, "2019-06-01"), deployIn("Pailin", 100, 20, 240, "2020-01-01"))
	for _, policy := range projections.RedeployPolicies {
		c := cfgAt("2020-01-01")
		c.Redeploy = policy
		f := projections.RunForecast(n, c)
		if policy == projections.RedeployNone {
			if f.DeterministicCompletion != nil || len(f.Provinces) != 2 || f.Provinces[0].DeterministicCompletion != nil || !f.Provinces[1].Done {
				t.Fatalf("none: completion %v, provinces %+v", f.DeterministicCompletion, f.Provinces)
			}
			if s := f.Provinces[1].StrandedM2; s < 10_079_000 || s > 10_081_000 {
				t.Fatalf("none: Pailin's stranded capacity %d m², want 10,080,000", s)
			}
			continue
		}
		within(t, policy, f.DeterministicCompletion, "2021-12-31", 0)
		if f.StrandedM2 > 1 {
			t.Fatalf("%s: stranded %d m²", policy, f.StrandedM2)
		}
	}
}

// dateOr orders completions: done before the forecast first, never last.
func dateOr(p projections.ProvinceForecast) events.Date {
	switch {
	case p.Done:
		return events.MustDate("1000-01-01")
	case p.DeterministicCompletion == nil:
		return events.MustDate("9999-12-31")
	}
	return *p.DeterministicCompletion
}

func byName(f projections.Forecast) map[string]projections.ProvinceForecast {
	out := map[string]projections.ProvinceForecast{}
	for _, p := range f.Provinces {
		out[p.Province] = p
	}
	return out
}

// Adding capacity never delays a province's completion and a shortfall never
// speeds it up, under no redeployment (each province on its own); the
// national completion under every policy but "largest" the same way.
func TestForecastMonotonePerProvince(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	provinces := []string{"Pailin", "Battambang", "Pursat"}
	for i := 0; i < 60; i++ {
		base := randomHistory(rng)
		more := append(append([]events.Event{}, base...), deployIn(provinces[rng.IntN(3)], 10+rng.IntN(200), 40, 200, "2021-03-01"))
		sf := events.FundingShortfallRecorded{Year: 2021 + rng.IntN(3), AmountUSD: int64(50_000 + rng.IntN(900_000)), Reason: "cut"}
		if rng.IntN(2) == 0 {
			sf.Province = provinces[rng.IntN(3)]
		}
		cut := append(append([]events.Event{}, base...), sf)
		for _, policy := range []string{projections.RedeployNone, projections.RedeployNearest, projections.RedeployPool} {
			c := cfgAt("2021-01-01")
			c.Redeploy = policy
			b, m, s := projections.RunForecast(history(base...), c), projections.RunForecast(history(more...), c), projections.RunForecast(history(cut...), c)
			if completionOrNever(m).After(completionOrNever(b)) || completionOrNever(s).Before(completionOrNever(b)) {
				t.Fatalf("history %d, %s: national %s, with more capacity %s, with a shortfall %s", i, policy, completionOrNever(b), completionOrNever(m), completionOrNever(s))
			}
			if policy != projections.RedeployNone {
				continue
			}
			mp, sp := byName(m), byName(s)
			for _, p := range b.Provinces {
				if dateOr(mp[p.Province]).After(dateOr(p)) {
					t.Fatalf("history %d: more capacity delayed %s: %s -> %s", i, p.Province, dateOr(p), dateOr(mp[p.Province]))
				}
				if dateOr(sp[p.Province]).Before(dateOr(p)) {
					t.Fatalf("history %d: a shortfall sped up %s: %s -> %s", i, p.Province, dateOr(p), dateOr(sp[p.Province]))
				}
			}
		}
	}
}
