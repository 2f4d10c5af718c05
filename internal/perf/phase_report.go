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
	phaseSpecs["report"] = phaseSpec{group: "query", name: "annual progress report", unit: "areas", maxSeconds: 1, maxSeconds100: 10}
}

// report measures the annual progress report of the history's last year
// as the HTTP API serves it (GET /api/v1/reports/{year}) and `landrelease
// report --year Y` builds it once its read model is caught up: the read
// side's Reads.Report on the SQLite read model and its runner's live fold,
// which reads the areas' year-end states and the year's event counts from
// the fold and the audit entries of the year from SQL, and replays nothing.
// Its cost grows with the areas (one pass over their year-end states per
// year end), not with the history, so the unit is areas.
func (b *bencher) report(ctx context.Context, rm readModel, fold *projections.National) error {
	year := projections.LastDate(fold).Year()
	reads := b.host.Reads(rm.db, rm.runner)
	return b.measure("report", func() (float64, error) {
		r, err := reads.Report(ctx, queries.ReportQuery{Year: year})
		if err != nil {
			return 0, err
		}
		if r.Events.Count == 0 || len(r.Contamination.Provinces) == 0 || r.Sequence != fold.Sequence {
			return 0, fmt.Errorf("the report of %d is empty or not of the whole history (%d events, sequence %d of %d)",
				year, r.Events.Count, r.Sequence, fold.Sequence)
		}
		return float64(len(fold.Areas)), nil
	})
}
