package projections

import (
	"maps"
	"slices"

	"github.com/google/uuid"
)

// Clone returns a copy of the fold that shares nothing Apply changes: what
// is applied to the copy never shows in n, and the reverse. Event payloads
// the rows point to (geometries, evidence, milestones, a plan's areas) are
// shared, since the fold replaces them and never changes them in place. A
// scenario forks the folded history this way instead of folding it again.
func (n *National) Clone() *National {
	c := *n
	c.Areas = cloneRows(n.Areas)
	c.Deployments = cloneRows(n.Deployments)
	c.WorkPlans = cloneRows(n.WorkPlans)
	c.Stats = cloneRows(n.Stats)
	c.Pledges = slices.Clone(n.Pledges)
	c.Shortfalls = slices.Clone(n.Shortfalls)
	c.Deadlines = slices.Clone(n.Deadlines)
	c.Audit = slices.Clone(n.Audit)
	c.QuarantineLog = slices.Clone(n.QuarantineLog)
	c.strs = maps.Clone(n.strs)
	c.dirtyA = maps.Clone(n.dirtyA)
	c.dirtyD = maps.Clone(n.dirtyD)
	c.dirtyW = maps.Clone(n.dirtyW)
	c.deltaS = cloneRows(n.deltaS)
	c.Years = make(map[uuid.UUID][]AreaYear, len(n.Years))
	for id, ys := range n.Years {
		c.Years[id] = slices.Clone(ys)
	}
	c.YearEvents = cloneRows(n.YearEvents)
	c.dirtyY = maps.Clone(n.dirtyY)
	c.dirtyYE = maps.Clone(n.dirtyYE)
	c.scratch = nil
	c.pending = Changes{
		Areas: slices.Clone(n.pending.Areas), Deployments: slices.Clone(n.pending.Deployments),
		Pledges: slices.Clone(n.pending.Pledges), Shortfalls: slices.Clone(n.pending.Shortfalls),
		Deadlines: slices.Clone(n.pending.Deadlines), WorkPlans: slices.Clone(n.pending.WorkPlans),
		Stats: slices.Clone(n.pending.Stats), Audit: slices.Clone(n.pending.Audit),
		Quarantined: slices.Clone(n.pending.Quarantined), Sequence: n.pending.Sequence,
		AreaYears: slices.Clone(n.pending.AreaYears), YearEvents: slices.Clone(n.pending.YearEvents),
	}
	return &c
}

// cloneRows copies a map of rows, each row as well.
func cloneRows[K comparable, R any](m map[K]*R) map[K]*R {
	if m == nil {
		return nil
	}
	c := make(map[K]*R, len(m))
	for k, r := range m {
		cp := *r
		c[k] = &cp
	}
	return c
}
