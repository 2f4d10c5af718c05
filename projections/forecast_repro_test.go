package projections_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// The same history, as-of date, trials and seed give the same forecast,
// byte for byte: nothing may depend on the order Go ranges over a map
// (floats do not add associatively, and provinces would change places).
func TestForecastIsReproducible(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	provinces := []string{"Pailin", "Battambang", "Banteay Meanchey", "Oddar Meanchey", "Preah Vihear", "Kampong Speu"}
	operators := []string{"CMAC", "HALO", "MAG", "NPA"}
	var evs []events.Event
	for i := range 300 {
		p := provinces[i%len(provinces)]
		size := int64(10_000 + rng.IntN(500_000))
		area := uuid.New()
		hazard, class := "AP", "SHA"
		if i%3 == 0 {
			class = "CHA"
		}
		if i%7 == 0 {
			hazard = "AT"
		}
		on := events.NewDate(2016+i%5, time.Month(1+i%12), 1+i%28)
		evs = append(evs, events.AreaRegistered{AreaID: area, Province: p, Hazard: events.Hazard(hazard), Classification: events.Classification(class),
			SizeM2: size, RegisteredOn: on, Source: "BLS"})
		if i%4 == 1 {
			evs = append(evs, events.AreaCleared{AreaID: area, On: on.AddDays(200), SizeM2: size / 3, Operator: operators[i%4]})
		}
	}
	for i := range 40 {
		evs = append(evs, events.CapacityDeployed{DeploymentID: uuid.New(), Operator: operators[i%4], Province: provinces[i%len(provinces)],
			Method: "MANUAL", Deminers: 10 + rng.IntN(90), From: events.NewDate(2016+i%5, time.Month(1+i%12), 1),
			ProductivityM2PerDeminerDay: 10 + rng.Float64()*40, WorkingDaysPerYear: 180 + rng.IntN(60), AnnualCostUSD: int64(50_000 + rng.IntN(500_000))})
	}
	evs = append(evs, events.FundingShortfallRecorded{Year: 2019, AmountUSD: 750_000, Reason: "a donor withdrew", Operator: "HALO"})
	n := history(evs...)
	cfg := cfgAt("2021-01-01")
	cfg.Trials = 200
	var first []byte
	for i := range 25 {
		got, err := json.Marshal(projections.RunForecast(n, cfg))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
			continue
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("run %d differs from the first:\n%s\n---\n%s", i, got, first)
		}
	}
}
