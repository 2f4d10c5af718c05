package cambodia

import (
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// candidates returns the areas that can take one more dated command in year
// y: registered by then, not kept for an audit case, with room left in the
// year, and not in the year's work plan unless planned is set; filtered by
// keep.
func (g *gen) candidates(y int, planned bool, keep func(*area, domain.Area) bool) []*area {
	var out []*area
	for _, a := range g.areas {
		s := g.state(a)
		if a.reserved || (a.planned == y && !planned) || a.last.After(events.NewDate(y, time.November, 30)) ||
			!g.registeredBefore(s, y) || !keep(a, s) {
			continue
		}
		out = append(out, a)
	}
	return out
}

func (g *gen) dateIn(a *area, y int) events.Date {
	return g.between(maxDate(a.last.AddDays(1), events.NewDate(y, time.February, 1)), events.NewDate(y, time.December, 15))
}

// reclassify emits the year's reclassifications outside the survey plan:
// SHAs confirmed on direct evidence reported by the community, and CHAs
// downgraded by re-survey.
func (g *gen) reclassify(y int) {
	b := g.spec.Behaviour
	up := g.candidates(y, false, func(_ *area, s domain.Area) bool {
		return !s.Released() && s.Class == events.SHA
	})
	for _, a := range first(g.order(up, g.priority), b.ReclassifyUpPerYear) {
		on := g.dateIn(a, y)
		ev := g.evidence(events.CHA, on.AddDays(-20), on)
		g.act(a, on, domain.ReclassifyArea{AreaID: a.ref.ID, On: on, To: "CHA",
			Reason: "direct evidence reported by the community", Evidence: []events.Evidence{ev}}, mapu(a.province))
	}
	down := g.candidates(y, false, func(_ *area, s domain.Area) bool {
		return !s.Released() && s.Class == events.CHA && s.ClearedM2+s.ReducedM2 == 0 && s.DirectEvidence == 0
	})
	for _, a := range first(g.order(down, func(*area) float64 { return 1 }), b.ReclassifyDownPerYear) {
		on := g.dateIn(a, y)
		g.act(a, on, domain.ReclassifyArea{AreaID: a.ref.ID, On: on, To: "SHA",
			Reason:   "re-survey found no direct evidence: the CHA rested on an unverified report",
			Evidence: []events.Evidence{{Kind: "SURVEY", ObservedOn: on, Description: "baseline re-survey visit"}}}, mapu(a.province))
	}
}

func first(as []*area, n int) []*area {
	return as[:min(n, len(as))]
}

// reopen emits the year's reopenings: residual contamination found on
// cleared land, by an accident or a failed QC, on about reopen_share of the
// area cleared so far.
func (g *gen) reopen(y int) {
	target := g.spec.Behaviour.ReopenShare * float64(g.clearedM2)
	cands := g.candidates(y, true, func(a *area, s domain.Area) bool { return s.ClearedM2 > 0 && s.ReleasedM2() > 0 })
	done := 0.0
	for _, a := range g.order(cands, func(*area) float64 { return 1 }) {
		if done >= target {
			break
		}
		s := g.state(a)
		size := min(s.ReleasedM2(), s.ClearedM2, int64(5000+g.rng.IntN(25000)))
		on := g.dateIn(a, y)
		reason := "residual contamination: accident on released land"
		ev := events.Evidence{Kind: "ACCIDENT", ObservedOn: on.AddDays(-3),
			Description: fmt.Sprintf("a villager injured by an AP mine on land cleared by %s", a.clearedBy)}
		if g.chance(0.4) {
			reason = "residual contamination: failed quality control"
			ev = events.Evidence{Kind: "DEVICE_FOUND", ObservedOn: on,
				Description: "QC sampling found a PMN-2 missed by the clearance"}
			if !g.act(a, on, domain.RecordQAVisit{AreaID: a.ref.ID, On: on, Result: "FAIL", Operator: a.clearedBy,
				Notes: "QC sampling found a device in the cleared area"}, "cmaa") {
				continue
			}
		}
		if g.act(a, on, domain.ReopenArea{AreaID: a.ref.ID, On: on, To: "CHA", SizeM2: size, Reason: reason,
			Evidence: []events.Evidence{ev}}, mapu(a.province)) {
			done += float64(size)
		}
	}
}

// reserveAuditCases keeps the areas of the audit cases that start in year y
// out of the year's work.
func (g *gen) reserveAuditCases(y int) {
	ac := g.spec.AuditCases
	if c := ac.CancelReopenClear; c.Province != "" && c.CancelledIn == y {
		g.caseA = g.reserve(c.Province, y, func(s domain.Area) bool {
			return s.Class == events.SHA && s.CancelledM2 == 0 && s.SizeM2 >= 20000 && s.SizeM2 <= 200000
		})
	}
	if c := ac.DowngradeCancel; c.Province != "" && c.DowngradedIn == y {
		g.caseB = g.reserve(c.Province, y, func(s domain.Area) bool {
			return s.Class == events.CHA && s.ClearedM2+s.ReducedM2 == 0 && s.DirectEvidence == 0
		})
	}
}

func (g *gen) reserve(province string, y int, keep func(domain.Area) bool) *area {
	for _, a := range g.byProv[province] {
		s := g.state(a)
		if !a.reserved && !s.Released() && g.registeredBefore(s, y) &&
			a.last.Before(events.NewDate(y, time.March, 1)) && keep(s) {
			a.reserved = true
			return a
		}
	}
	return nil
}

// activeDeployment returns a deployment of the province that works from lo
// to hi, or nil.
func (g *gen) activeDeployment(province string, lo, hi events.Date) *deployment {
	for _, d := range g.deps {
		if d.id != uuid.Nil && d.province == province && !d.from.After(lo) &&
			(d.to.IsZero() || d.to.After(hi)) && !g.deploymentState(d).Withdrawn {
			return d
		}
	}
	return nil
}

// auditCases emits the steps of the awkward histories due in year y.
func (g *gen) auditCases(y int) {
	ac := g.spec.AuditCases
	if a := g.caseA; a != nil {
		switch y {
		case ac.CancelReopenClear.CancelledIn:
			g.surveyCancel(a, y, "NTS: villagers have farmed the land for years without incident; no evidence of mines")
		case ac.CancelReopenClear.ReopenedIn:
			g.reopenAndClear(a, y)
		}
	}
	if a := g.caseB; a != nil {
		switch y {
		case ac.DowngradeCancel.DowngradedIn:
			on := g.between(maxDate(a.last.AddDays(1), events.NewDate(y, time.March, 1)), events.NewDate(y, time.June, 30))
			g.act(a, on, domain.ReclassifyArea{AreaID: a.ref.ID, On: on, To: "SHA",
				Reason:   "baseline re-survey: no direct evidence of mines; the CHA record rested on one unverified report",
				Evidence: []events.Evidence{{Kind: "SURVEY", ObservedOn: on, Description: "baseline re-survey visit with the village chief"}}},
				mapu(a.province))
		case ac.DowngradeCancel.CancelledIn:
			g.surveyCancel(a, y, "NTS: the land has been used for five years without incident; no evidence of contamination")
		}
	}
}

// surveyCancel tasks an NTS on an area and cancels all of it.
func (g *gen) surveyCancel(a *area, y int, reason string) {
	lo := maxDate(a.last.AddDays(1), events.NewDate(y, time.March, 1))
	hi := events.NewDate(y, time.June, 30)
	d := g.activeDeployment(a.province, lo, hi)
	if d == nil {
		return
	}
	ds := g.dates(lo, hi, 2)
	g.act(a, ds[0], domain.AssignTask{AreaID: a.ref.ID, DeploymentID: d.id, On: ds[0], Task: "NTS"}, mapu(a.province))
	g.act(a, ds[1], domain.CancelArea{AreaID: a.ref.ID, On: ds[1], Method: events.CancelByNTS, Reason: reason,
		Operator: d.op.Name}, operator(d.op.Name))
}

// reopenAndClear reopens a cancelled area after an accident, then clears it.
func (g *gen) reopenAndClear(a *area, y int) {
	s := g.state(a)
	if !s.Released() {
		return
	}
	on := g.between(maxDate(a.last.AddDays(1), events.NewDate(y, time.February, 1)), events.NewDate(y, time.April, 30))
	size := max(1, int64(math.Round(0.4*float64(s.ReleasedM2()))))
	if !g.act(a, on, domain.ReopenArea{AreaID: a.ref.ID, On: on, To: "CHA", SizeM2: size,
		Reason: fmt.Sprintf("accident on land cancelled by NTS in %d", g.spec.AuditCases.CancelReopenClear.CancelledIn),
		Evidence: []events.Evidence{{Kind: "ACCIDENT", ObservedOn: on.AddDays(-2),
			Description: "a farmer injured by a PMN-2 while clearing scrub; CMAA accident report"}}}, mapu(a.province)) {
		return
	}
	lo, hi := events.NewDate(y, time.May, 1), events.NewDate(y, time.November, 30)
	d := g.activeDeployment(a.province, lo, hi)
	if d == nil {
		return
	}
	ds := g.dates(lo, hi, 3)
	g.act(a, ds[0], domain.AssignTask{AreaID: a.ref.ID, DeploymentID: d.id, On: ds[0], Task: "CLEARANCE"}, mapu(a.province))
	ap, at, erw := g.devices(a.hazard, float64(size)/1e4)
	if g.act(a, ds[1], domain.ClearArea{AreaID: a.ref.ID, On: ds[1], SizeM2: size, Operator: d.op.Name,
		APMinesDestroyed: max(ap, 1), ATMinesDestroyed: at, ERWDestroyed: erw}, operator(d.op.Name)) {
		g.clearedM2 += size
		a.clearedBy = d.op.Name
	}
	g.act(a, ds[2], domain.RecordQAVisit{AreaID: a.ref.ID, On: ds[2], Result: "PASS", Operator: d.op.Name,
		Notes: "QA after the re-clearance of the reopened area"}, "cmaa")
}
