package queries

import "testing"

// A backtest request replays the history once per year tested and once
// more: the years it may test shrink as the history grows, so that one
// request stays within the API's request timeout.
func TestBacktestFitsTheReplayBudget(t *testing.T) {
	for _, c := range []struct {
		stored uint64
		years  int
	}{
		{0, 10}, {24_695, 10}, {248_241, 10}, // the demo at 1× and 10×
		{BacktestReplayBudget / 3, 2}, {BacktestReplayBudget / 2, 1},
		{BacktestReplayBudget/2 + 1, 0}, {2_482_552, 0}, // 100×: the CLI only
	} {
		if got := BacktestFit(c.stored); got != c.years && !(c.years == 0 && got < 1) {
			t.Errorf("%d events: %d years fit, want %d", c.stored, got, c.years)
		}
		if got := BacktestFit(c.stored); got >= 1 && uint64(got+1)*c.stored > BacktestReplayBudget {
			t.Errorf("%d events: %d years replay %d events, over the budget", c.stored, got, uint64(got+1)*c.stored)
		}
	}
}
