package projections_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// history builds a fold from events given in order.
func history(evs ...events.Event) *projections.National {
	n := projections.NewNational()
	for i, e := range evs {
		on := events.OccurredOn(e)
		n.Apply(events.Envelope{Sequence: uint64(i + 1), OccurredOn: on, Data: e})
	}
	return n
}

func cha(size int64, on string) events.Event {
	return events.AreaRegistered{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP", Classification: "CHA",
		SizeM2: size, RegisteredOn: events.MustDate(on), Source: "BLS"}
}

func deploy(deminers int, prod float64, days int, from string) events.CapacityDeployed {
	return events.CapacityDeployed{DeploymentID: uuid.New(), Operator: "CMAC", Province: "Pailin", Method: "MANUAL",
		Deminers: deminers, From: events.MustDate(from), ProductivityM2PerDeminerDay: prod, WorkingDaysPerYear: days}
}

func cfgAt(asOf string) projections.ForecastConfig {
	c := projections.DefaultForecastConfig()
	c.AsOf = events.MustDate(asOf)
	return c
}

// One CHA of 1,000,000 m² and 100 deminers × 20 m²/day × 250 days from
// 1 January: done at the end of the second year.
func TestForecastHandCheckable(t *testing.T) {
	n := history(cha(1_000_000, "2019-06-01"), deploy(100, 20, 250, "2020-01-01"))
	f := projections.RunForecast(n, cfgAt("2020-01-01"))
	want := events.MustDate("2021-12-31")
	got := f.DeterministicCompletion
	if got == nil || got.Time().Sub(want.Time()).Hours() > 31*24 || want.Time().Sub(got.Time()).Hours() > 31*24 {
		t.Fatalf("completion %v, want %s ± one month (rates %+v)", got, want, f.Rates)
	}
	if f.RemainingM2 != 1_000_000 || len(f.Trajectory) != 2 || f.Trajectory[0].RemainingM2 != 500_000 {
		t.Fatalf("remaining %d, trajectory %+v", f.RemainingM2, f.Trajectory)
	}
}

// With no history ratios the forecast is remaining ÷ capacity.
func TestForecastReducesToRemainingOverCapacity(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50; i++ {
		size := int64(100_000 + rng.IntN(20_000_000))
		deminers, prod, days := 10+rng.IntN(500), float64(10+rng.IntN(90)), 150+rng.IntN(100)
		n := history(cha(size, "2019-03-01"), deploy(deminers, prod, days, "2020-01-01"))
		f := projections.RunForecast(n, cfgAt("2020-01-01"))
		perMonth := float64(deminers) * prod * float64(days) / 12
		months := int((float64(size) + perMonth - 1e-9) / perMonth) // ceil
		if float64(months)*perMonth < float64(size) {
			months++
		}
		want := events.NewDate(2020, time.Month(1+months), 0)
		if months > 12*21 {
			if f.DeterministicCompletion != nil {
				t.Fatalf("beyond the horizon, got %v", f.DeterministicCompletion)
			}
			continue
		}
		if f.DeterministicCompletion == nil || *f.DeterministicCompletion != want {
			t.Fatalf("%d m² at %.0f m²/month: completion %v, want %s", size, perMonth, f.DeterministicCompletion, want)
		}
	}
}

func completionOrNever(f projections.Forecast) events.Date {
	if f.DeterministicCompletion == nil {
		return events.MustDate("9999-12-31")
	}
	return *f.DeterministicCompletion
}

// Adding capacity never delays completion; a shortfall never speeds it up.
func TestForecastMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 40; i++ {
		base := []events.Event{
			events.AreaRegistered{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: int64(1_000_000 + rng.IntN(9_000_000)), RegisteredOn: events.MustDate("2018-02-01"), Source: "BLS"},
			cha(int64(500_000+rng.IntN(5_000_000)), "2018-03-01"),
			deploy(50+rng.IntN(200), 30, 200, "2018-01-01"),
		}
		n0 := history(base...)
		more := history(append(append([]events.Event{}, base...), deploy(10+rng.IntN(100), 30, 200, "2020-07-01"))...)
		cut := history(append(append([]events.Event{}, base...), events.FundingShortfallRecorded{Year: 2021, AmountUSD: int64(100_000 + rng.IntN(900_000)), Reason: "cut"})...)
		c := cfgAt("2020-01-01")
		b, m, s := completionOrNever(projections.RunForecast(n0, c)), completionOrNever(projections.RunForecast(more, c)), completionOrNever(projections.RunForecast(cut, c))
		if m.After(b) {
			t.Fatalf("more capacity delayed completion: %s -> %s", b, m)
		}
		if s.Before(b) {
			t.Fatalf("a shortfall sped completion up: %s -> %s", b, s)
		}
	}
}

func TestMonteCarlo(t *testing.T) {
	n := history(
		events.AreaRegistered{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 8_000_000, RegisteredOn: events.MustDate("2018-02-01"), Source: "BLS"},
		cha(3_000_000, "2018-03-01"), deploy(120, 30, 200, "2018-01-01"),
		events.FundingShortfallRecorded{Year: 2019, AmountUSD: 100_000, Reason: "cut"})
	c := cfgAt("2020-01-01")
	c.Trials = 2000
	a, b := projections.RunForecast(n, c), projections.RunForecast(n, c)
	if *a.Completion.P50 != *b.Completion.P50 || a.ProbabilityByDeadline != b.ProbabilityByDeadline {
		t.Fatal("the same seed gave different results")
	}
	p := a.Completion
	if p.P10 == nil || p.P50 == nil || p.P90 == nil || p.P50.Before(*p.P10) || p.P90.Before(*p.P50) || *p.P10 == *p.P90 {
		t.Fatalf("percentiles %v %v %v", p.P10, p.P50, p.P90)
	}
	if len(a.Band) == 0 || a.Band[0].Year != a.Trajectory[0].Year {
		t.Fatalf("band %v does not start with the trajectory %v", a.Band, a.Trajectory)
	}
	wide := false
	for i, b := range a.Band {
		if b.LowM2 > b.MedianM2 || b.MedianM2 > b.HighM2 || (i > 0 && b.Year != a.Band[i-1].Year+1) {
			t.Fatalf("band year %d out of order: %+v", b.Year, b)
		}
		wide = wide || b.LowM2 < b.HighM2
	}
	if !wide {
		t.Fatal("with spread, the band has no width in any year")
	}
	c.Spread = projections.Spread{}
	z := projections.RunForecast(n, c)
	if z.DeterministicCompletion == nil || *z.Completion.P10 != *z.DeterministicCompletion || *z.Completion.P90 != *z.DeterministicCompletion {
		t.Fatalf("zero spread: %v %v %v, deterministic %v", z.Completion.P10, z.Completion.P50, z.Completion.P90, z.DeterministicCompletion)
	}
	// Without spread every trial is the deterministic one: the band is the
	// trajectory (zero after completion).
	for i, b := range z.Band {
		want := int64(0)
		if i < len(z.Trajectory) {
			want = z.Trajectory[i].RemainingM2
		}
		if b.LowM2 != want || b.HighM2 != want {
			t.Fatalf("zero spread: band %+v, trajectory %d", b, want)
		}
	}
}
