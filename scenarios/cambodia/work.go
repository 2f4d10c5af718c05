package cambodia

import (
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// provincePlan is what a province is to release in a year, in m².
type provincePlan struct {
	province string
	nts      float64 // SHA area processed by non-technical survey
	desk     float64 // SHA area cancelled by desk analysis
	work     []depWork
}

// depWork is the CHA area a deployment works (reduces and clears) in a year.
type depWork struct {
	d      *deployment
	worked float64
}

// releasePlan lays out a province's work of year y from the year's
// programme. Each deployment works the CHA area its capacity clears (at the
// year's achieved productivity) plus what technical survey reduces at the
// year's share; the national NTS throughput is split over the provinces in
// proportion to the clearance capacity deployed there (the survey teams are
// the operators'), and desk analysis adds its share of the cancellations.
// Nothing here aims at a total: the year's outputs follow from its survey,
// capacity and productivity.
func (g *gen) releasePlan(y int) []provincePlan {
	b := g.spec.Behaviour
	py, ok := g.spec.Year(y)
	if !ok {
		return nil
	}
	caps := make([]float64, len(g.deps))
	total := 0.0
	for i, d := range g.deps {
		caps[i] = g.capacity(d, y)
		total += caps[i]
	}
	if total == 0 {
		return nil
	}
	var out []provincePlan
	for _, p := range g.spec.Provinces {
		pp := provincePlan{province: p.Name}
		capP := 0.0
		for i, d := range g.deps {
			if d.province != p.Name || caps[i] == 0 {
				continue
			}
			pp.work = append(pp.work, depWork{d: d, worked: caps[i] / (1 - py.TSReduceShare)})
			capP += caps[i]
		}
		if capP == 0 {
			continue
		}
		pp.nts = py.NTSKm2 * 1e6 * capP / total
		pp.desk = pp.nts * b.NTSCancelShare * b.DeskShare / (1 - b.DeskShare)
		out = append(out, pp)
	}
	return out
}

type taskKind int

const (
	ntsCancel  taskKind = iota // CancelArea by NTS (size 0: all that remains)
	ntsConfirm                 // evidence, then ConfirmHazardousArea keeping size
	deskCancel                 // CancelArea by desk analysis
	chaWork                    // technical survey reduces size, clearance clears clear
)

// task is one area's work in a year.
type task struct {
	kind  taskKind
	a     *area
	dep   *deployment
	size  int64
	clear int64
}

// yearPlan is a province's work of a year.
type yearPlan struct {
	province string
	tasks    []task
}

// eligible reports whether an area can be worked in year y: open, not kept
// for an audit case, registered before the year (in the first year, by the
// end of September) and with room left in the year.
func (g *gen) eligible(a *area, y int) bool {
	s := g.state(a)
	return !a.reserved && !s.Released() && !a.last.After(events.NewDate(y, time.October, 31)) && g.registeredBefore(s, y)
}

// registeredBefore reports whether an area was registered before year y, or,
// in the first year, by the end of September.
func (g *gen) registeredBefore(s domain.Area, y int) bool {
	if y == g.spec.History.From.Year() {
		return !s.RegisteredOn.After(events.NewDate(y, time.September, 30))
	}
	return s.RegisteredOn.Year() < y
}

// priority weighs an area for the year's work: casualties, a community
// request and productive land first.
func (g *gen) priority(a *area) float64 {
	s := g.state(a)
	w := 1 + 2*float64(s.CasualtiesLast5y)
	if s.LandUse == "AGRICULTURE" || s.LandUse == "RESIDENTIAL" {
		w++
	}
	if s.EvidenceCount == 0 {
		w *= 0.5
	}
	return w
}

// window returns the dates a deployment can work on an area in year y.
func (g *gen) window(a *area, d *deployment, y int) (lo, hi events.Date, ok bool) {
	lo = maxDate(maxDate(events.NewDate(y, time.January, 10), a.last.AddDays(1)), d.from)
	hi = events.NewDate(y, time.December, 15)
	if !d.to.IsZero() {
		hi = minDate(hi, d.to.AddDays(-1))
	}
	return lo, hi, daysBetween(lo, hi) >= 14
}

// plan chooses the year's work in every province from the release plan.
func (g *gen) plan(y int) []yearPlan {
	var out []yearPlan
	owed := 0.0 // confirmed area the survey owes the spec's share
	for _, pp := range g.releasePlan(y) {
		var sha, cha []*area
		for _, a := range g.byProv[pp.province] {
			if !g.eligible(a, y) {
				continue
			}
			if g.state(a).Class == events.SHA {
				sha = append(sha, a)
			} else {
				cha = append(cha, a)
			}
		}
		sha = g.order(sha, g.priority)
		cha = g.order(cha, func(a *area) float64 {
			s := g.state(a)
			if s.ClearedM2+s.ReducedM2 > 0 { // finish what was started
				return 3 * g.priority(a)
			}
			return g.priority(a)
		})
		taken := map[*area]bool{}
		yp := yearPlan{province: pp.province}
		yp.tasks = append(yp.tasks, g.planNTS(pp, sha, taken, y, &owed)...)
		yp.tasks = append(yp.tasks, g.planDesk(pp, sha, taken, y)...)
		for _, w := range pp.work {
			if w.d.id != uuid.Nil {
				yp.tasks = append(yp.tasks, g.planCHA(w, cha, taken, y)...)
			}
		}
		for _, t := range yp.tasks {
			t.a.planned = y
		}
		if len(yp.tasks) > 0 {
			out = append(out, yp)
		}
	}
	return out
}

// ntsDeployment draws a deployment of the province that can work the area,
// weighted by capacity.
func (g *gen) ntsDeployment(pp provincePlan, a *area, y int) *deployment {
	total := 0.0
	var ok []depWork
	for _, w := range pp.work {
		if _, _, fits := g.window(a, w.d, y); fits && w.d.id != uuid.Nil {
			ok = append(ok, w)
			total += w.worked
		}
	}
	u := g.rng.Float64() * total
	for _, w := range ok {
		u -= w.worked
		if u < 0 {
			return w.d
		}
	}
	if len(ok) > 0 {
		return ok[len(ok)-1].d
	}
	return nil
}

// planNTS plans the non-technical survey of SHAs: each area processed is
// cancelled (in full or in part) or confirmed as a CHA with the rest
// cancelled, keeping the cancelled share of the processed area at the spec's.
// owed is the confirmed area the provinces planned before fell short of
// their share by (negative: went beyond it), as a province ends its survey
// an area short or over, a small one by much of its survey; planNTS adds
// its own, so that the national share holds.
func (g *gen) planNTS(pp provincePlan, sha []*area, taken map[*area]bool, y int, owed *float64) []task {
	keepShare := 1 - g.spec.Behaviour.NTSCancelShare
	var out []task
	processed, confirmed := 0.0, 0.0
	defer func() { *owed += keepShare*processed - confirmed }()
	for _, a := range sha {
		left := pp.nts - processed
		if left < 1 {
			break
		}
		d := g.ntsDeployment(pp, a, y)
		if d == nil {
			continue
		}
		r := float64(g.state(a).RemainingM2)
		t := task{a: a, dep: d, kind: ntsCancel}
		// Confirm the area while the confirmed share, counted over the
		// provinces planned so far, is below the spec's. Each confirmation
		// overshoots by part of an area; the next province makes up for it.
		switch {
		case r <= left && *owed+keepShare*(processed+r)-confirmed > 0:
			t.kind = ntsConfirm
			t.size = max(1, int64(math.Round(r*(0.55+0.4*g.rng.Float64()))))
			processed += r
			confirmed += float64(t.size)
		case r <= left && g.chance(0.4):
			processed += r
		default:
			part := math.Round(math.Min(left, r*(0.3+0.5*g.rng.Float64())))
			if part < 1 {
				continue
			}
			if part < r {
				t.size = int64(part)
			}
			processed += part
		}
		taken[a] = true
		out = append(out, t)
	}
	return out
}

// planDesk plans cancellations by desk analysis of SHAs the NTS left.
func (g *gen) planDesk(pp provincePlan, sha []*area, taken map[*area]bool, y int) []task {
	var out []task
	done := 0.0
	for _, a := range sha {
		left := pp.desk - done
		if left < 1 {
			break
		}
		if taken[a] {
			continue
		}
		r := float64(g.state(a).RemainingM2)
		t := task{kind: deskCancel, a: a}
		if r > left {
			t.size = int64(math.Round(left))
			r = float64(t.size)
		}
		done += r
		taken[a] = true
		out = append(out, t)
	}
	return out
}

// planCHA plans a deployment's technical survey and clearance of CHAs, at
// most max_worked_ha of an area a year, the reduced share kept at the year's.
func (g *gen) planCHA(w depWork, cha []*area, taken map[*area]bool, y int) []task {
	b := g.spec.Behaviour
	py, _ := g.spec.Year(y)
	maxWorked := b.MaxWorkedHa * 1e4
	var out []task
	worked, reduced := 0.0, 0.0
	for _, a := range cha {
		left := w.worked - worked
		if left < 1 {
			break
		}
		if taken[a] {
			continue
		}
		if _, _, ok := g.window(a, w.d, y); !ok {
			continue
		}
		r := float64(g.state(a).RemainingM2)
		amount := math.Min(r, math.Min(maxWorked, left))
		if r-amount < float64(b.MinAreaM2) && r <= left+float64(b.MinAreaM2) {
			amount = r // no slivers
		}
		amount = math.Round(amount)
		if amount < 1 {
			continue
		}
		red := math.Round(math.Max(0, math.Min(amount, py.TSReduceShare*(worked+amount)-reduced)))
		t := task{kind: chaWork, a: a, dep: w.d, size: int64(red), clear: int64(amount - red)}
		worked += amount
		reduced += red
		taken[a] = true
		out = append(out, t)
	}
	return out
}

// approve emits the year's work plans: the PMAC approves the MAPU's plan
// listing the areas to work, then the CMAA endorses it.
func (g *gen) approve(y int, plans []yearPlan) {
	from := g.spec.Behaviour.WorkPlansFrom
	if from == 0 || y < from {
		return
	}
	for _, yp := range plans {
		ids := make([]uuid.UUID, 0, len(yp.tasks))
		seen := map[uuid.UUID]bool{}
		for _, t := range yp.tasks {
			if id := t.a.ref.ID; !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if _, ok := g.try(domain.ApproveWorkPlan{Province: yp.province, Year: y, AreaIDs: ids, ApprovedBy: "PMAC " + yp.province}, mapu(yp.province)); ok {
			g.try(domain.EndorseWorkPlan{Province: yp.province, Year: y, EndorsedBy: "CMAA"}, "cmaa")
		}
	}
}

var (
	ntsReasons = []string{
		"NTS: no evidence of contamination; the land has been farmed for years without incident",
		"NTS: informants confirm no mines were laid here",
		"NTS: the polygon was drawn too wide; the rest of the land is in daily use",
	}
	deskReason = "desk analysis: the polygon overlaps land already released or settled; no record of mine laying"
)

// work emits the year's planned work.
func (g *gen) work(y int, plans []yearPlan) {
	for _, yp := range plans {
		for _, t := range yp.tasks {
			switch t.kind {
			case ntsCancel, ntsConfirm:
				g.nts(t, y)
			case deskCancel:
				on := g.between(maxDate(events.NewDate(y, time.January, 10), t.a.last.AddDays(1)), events.NewDate(y, time.December, 15))
				g.act(t.a, on, domain.CancelArea{AreaID: t.a.ref.ID, On: on, Method: events.CancelByDeskAnalysis,
					Reason: deskReason, SizeM2: t.size}, mapu(yp.province))
			case chaWork:
				g.clearance(t, y)
			}
		}
	}
}

// nts emits a non-technical survey: the tasking, then a cancellation, or
// evidence and a confirmation.
func (g *gen) nts(t task, y int) {
	lo, hi, _ := g.window(t.a, t.dep, y)
	ds := g.dates(lo, hi, 3)
	op := t.dep.op.Name
	id := t.a.ref.ID
	if !g.act(t.a, ds[0], domain.AssignTask{AreaID: id, DeploymentID: t.dep.id, On: ds[0], Task: "NTS"}, mapu(t.a.province)) {
		return
	}
	if t.kind == ntsCancel {
		g.act(t.a, ds[2], domain.CancelArea{AreaID: id, On: ds[2], Method: events.CancelByNTS,
			Reason: ntsReasons[g.rng.IntN(len(ntsReasons))], SizeM2: t.size, Operator: op}, operator(op))
		return
	}
	ev := g.evidence(events.CHA, ds[1], ds[1])
	g.act(t.a, ds[1], domain.RecordEvidence{AreaID: id, Kind: ev.Kind, ObservedOn: ev.ObservedOn,
		Description: ev.Description + " (NTS)"}, operator(op))
	g.act(t.a, ds[2], domain.ConfirmHazardousArea{AreaID: id, On: ds[2], SizeM2: t.size}, operator(op))
}

// clearance emits technical survey and clearance of a CHA, and a QA visit
// when the area is released.
func (g *gen) clearance(t task, y int) {
	lo, hi, _ := g.window(t.a, t.dep, y)
	clears := 1
	if t.clear > 80000 {
		clears = 2
	}
	ds := g.dates(lo, hi, 4+clears)
	op := t.dep.op.Name
	id := t.a.ref.ID
	if t.size > 0 {
		g.act(t.a, ds[0], domain.AssignTask{AreaID: id, DeploymentID: t.dep.id, On: ds[0], Task: "TS"}, mapu(t.a.province))
		g.act(t.a, ds[1], domain.ReduceArea{AreaID: id, On: ds[1], SizeM2: t.size, Operator: op}, operator(op))
	}
	if t.clear > 0 {
		g.act(t.a, ds[2], domain.AssignTask{AreaID: id, DeploymentID: t.dep.id, On: ds[2], Task: "CLEARANCE"}, mapu(t.a.province))
		parts := []int64{t.clear}
		if clears == 2 {
			half := t.clear / 2
			parts = []int64{half, t.clear - half}
		}
		for i, part := range parts {
			on := ds[3+i]
			ap, at, erw := g.devices(t.a.hazard, float64(part)/1e4)
			if g.act(t.a, on, domain.ClearArea{AreaID: id, On: on, SizeM2: part, Operator: op,
				APMinesDestroyed: ap, ATMinesDestroyed: at, ERWDestroyed: erw}, operator(op)) {
				g.clearedM2 += part
				t.a.clearedBy = op
			}
		}
	}
	if g.state(t.a).Released() && g.chance(g.spec.Behaviour.QAShare) {
		on := ds[len(ds)-1]
		g.act(t.a, on, domain.RecordQAVisit{AreaID: id, On: on, Result: "PASS", Operator: op,
			Notes: "post-clearance QA: sampling found no device"}, "cmaa")
	}
}

// devices draws the devices destroyed clearing ha hectares of a hazard.
func (g *gen) devices(h events.Hazard, ha float64) (ap, at, erw int) {
	b := g.spec.Behaviour
	switch h {
	case "AP":
		return g.poisson(b.APMinesPerHa * ha), g.poisson(b.ATMinesPerHa * ha * 0.5), 0
	case "AT":
		return g.poisson(b.APMinesPerHa * ha * 0.3), g.poisson(b.ATMinesPerHa * ha * 5), 0
	case "MIXED":
		return g.poisson(b.APMinesPerHa * ha * 0.7), g.poisson(b.ATMinesPerHa * ha), g.poisson(b.ERWPerHa * ha)
	default: // ERW, CMR
		return 0, 0, g.poisson(b.ERWPerHa * ha * 2)
	}
}
