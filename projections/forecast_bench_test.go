package projections_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// syntheticFold has n areas with release history and 30 deployments.
func syntheticFold(n int) *projections.National {
	rng := rand.New(rand.NewPCG(1, 2))
	var evs []events.Event
	for i := 0; i < 30; i++ {
		evs = append(evs, deploy(50+rng.IntN(100), 40, 200, "2018-01-01"))
	}
	for i := 0; i < n; i++ {
		id := uuid.New()
		class := events.Classification([]string{"SHA", "CHA"}[rng.IntN(2)])
		size := int64(10_000 + rng.IntN(400_000))
		on := events.NewDate(2018+rng.IntN(3), time.Month(1+rng.IntN(12)), 1)
		evs = append(evs, events.AreaRegistered{AreaID: id, Province: "Pailin", Hazard: "AP", Classification: class, SizeM2: size, RegisteredOn: on, Source: "BLS"})
		switch rng.IntN(4) {
		case 0:
			evs = append(evs, events.AreaCancelled{AreaID: id, On: on.AddDays(30), Method: "NTS", Reason: "x", SizeM2: size / 2})
		case 1:
			evs = append(evs, events.AreaCleared{AreaID: id, On: on.AddDays(60), SizeM2: size / 3, Operator: "CMAC"})
		case 2:
			evs = append(evs, events.AreaReduced{AreaID: id, On: on.AddDays(60), SizeM2: size / 4, Operator: "CMAC"})
		}
	}
	return history(evs...)
}

// BenchmarkForecast times a Monte Carlo forecast (monthly steps to 2040)
// for areas × trials, to show how it scales.
//
//	go test -run '^$' -bench Forecast ./projections/
func BenchmarkForecast(b *testing.B) {
	for _, areas := range []int{1_000, 5_000, 50_000} {
		n := syntheticFold(areas)
		for _, trials := range []int{0, 1_000, 10_000} {
			b.Run(fmt.Sprintf("areas=%d/trials=%d", areas, trials), func(b *testing.B) {
				c := projections.DefaultForecastConfig()
				c.AsOf, c.Trials = events.MustDate("2021-01-01"), trials
				for i := 0; i < b.N; i++ {
					projections.RunForecast(n, c)
				}
			})
		}
	}
}

// BenchmarkWorkPlan times one province's work plan on a 5,000-area register.
func BenchmarkWorkPlan(b *testing.B) {
	n := syntheticFold(5_000)
	for i := 0; i < b.N; i++ {
		projections.PlanWorkPlan(n, "Pailin", 2021, projections.DefaultCriteria(), projections.DefaultForecastConfig())
	}
}
