package projections

import (
	"bytes"
	"cmp"
	"slices"
	"sort"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// Names and versions of the projections the National fold maintains. A
// version change means the fold changed: the runner rebuilds.
const (
	RegisterName     = "register"
	StatisticsName   = "statistics"
	AuditName        = "audit"
	NationalVersion  = 2 // 2: year-end states of areas and events by year (AreaYear)
	WorkPlanApproved = "APPROVED"
	WorkPlanEndorsed = "ENDORSED"
)

// Names lists the projections of the National fold.
var Names = []string{RegisterName, StatisticsName, AuditName}

// WorkPlanKey identifies a province's plan of a year.
type WorkPlanKey struct {
	Province string
	Year     int
}

// National folds events into the national database (register), the
// land-release statistics and the audit trail. It holds the current state in
// memory and records what each event changed, so a store writes only the
// changed rows (see Drain). Not safe for concurrent use.
type National struct {
	Areas       map[uuid.UUID]*AreaRow
	Deployments map[uuid.UUID]*DeploymentRow
	Pledges     []PledgeRow
	Shortfalls  []ShortfallRow
	Deadlines   []DeadlineRow
	WorkPlans   map[WorkPlanKey]*WorkPlanRow
	Stats       map[StatKey]*StatRow
	// Years holds each area's state on 31 December of every year in which
	// an event of it occurred, oldest first; YearEvents counts the other
	// events by year (see years.go).
	Years      map[uuid.UUID][]AreaYear
	YearEvents map[YearKey]*YearEventsRow
	Sequence   uint64 // last event applied

	// KeepAudit keeps every audit row in memory (for as-of questions);
	// normally rows only wait in the pending changes.
	KeepAudit bool
	Audit     []AuditRow
	// OnAudit, when set, is given each audit row as it is made, in
	// sequence order (a replay that reads the trail as it comes).
	OnAudit func(AuditRow)
	// Untracked folds without recording changes for a store: for
	// questions answered in memory (as-of replays, forecasts).
	Untracked bool
	// NoGeometry drops the areas' geometries: an untracked fold whose
	// question draws and checks no shapes holds less.
	NoGeometry bool
	// Quarantined counts the messages of the history up to Sequence that
	// were not events (see Quarantine); QuarantineLog lists them when
	// KeepAudit is set or the fold is Untracked.
	Quarantined   int
	QuarantineLog []events.Quarantined

	pending Changes
	strs    map[string]string // one copy of each attribute value (see intern)
	dirtyA  map[uuid.UUID]bool
	dirtyD  map[uuid.UUID]bool
	dirtyW  map[WorkPlanKey]bool
	deltaS  map[StatKey]*StatRow
	dirtyY  map[areaYearKey]bool
	dirtyYE map[YearKey]bool
	scratch *National // applies late events to past years (applyTo)
}

// Changes are the rows changed since the last Drain, for one transaction.
type Changes struct {
	Areas       []AreaRow            // full rows; Geometry nil means "unchanged"
	Deployments []DeploymentRow      // full rows
	Pledges     []PledgeRow          // new rows
	Shortfalls  []ShortfallRow       // new rows
	Deadlines   []DeadlineRow        // new rows
	WorkPlans   []WorkPlanRow        // full rows
	Stats       []StatRow            // deltas to add
	Audit       []AuditRow           // new rows
	Quarantined []events.Quarantined // messages skipped, new rows
	AreaYears   []AreaYear           // full rows
	YearEvents  []YearEventsRow      // full rows
	Sequence    uint64               // checkpoint: last message folded or skipped
}

// Empty reports whether there is nothing to write but the checkpoint.
func (c Changes) Empty() bool {
	return len(c.Areas)+len(c.Deployments)+len(c.Pledges)+len(c.Shortfalls)+len(c.Deadlines)+
		len(c.WorkPlans)+len(c.Stats)+len(c.Audit)+len(c.Quarantined)+len(c.AreaYears)+len(c.YearEvents) == 0
}

// NewNational returns an empty fold.
func NewNational() *National {
	return &National{
		Areas: make(map[uuid.UUID]*AreaRow), Deployments: make(map[uuid.UUID]*DeploymentRow),
		WorkPlans: make(map[WorkPlanKey]*WorkPlanRow), Stats: make(map[StatKey]*StatRow), strs: make(map[string]string),
		dirtyA: make(map[uuid.UUID]bool), dirtyD: make(map[uuid.UUID]bool),
		dirtyW: make(map[WorkPlanKey]bool), deltaS: make(map[StatKey]*StatRow),
		Years: make(map[uuid.UUID][]AreaYear), YearEvents: make(map[YearKey]*YearEventsRow),
		dirtyY: make(map[areaYearKey]bool), dirtyYE: make(map[YearKey]bool),
	}
}

// Restore puts state read back from a store into an empty fold.
func (n *National) Restore(areas []AreaRow, deployments []DeploymentRow, plans []WorkPlanRow, stats []StatRow, seq uint64) {
	// The fold takes the rows as they are, without a copy: a copy held
	// beside the loaded rows doubled the peak of a serve's start (550,000
	// areas at 100×).
	for i := range areas {
		a := &areas[i]
		a.Geometry = nil
		for _, f := range []*string{&a.Province, &a.District, &a.Commune, &a.Village, &a.Hazard, &a.Classification,
			&a.Status, &a.Source, &a.LandUse, &a.LastOperator} {
			*f = n.intern(*f)
		}
		n.Areas[a.ID] = a
	}
	for i := range deployments {
		d := deployments[i]
		n.Deployments[d.ID] = &d
	}
	for i := range plans {
		w := plans[i]
		n.WorkPlans[WorkPlanKey{w.Province, w.Year}] = &w
	}
	for i := range stats {
		s := stats[i]
		n.Stats[s.StatKey] = &s
	}
	n.Sequence = seq
}

// Drain returns the changes since the last Drain and forgets them. Rows are
// copies; geometry is released from memory once handed over.
func (n *National) Drain() Changes {
	c := n.pending
	c.Sequence = n.Sequence
	c.Areas = make([]AreaRow, 0, len(n.dirtyA))
	c.Stats = make([]StatRow, 0, len(n.deltaS))
	for id := range n.dirtyA {
		a := n.Areas[id]
		c.Areas = append(c.Areas, *a)
		a.Geometry = nil
	}
	for id := range n.dirtyD {
		c.Deployments = append(c.Deployments, *n.Deployments[id])
	}
	c.AreaYears = make([]AreaYear, 0, len(n.dirtyY))
	for k := range n.dirtyY {
		ys := n.Years[k.id]
		i := sort.Search(len(ys), func(i int) bool { return ys[i].Year >= k.year })
		c.AreaYears = append(c.AreaYears, ys[i])
	}
	slices.SortFunc(c.AreaYears, func(a, b AreaYear) int {
		if x := bytes.Compare(a.AreaID[:], b.AreaID[:]); x != 0 {
			return x
		}
		return cmp.Compare(a.Year, b.Year)
	})
	for k := range n.dirtyYE {
		c.YearEvents = append(c.YearEvents, *n.YearEvents[k])
	}
	for k := range n.dirtyW {
		w := *n.WorkPlans[k]
		w.AreaIDs = append([]uuid.UUID(nil), w.AreaIDs...)
		c.WorkPlans = append(c.WorkPlans, w)
	}
	for _, s := range n.deltaS {
		c.Stats = append(c.Stats, *s)
	}
	slices.SortFunc(c.Areas, func(a, b AreaRow) int { return cmp.Compare(a.LastSequence, b.LastSequence) })
	slices.SortFunc(c.Stats, func(a, b StatRow) int {
		if a.StatKey.Less(b.StatKey) {
			return -1
		}
		if b.StatKey.Less(a.StatKey) {
			return 1
		}
		return 0
	})
	// The next batch is likely as large as this one: start its audit rows
	// at this size instead of growing them from nothing.
	n.pending = Changes{Audit: make([]AuditRow, 0, len(c.Audit))}
	clear(n.dirtyA)
	clear(n.dirtyD)
	clear(n.dirtyW)
	clear(n.deltaS)
	clear(n.dirtyY)
	clear(n.dirtyYE)
	return c
}

// Less orders statistics keys by year, province, operator and method.
func (a StatKey) Less(b StatKey) bool {
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Province != b.Province {
		return a.Province < b.Province
	}
	if a.Operator != b.Operator {
		return a.Operator < b.Operator
	}
	return a.Method < b.Method
}

// intern returns the fold's copy of s. Decoding gives every event its own
// copy of each string; an area row keeps about ten of them for as long as
// the fold lives, and they take few distinct values (provinces, districts,
// hazards, classifications, land uses, operators), so the register holds
// one copy of each value instead of one per area (a fifth of a row's
// memory).
func (n *National) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := n.strs[s]; ok {
		return v
	}
	if n.strs == nil {
		n.strs = make(map[string]string)
	}
	if len(n.strs) >= maxInterned {
		return s
	}
	n.strs[s] = s
	return s
}

// maxInterned bounds the interned values: free-text values that never
// repeat stop being interned once it is reached.
const maxInterned = 1 << 16

func (n *National) stat(key StatKey, d StatRow) {
	d.StatKey = key
	d.Events = 1
	if t, ok := n.Stats[key]; ok {
		t.add(d)
	} else {
		cp := d
		n.Stats[key] = &cp
	}
	if n.Untracked {
		return
	}
	if t, ok := n.deltaS[key]; ok {
		t.add(d)
	} else {
		cp := d
		n.deltaS[key] = &cp
	}
}

func (n *National) audit(e events.Envelope, a *AreaRow, r AuditRow) {
	r.Sequence, r.EventID, r.AreaID = e.Sequence, e.ID, a.ID
	r.Province, r.OccurredOn, r.RecordedAt = a.Province, e.OccurredOn, e.RecordedAt
	r.Actor, r.CommandID, r.EvidenceCount = e.Actor, e.CommandID, a.EvidenceCount
	if !n.Untracked {
		n.pending.Audit = append(n.pending.Audit, r)
	}
	if n.KeepAudit {
		n.Audit = append(n.Audit, r)
	}
	if n.OnAudit != nil {
		n.OnAudit(r)
	}
}

func (n *National) touch(a *AreaRow, e events.Envelope, on events.Date) {
	a.LastSequence = e.Sequence
	a.LastRecordedAt = e.RecordedAt
	if on.After(a.LastActivityOn) {
		a.LastActivityOn = on
	}
	if !n.Untracked {
		n.dirtyA[a.ID] = true
	}
}

func (a *AreaRow) setStatus(on events.Date) {
	switch {
	case a.RemainingM2 == 0:
		if a.Status != "RELEASED" {
			a.ReleasedOn = on
		}
		a.Status = "RELEASED"
	default:
		a.Status = a.Classification
		a.ReleasedOn = events.Date{}
	}
}

func hasDirect(ev []events.Evidence) int {
	n := 0
	for _, e := range ev {
		if e.Direct() {
			n++
		}
	}
	return n
}

func (n *National) applyCorrection(e events.Envelope, a *AreaRow, d events.AreaRecordCorrected) {
	s := d.Set
	r := AuditRow{Action: "CORRECTED", Reason: d.Reason}
	if s.SizeM2 != nil {
		delta := *s.SizeM2 - a.SizeM2
		r.SizeM2 = delta
		r.Flags = append(r.Flags, FlagSizeCorrection)
		if old := a.SizeM2; old > 0 && (*s.SizeM2 >= 10*old || old >= 10**s.SizeM2) {
			r.Flags = append(r.Flags, FlagLargeSizeCorrected)
		}
		// The size change counts where the area was when it was registered
		// as well as now: statistics add it in the province it is in now.
		n.stat(StatKey{d.On.Year(), a.Province, "", MethodCorrection}, StatRow{AreaM2: delta})
		a.SizeM2 = *s.SizeM2
		a.RemainingM2 = add(a.RemainingM2, delta)
	}
	if s.Province != nil && *s.Province != a.Province {
		// Move the area's registered and released figures with it? The
		// statistics keep history where it happened; the register moves.
		a.Province = n.intern(*s.Province)
	}
	n.setIf(&a.District, s.District)
	n.setIf(&a.Commune, s.Commune)
	n.setIf(&a.Village, s.Village)
	if s.Hazard != nil {
		a.Hazard = n.intern(string(*s.Hazard))
	}
	if s.LandUse != nil {
		a.LandUse = n.intern(string(*s.LandUse))
	}
	if len(s.Geometry) > 0 && !n.NoGeometry {
		a.Geometry = s.Geometry
	}
	a.setStatus(d.On)
	n.touch(a, e, d.On)
	n.audit(e, a, r)
}

func (n *National) setIf(dst *string, v *string) {
	if v != nil {
		*dst = n.intern(*v)
	}
}
