package perf

import (
	"context"
	"fmt"

	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

// The annual progress report's phase (issue 16): under 1 s at 1×, under
// 10 s at 100×. Its spec is registered here so the phase lives in one file.
func init() {
	phaseSpecs["report"] = phaseSpec{group: "query", name: "annual progress report", unit: "events", maxSeconds: 1, maxSeconds100: 10}
}

// report measures the annual progress report of the history's last year,
// as `landrelease report --year Y` builds it: one replay of the whole
// history from the store, folded as of both year ends and in full.
func (b *bencher) report(ctx context.Context, eng Engine, fold *projections.National) error {
	year := projections.LastDate(fold).Year()
	return b.measure("report", func() (float64, error) {
		r, err := queries.BuildReport(ctx, eng.Store, queries.ReportQuery{Year: year})
		if err != nil {
			return 0, err
		}
		if r.Events.Count == 0 || len(r.Contamination.Provinces) == 0 {
			return 0, fmt.Errorf("the report of %d is empty", year)
		}
		return float64(r.Sequence), nil
	})
}
