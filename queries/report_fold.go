package queries

import (
	"context"
	"fmt"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// reportActions are the audit actions the report counts.
var reportActions = []string{"CONFIRMED", "RECLASSIFIED", "REOPENED"}

// Report answers the annual progress report from the live read model: the
// projections' fold (year-end states of the areas, events by year,
// statistics, deployments, funding, deadlines) and the register's audit
// trail of the year, never the history. It costs O(areas + the year's
// audit entries of the actions it counts), whatever the length of the
// history; the figures equal BuildReport's replay (tests). The query is
// validated against the programme's gazetteer. Without a fold (a Reads
// that has only the history) it replays.
func (r *Reads) Report(ctx context.Context, q ReportQuery) (Report, error) {
	if err := q.Validate(domain.Provinces(r.Country)); err != nil {
		return Report{}, err
	}
	if r.Fold == nil || r.Register == nil {
		return BuildReport(ctx, r.History, q)
	}
	from, to := events.NewDate(q.Year, time.January, 1), events.NewDate(q.Year, time.December, 31)
	var audit []projections.AuditRow
	for _, action := range reportActions {
		rows, err := r.Register.Audit(ctx, AuditFilter{From: from, To: to, Action: action, Brief: true})
		if err != nil {
			return Report{}, fmt.Errorf("report %d: %w", q.Year, err)
		}
		audit = append(audit, rows...)
	}
	var rep Report
	r.Fold.View(func(n *projections.National) {
		if n == nil {
			n = projections.NewNational()
		}
		rep = ReportOfFold(n, audit, q)
	})
	return rep, nil
}

// ReportOfFold builds the report of q from a fold of the whole history (the
// projections' live fold, or a replay's) and the audit entries of the year
// (those of actions CONFIRMED, RECLASSIFIED and REOPENED at least; any
// province): contamination at both ends of the year from the areas'
// year-end states (projections.AreaYear: the area as of the latest year at
// or before with an event), the events and QA visits of the year from their
// counts by year, the deadline in force from the deadlines decided by the
// year's end (projections.KnownAt's rule), everything else as BuildReport.
func ReportOfFold(n *projections.National, audit []projections.AuditRow, q ReportQuery) Report {
	y := q.Year
	asOf := func(year int) func(yield func(areaAt)) {
		return func(yield func(areaAt)) {
			for id := range n.Years {
				s, ok := n.AreaAsOf(id, year)
				if !ok {
					continue
				}
				at := areaAt{Province: s.Province, Classification: s.Classification, SizeM2: s.SizeM2, RemainingM2: s.RemainingM2,
					Evidence: s.Evidence, Restricted: s.Restricted}
				if a := n.Areas[id]; a != nil {
					at.RegisteredOn = a.RegisteredOn // set once, by the registration
				}
				yield(at)
			}
		}
	}
	in := reportInput{start: asOf(y - 1), end: asOf(y), fold: n, audit: audit}
	end := events.NewDate(y, time.December, 31)
	for i := len(n.Deadlines) - 1; i >= 0; i-- {
		if d := &n.Deadlines[i]; d.DecidedOn.IsZero() || !d.DecidedOn.After(end) {
			in.deadline = d
			break
		}
	}
	r := reportCore(in, q)
	// The events of the year: the areas' (about the province when the area
	// was registered in it by the year's end) and the others'.
	for _, ys := range n.Years {
		for i := len(ys) - 1; i >= 0 && ys[i].Year >= y; i-- {
			s := &ys[i]
			if s.Year != y {
				continue
			}
			if q.Province == "" || (s.Registered && s.Province == q.Province) {
				r.Events.count(s.FirstSequence, s.LastSequence, int(s.Events))
			}
			if s.Registered && (q.Province == "" || s.Province == q.Province) {
				r.Indicators.QAVisits += int(s.QAVisits)
			}
		}
	}
	for k, c := range n.YearEvents {
		if k.Year == y && (q.Province == "" || k.Province == q.Province) {
			r.Events.count(c.FirstSequence, c.LastSequence, int(c.Events))
		}
	}
	r.finishQA()
	return r
}
