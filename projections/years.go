package projections

import (
	"bytes"
	"cmp"
	"slices"
	"sort"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// AreaYear is an area as it stood on 31 December of Year — the fold of its
// events that occurred by then, in sequence order, as AsOf and KnownAt keep
// them — and the count of its events that occurred in Year. The fold keeps
// one for each year in which an event of the area occurred, so the area as
// of any 31 December is its AreaYear of the latest such year at or before
// it (AreaAsOf): the annual report reads contamination at both ends of a
// year from these instead of folding the history twice (docs/report.md).
type AreaYear struct {
	AreaID         uuid.UUID
	Year           int
	Registered     bool // its registration had occurred by then; the rest is zero otherwise
	Province       string
	Classification string
	SizeM2         int64
	RemainingM2    int64
	Evidence       bool // evidence recorded by then (EvidenceCount > 0)
	Restricted     bool // access restricted on 31 December
	// The area's events that occurred in Year (whatever the area's state):
	// how many, the first and last sequence, and the QA visits among them.
	Events        int64
	FirstSequence uint64
	LastSequence  uint64
	QAVisits      int64
}

// YearKey names the events of a year about a province ("" national or none).
type YearKey struct {
	Year     int
	Province string
}

// YearEventsRow counts the events that occurred in a year and are not
// about an area (deployments, withdrawals, pledges,
// shortfalls, work plans, deadlines), by the province they name: the rest
// of the annual report's event count.
type YearEventsRow struct {
	YearKey
	Events        int64
	FirstSequence uint64
	LastSequence  uint64
}

func (r *YearEventsRow) count(seq uint64) {
	r.Events++
	if r.FirstSequence == 0 || seq < r.FirstSequence {
		r.FirstSequence = seq
	}
	r.LastSequence = max(r.LastSequence, seq)
}

type areaYearKey struct {
	id   uuid.UUID
	year int
}

// AreaAsOf returns the area id as of 31 December of year: its AreaYear of
// the latest year at or before year with an event (false when none, or
// when it was not registered by then).
func (n *National) AreaAsOf(id uuid.UUID, year int) (AreaYear, bool) {
	ys := n.Years[id]
	i := sort.Search(len(ys), func(i int) bool { return ys[i].Year > year })
	if i == 0 || !ys[i-1].Registered {
		return AreaYear{}, false
	}
	return ys[i-1], true
}

// trackYear keeps the area's year-end states after e was applied to the
// live row. e has the highest sequence yet, so for each year Y ≥ e's year
// the state as of Y is the state before plus e: an event dated in order
// (the common case) updates only the latest year, taken from the live row;
// one recorded late but dated in an earlier year is applied to each year
// from its own to the latest (applyTo), and the latest is again the live
// row, which has folded every event of the area.
func (n *National) trackYear(e events.Envelope, id uuid.UUID) {
	a := n.Areas[id]
	y := e.OccurredOn.Year()
	ys := n.Years[id]
	// An event of an area the fold does not hold (yet) changes no state but
	// counts in its year: the area may be registered later, dated earlier.
	i := len(ys)
	if i > 0 && ys[i-1].Year >= y { // the common case (in order) skips the search
		i = sort.Search(len(ys), func(i int) bool { return ys[i].Year >= y })
	}
	grown := false
	if i == len(ys) || ys[i].Year != y {
		grown = true
		s := AreaYear{AreaID: id}
		if i > 0 {
			s = ys[i-1]
			s.Events, s.FirstSequence, s.LastSequence, s.QAVisits = 0, 0, 0, 0
		}
		s.Year = y
		ys = append(ys, AreaYear{})
		copy(ys[i+1:], ys[i:])
		ys[i] = s
	}
	last := len(ys) - 1
	for j := i; j <= last; j++ {
		if j == last {
			ys[j].capture(a)
		} else {
			n.applyTo(&ys[j], e)
		}
		if !n.Untracked {
			n.dirtyY[areaYearKey{id, ys[j].Year}] = true
		}
	}
	s := &ys[i]
	s.Events++
	if s.FirstSequence == 0 || e.Sequence < s.FirstSequence {
		s.FirstSequence = e.Sequence
	}
	s.LastSequence = max(s.LastSequence, e.Sequence)
	if _, ok := e.Data.(events.QAVisitRecorded); ok {
		s.QAVisits++
	}
	if grown {
		n.Years[id] = ys
	}
}

// countYear counts an event that is not about an area the fold holds.
func (n *National) countYear(k YearKey, seq uint64) {
	r := n.YearEvents[k]
	if r == nil {
		r = &YearEventsRow{YearKey: k}
		n.YearEvents[k] = r
	}
	r.count(seq)
	if !n.Untracked {
		n.dirtyYE[k] = true
	}
}

// capture copies the live row's year-end figures (a nil row: not
// registered).
func (s *AreaYear) capture(a *AreaRow) {
	if a == nil {
		s.Registered, s.Province, s.Classification, s.SizeM2, s.RemainingM2, s.Evidence, s.Restricted = false, "", "", 0, 0, false, false
		return
	}
	s.Registered, s.Province, s.Classification = true, a.Province, a.Classification
	s.SizeM2, s.RemainingM2 = a.SizeM2, a.RemainingM2
	s.Evidence, s.Restricted = a.EvidenceCount > 0, a.Restricted()
}

// applyTo applies e to a past year's state with the fold's own area
// transitions, on a scratch fold that records nothing, so the year-end
// states never disagree with an as-of fold.
func (n *National) applyTo(s *AreaYear, e events.Envelope) {
	if n.scratch == nil {
		n.scratch = NewNational()
		n.scratch.Untracked = true
	}
	sc := n.scratch
	clear(sc.Areas)
	clear(sc.Stats)
	if s.Registered {
		r := &AreaRow{ID: s.AreaID, Province: s.Province, Classification: s.Classification, SizeM2: s.SizeM2,
			RemainingM2: s.RemainingM2}
		if s.Evidence {
			r.EvidenceCount = 1
		}
		if s.Restricted {
			r.RestrictedSince = events.NewDate(s.Year, 12, 31)
		}
		sc.Areas[s.AreaID] = r
	}
	sc.applyArea(e)
	s.capture(sc.Areas[s.AreaID])
}

// EventProvince is the province an event that is not an area's names, as
// the annual report counts it: a deployment's (a withdrawal's deployment's),
// a pledge's, a shortfall's, a work plan's; "" otherwise.
func (n *National) EventProvince(ev events.Event) string {
	switch d := ev.(type) {
	case events.CapacityDeployed:
		return d.Province
	case events.CapacityWithdrawn:
		if dep := n.Deployments[d.DeploymentID]; dep != nil {
			return dep.Province
		}
	case events.FundingPledged:
		return d.Province
	case events.FundingShortfallRecorded:
		return d.Province
	case events.WorkPlanApproved:
		return d.Province
	case events.WorkPlanEndorsed:
		return d.Province
	}
	return ""
}

// restoreYears puts stored year-end states and event counts into the fold.
func (n *National) restoreYears(years []AreaYear, counts []YearEventsRow) {
	// Each area's years are a piece of the loaded rows (no copy beside
	// them), capped so that a year the fold adds later moves them out.
	byArea := func(a, b AreaYear) int {
		if c := bytes.Compare(a.AreaID[:], b.AreaID[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.Year, b.Year)
	}
	if !slices.IsSortedFunc(years, byArea) {
		slices.SortStableFunc(years, byArea)
	}
	for i := 0; i < len(years); {
		j := i + 1
		for j < len(years) && years[j].AreaID == years[i].AreaID {
			j++
		}
		for k := i; k < j; k++ {
			years[k].Province = n.intern(years[k].Province)
			years[k].Classification = n.intern(years[k].Classification)
		}
		n.Years[years[i].AreaID] = years[i:j:j]
		i = j
	}
	for _, c := range counts {
		r := c
		n.YearEvents[c.YearKey] = &r
	}
}
