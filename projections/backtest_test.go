package projections_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// syntheticRecord is a history generated from known rates with noise,
// 2015–2022: a register of 60 km² SHA and 15 km² CHA (AP) migrated in on
// 2015-01-01; each year non-technical survey processes 5 km² (CV 0.2) and
// cancels 55% of it (CV 0.1), confirming the rest; one deployment states
// 1,000,000 m²/yr and achieves 80% of it (CV 0.1), technical survey
// reducing 35% of the CHA worked; 0.3 km² of new SHA is found each year.
func syntheticRecord(seed uint64) []rec {
	rng := rand.New(rand.NewPCG(seed, 99))
	noise := func(cv float64) float64 {
		s2 := math.Log(1 + cv*cv)
		return math.Exp(rng.NormFloat64()*math.Sqrt(s2) - s2/2)
	}
	recorded := func(d events.Date) time.Time { return d.Time().Add(24 * time.Hour) }
	start := events.NewDate(2015, 1, 1)
	rs := []rec{{deploy(100, 50, 200, "2015-01-01"), recorded(start)}}
	var sha, cha []uuid.UUID
	var shaLeft, chaLeft []int64
	for i := 0; i < 60; i++ {
		id := uuid.New()
		rs = append(rs, rec{area("Pailin", "AP", "SHA", 1_000_000, "2015-01-01"), recorded(start)})
		rs[len(rs)-1].e = withID(rs[len(rs)-1].e, id)
		sha, shaLeft = append(sha, id), append(shaLeft, 1_000_000)
	}
	for i := 0; i < 15; i++ {
		id := uuid.New()
		rs = append(rs, rec{withID(area("Pailin", "AP", "CHA", 1_000_000, "2015-01-01"), id), recorded(start)})
		cha, chaLeft = append(cha, id), append(chaLeft, 1_000_000)
	}
	for y := 2015; y <= 2022; y++ {
		on := events.NewDate(y, 6, 30)
		if y > 2015 {
			id := uuid.New()
			rs = append(rs, rec{withID(area("Pailin", "AP", "SHA", int64(300_000*noise(0.3)), on.String()), id), recorded(on)})
			sha, shaLeft = append(sha, id), append(shaLeft, rs[len(rs)-1].e.(events.AreaRegistered).SizeM2)
		}
		survey := 5_000_000 * noise(0.2)
		c := math.Min(1, 0.55*noise(0.1))
		for i := range sha {
			if survey <= 0 {
				break
			}
			x := int64(math.Min(survey, float64(shaLeft[i])))
			if x <= 0 {
				continue
			}
			survey -= float64(x)
			canc := int64(float64(x) * c)
			rs = append(rs, rec{events.AreaCancelled{AreaID: sha[i], On: on, Method: "NTS", Reason: "no evidence", SizeM2: canc}, recorded(on)})
			shaLeft[i] -= canc
			if conf := x - canc; conf > 0 && shaLeft[i] == conf {
				// what is left of the area is confirmed: it becomes CHA work
				rs = append(rs, rec{events.AreaConfirmed{AreaID: sha[i], On: on, SizeM2: conf}, recorded(on)})
				cha, chaLeft = append(cha, sha[i]), append(chaLeft, conf)
				shaLeft[i] = 0
			}
		}
		worked := 1_000_000 * 0.8 * noise(0.1) / 0.65
		for i := range cha {
			if worked <= 0 {
				break
			}
			x := int64(math.Min(worked, float64(chaLeft[i])))
			if x <= 0 {
				continue
			}
			worked -= float64(x)
			red := int64(0.35 * float64(x))
			rs = append(rs, rec{events.AreaReduced{AreaID: cha[i], On: on, SizeM2: red, Operator: "CMAC"}, recorded(on)},
				rec{events.AreaCleared{AreaID: cha[i], On: on, SizeM2: x - red, Operator: "CMAC"}, recorded(on)})
			chaLeft[i] -= x
		}
	}
	return rs
}

func withID(e events.Event, id uuid.UUID) events.Event {
	a := e.(events.AreaRegistered)
	a.AreaID = id
	return a
}

// The synthetic record is backtested: the rates learned from it recover the
// true ones within the stated tolerances, the errors are small, and the
// calibration of P10–P90 is reported.
func TestBacktestOnASyntheticRecord(t *testing.T) {
	rs := syntheticRecord(5)
	fold := func(d events.Date) (*projections.National, error) {
		return knownAt(projections.KnownAt(d, time.Time{}), rs...), nil
	}
	n, _ := fold(events.MustDate("2022-12-31"))
	c := cfgAt("2023-01-01")
	c.WindowYears = 7
	r := projections.EstimateRates(n, c, c.AsOf)
	for _, x := range []struct {
		what           string
		got, want, tol float64
	}{
		{"NTS cancel share", r.CancelShare, 0.55, 0.04},
		{"TS reduce share", r.ReduceShare, 0.35, 0.01},
		{"survey m²/yr ÷ 5,000,000", r.SurveyM2PerYear / 5_000_000, 1, 0.15},
		{"achieved productivity", r.ProductivityFactor, 0.8, 0.08},
		{"discovery m²/yr ÷ 300,000", r.DiscoveryM2PerYear / 300_000, 1, 0.3},
	} {
		if math.Abs(x.got-x.want) > x.tol {
			t.Errorf("%s: learned %.4f, true %.4f (tolerance %.4f)", x.what, x.got, x.want, x.tol)
		}
	}
	bc := projections.BacktestConfig{Forecast: projections.DefaultForecastConfig()}
	bc.Forecast.Trials = 300
	bt, err := projections.RunBacktest(fold, bc)
	if err != nil {
		t.Fatal(err)
	}
	if len(bt.Years) != 7 || bt.Years[0].Year != 2016 || bt.Years[6].Year != 2022 {
		t.Fatalf("years %+v", bt.Years)
	}
	if bt.Calibration == nil || *bt.Calibration < 0 || *bt.Calibration > 1 {
		t.Fatalf("calibration %v", bt.Calibration)
	}
	if bt.RemainingMAPE > 5 || bt.ReleaseMAPE > 25 {
		t.Fatalf("MAPE remaining %.1f%%, release %.1f%%: the forecast does not follow a record made by its own model", bt.RemainingMAPE, bt.ReleaseMAPE)
	}
	for _, y := range bt.Years {
		t.Logf("%d: remaining forecast %d actual %d (P10–P90 %d–%d, inside %v), release error %+.1f%%", y.Year,
			y.ForecastRemainingM2, y.ActualRemainingM2, y.LowM2, y.HighM2, y.InsideBand, y.ReleaseErrorPct)
	}
	t.Logf("MAPE remaining %.2f%%, release %.2f%%; calibration of P10–P90: %.0f%% of %d years", bt.RemainingMAPE, bt.ReleaseMAPE, 100**bt.Calibration, len(bt.Years))
}
