package projections

import (
	"fmt"
	"math"

	"github.com/landrelease/landrelease/events"
)

// BacktestConfig configures a backtest: for each year N from From to To,
// forecast from what was known at the end of N−1 and compare with what was
// recorded in N.
type BacktestConfig struct {
	From, To int            // years tested; zero: from the second year of the register to the last year with a record
	Forecast ForecastConfig // trials > 0 for the P10–P90 band and calibration
}

// BacktestYear compares one year's forecast with the record.
type BacktestYear struct {
	Year                 int          `json:"year"`
	ForecastCancelledM2  int64        `json:"forecast_cancelled_m2"`
	ActualCancelledM2    int64        `json:"actual_cancelled_m2"`
	ForecastReducedM2    int64        `json:"forecast_reduced_m2"`
	ActualReducedM2      int64        `json:"actual_reduced_m2"`
	ForecastClearedM2    int64        `json:"forecast_cleared_m2"`
	ActualClearedM2      int64        `json:"actual_cleared_m2"`
	ForecastRemainingM2  int64        `json:"forecast_remaining_m2"` // Article 5 area at the year's end
	ActualRemainingM2    int64        `json:"actual_remaining_m2"`
	LowM2                int64        `json:"p10_remaining_m2"` // the Monte Carlo band (P10–P90) of that figure
	HighM2               int64        `json:"p90_remaining_m2"`
	InsideBand           bool         `json:"inside_band"`
	RemainingErrorPct    float64      `json:"remaining_error_pct"` // (forecast − actual) ÷ actual, in %
	ReleaseErrorPct      float64      `json:"release_error_pct"`   // total release, the same way
	Completion           *events.Date `json:"completion"`          // the deterministic completion forecast from the end of N−1
	CompletionMoveMonths *int         `json:"completion_move_months"`
}

// Backtest is the answer of RunBacktest.
type Backtest struct {
	Years []BacktestYear `json:"years"`
	// MAPE (mean absolute percentage error) of the remaining area at the
	// years' ends and of the total release in the years.
	RemainingMAPE float64 `json:"remaining_mape_pct"`
	ReleaseMAPE   float64 `json:"release_mape_pct"`
	// Calibration is the share of years whose actual remaining area fell
	// inside the P10–P90 band (0.8 for a well-calibrated band); null without
	// trials.
	Calibration *float64 `json:"calibration"`
	Trials      int      `json:"trials"`
	Redeploy    string   `json:"redeploy"`
}

// RunBacktest backtests the forecast. knownAt folds the history as known at
// the end of a day (see KnownAt), once per year tested and once more.
func RunBacktest(knownAt func(events.Date) (*National, error), cfg BacktestConfig) (Backtest, error) {
	cfg.Forecast.fill()
	bt := Backtest{Years: []BacktestYear{}, Trials: cfg.Forecast.Trials, Redeploy: cfg.Forecast.Redeploy}
	from, to := cfg.From, cfg.To
	if from == 0 || to == 0 {
		all, err := knownAt(events.MustDate("2100-12-31"))
		if err != nil {
			return bt, err
		}
		first := historyStart(all)
		last := LastDate(all)
		if first == math.MaxInt || last.IsZero() {
			return bt, fmt.Errorf("backtest: the history holds no register")
		}
		if from == 0 {
			from = first + 1
		}
		if to == 0 {
			to = last.Year()
		}
	}
	if from > to {
		return bt, fmt.Errorf("backtest: no year to test (%d…%d)", from, to)
	}
	folds := map[int]*National{}
	fold := func(y int) (*National, error) {
		if n, ok := folds[y]; ok {
			return n, nil
		}
		n, err := knownAt(events.NewDate(y, 12, 31))
		if err != nil {
			return nil, err
		}
		folds[y] = n
		return n, nil
	}
	var absRem, absRel float64
	inside := 0
	var prev *events.Date
	for y := from; y <= to; y++ {
		before, err := fold(y - 1)
		if err != nil {
			return bt, err
		}
		after, err := fold(y)
		if err != nil {
			return bt, err
		}
		fc := cfg.Forecast
		fc.AsOf = events.NewDate(y, 1, 1)
		f := RunForecast(before, fc)
		row := BacktestYear{Year: y, Completion: f.DeterministicCompletion}
		rel := f.Release[y]
		row.ForecastCancelledM2, row.ForecastReducedM2, row.ForecastClearedM2 = int64(rel[0]), int64(rel[1]), int64(rel[2])
		for k, s := range after.Stats {
			if k.Year != y {
				continue
			}
			switch k.Method {
			case MethodNTS, MethodDeskAnalysis:
				row.ActualCancelledM2 += s.AreaM2
			case MethodTS:
				row.ActualReducedM2 += s.AreaM2
			case MethodClearance:
				row.ActualClearedM2 += s.AreaM2
			}
		}
		for _, a := range after.Areas {
			if a.RemainingM2 > 0 && Article5Hazard(a.Hazard) {
				row.ActualRemainingM2 += a.RemainingM2
			}
		}
		row.ForecastRemainingM2 = -1
		for _, t := range f.Trajectory {
			if t.Year == y {
				row.ForecastRemainingM2 = t.RemainingM2
			}
		}
		if row.ForecastRemainingM2 < 0 { // completed before the year's end
			row.ForecastRemainingM2 = 0
		}
		row.LowM2, row.HighM2 = row.ForecastRemainingM2, row.ForecastRemainingM2
		for _, b := range f.Band {
			if b.Year == y {
				row.LowM2, row.HighM2 = b.LowM2, b.HighM2
			}
		}
		row.InsideBand = row.ActualRemainingM2 >= row.LowM2 && row.ActualRemainingM2 <= row.HighM2
		if row.InsideBand {
			inside++
		}
		row.RemainingErrorPct = pctErr(float64(row.ForecastRemainingM2), float64(row.ActualRemainingM2))
		row.ReleaseErrorPct = pctErr(float64(row.ForecastCancelledM2+row.ForecastReducedM2+row.ForecastClearedM2),
			float64(row.ActualCancelledM2+row.ActualReducedM2+row.ActualClearedM2))
		absRem += math.Abs(row.RemainingErrorPct)
		absRel += math.Abs(row.ReleaseErrorPct)
		if prev != nil && f.DeterministicCompletion != nil {
			m := (f.DeterministicCompletion.Year()-prev.Year())*12 + int(f.DeterministicCompletion.Time().Month()) - int(prev.Time().Month())
			row.CompletionMoveMonths = &m
		}
		prev = f.DeterministicCompletion
		bt.Years = append(bt.Years, row)
	}
	k := float64(len(bt.Years))
	bt.RemainingMAPE, bt.ReleaseMAPE = absRem/k, absRel/k
	if cfg.Forecast.Trials > 0 {
		c := float64(inside) / k
		bt.Calibration = &c
	}
	return bt, nil
}

func pctErr(forecast, actual float64) float64 {
	if actual == 0 {
		if forecast == 0 {
			return 0
		}
		return 100
	}
	return 100 * (forecast - actual) / actual
}
