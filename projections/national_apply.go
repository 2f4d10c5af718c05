package projections

import (
	"github.com/landrelease/landrelease/events"
)

// Apply folds one event. Events must come in stream order; an event at or
// below the current sequence is ignored, so a redelivery changes nothing.
// Each group of events has its method: an area's life, capacity, funding,
// the Article 5 deadline and the work plans.
func (n *National) Apply(e events.Envelope) {
	if e.Sequence != 0 && e.Sequence <= n.Sequence {
		return
	}
	if e.Sequence != 0 {
		n.Sequence = e.Sequence
	}
	switch e.Data.(type) {
	case events.AreaRegistered, events.EvidenceRecorded, events.AreaConfirmed, events.AreaCancelled, events.AreaReduced,
		events.AreaCleared, events.AreaReclassified, events.AreaRecordCorrected, events.AreaReopened,
		events.QAVisitRecorded, events.TaskAssigned, events.AccessRestricted, events.AccessRestrictionLifted:
		n.applyArea(e)
		id, _ := events.NamedAggregate(e.Data)
		n.trackYear(e, id)
		return
	case events.CapacityDeployed, events.CapacityWithdrawn:
		n.applyCapacity(e)
	case events.FundingPledged, events.FundingShortfallRecorded:
		n.applyFunding(e)
	case events.Article5DeadlineSet:
		n.applyArticle5(e)
	case events.WorkPlanApproved, events.WorkPlanEndorsed:
		n.applyWorkPlan(e)
	}
	n.countYear(YearKey{e.OccurredOn.Year(), n.EventProvince(e.Data)}, e.Sequence)
}

// applyArea folds an event of an area's life: its registration, then what
// happens to it. An event of an area the fold does not hold changes nothing.
func (n *National) applyArea(e events.Envelope) {
	switch d := e.Data.(type) {
	case events.AreaRegistered:
		n.areaRegistered(e, d)
	case events.EvidenceRecorded:
		if a := n.Areas[d.AreaID]; a != nil {
			n.evidenceRecorded(e, a, d)
		}
	case events.AreaConfirmed:
		if a := n.Areas[d.AreaID]; a != nil {
			n.areaConfirmed(e, a, d)
		}
	case events.AreaCancelled:
		if a := n.Areas[d.AreaID]; a != nil {
			n.areaCancelled(e, a, d)
		}
	case events.AreaReduced:
		if a := n.Areas[d.AreaID]; a != nil {
			n.areaReduced(e, a, d)
		}
	case events.AreaCleared:
		if a := n.Areas[d.AreaID]; a != nil {
			n.areaCleared(e, a, d)
		}
	case events.AreaReclassified:
		if a := n.Areas[d.AreaID]; a != nil {
			n.areaReclassified(e, a, d)
		}
	case events.AreaRecordCorrected:
		if a := n.Areas[d.AreaID]; a != nil {
			n.applyCorrection(e, a, d)
		}
	case events.AreaReopened:
		if a := n.Areas[d.AreaID]; a != nil {
			n.areaReopened(e, a, d)
		}
	case events.QAVisitRecorded:
		if a := n.Areas[d.AreaID]; a != nil {
			n.touch(a, e, d.On)
		}
	case events.AccessRestricted:
		if a := n.Areas[d.AreaID]; a != nil {
			a.RestrictedSince, a.RestrictedUntil, a.RestrictionReason = d.On, d.ExpectedUntil, n.intern(d.Reason)
			n.touch(a, e, d.On)
			n.audit(e, a, AuditRow{Action: "ACCESS_RESTRICTED", Reason: d.Reason})
		}
	case events.AccessRestrictionLifted:
		if a := n.Areas[d.AreaID]; a != nil {
			a.RestrictedSince, a.RestrictedUntil, a.RestrictionReason = events.Date{}, events.Date{}, ""
			n.touch(a, e, d.On)
			n.audit(e, a, AuditRow{Action: "ACCESS_LIFTED", Reason: d.Reason})
		}
	case events.TaskAssigned:
		if a := n.Areas[d.AreaID]; a != nil {
			if d.Operator != "" {
				a.LastOperator = n.intern(d.Operator)
			}
			n.touch(a, e, d.On)
		}
	}
}

func (n *National) areaRegistered(e events.Envelope, d events.AreaRegistered) {
	a := &AreaRow{ID: d.AreaID, Province: n.intern(d.Province), District: n.intern(d.District), Commune: n.intern(d.Commune),
		Village: n.intern(d.Village), Hazard: n.intern(string(d.Hazard)), Classification: n.intern(string(d.Classification)), Source: n.intern(string(d.Source)),
		SizeM2: d.SizeM2, RemainingM2: d.SizeM2, EvidenceCount: len(d.Evidence), DirectEvidence: hasDirect(d.Evidence),
		LandUse: n.intern(string(d.LandUse)), CasualtiesLast5y: d.CasualtiesLast5y, CommunityRequest: d.CommunityRequest,
		Geometry: d.Geometry, RegisteredOn: d.RegisteredOn, FirstRecordedAt: e.RecordedAt}
	if n.NoGeometry {
		a.Geometry = nil
	}
	a.setStatus(d.RegisteredOn)
	n.Areas[a.ID] = a
	n.touch(a, e, d.RegisteredOn)
	s := StatRow{AreaM2: d.SizeM2}
	if len(d.Evidence) > 0 {
		s.EvidenceM2, s.EvidenceAreas = d.SizeM2, 1
	}
	n.stat(StatKey{d.RegisteredOn.Year(), d.Province, "", MethodRegistered}, s)
	r := AuditRow{Action: "REGISTERED", ToClass: a.Classification, SizeM2: d.SizeM2, Method: a.Source, Evidence: d.Evidence}
	if len(d.Evidence) == 0 {
		r.Flags = append(r.Flags, FlagNoEvidence)
	}
	if a.Classification == "CHA" && a.DirectEvidence == 0 {
		r.Flags = append(r.Flags, FlagCHAWithoutDirect)
	}
	n.audit(e, a, r)
}

func (n *National) evidenceRecorded(e events.Envelope, a *AreaRow, d events.EvidenceRecorded) {
	a.EvidenceCount++
	if d.Evidence.Direct() {
		a.DirectEvidence++
	}
	n.touch(a, e, d.ObservedOn)
	n.audit(e, a, AuditRow{Action: "EVIDENCE", Evidence: []events.Evidence{d.Evidence}})
}

func (n *National) areaConfirmed(e events.Envelope, a *AreaRow, d events.AreaConfirmed) {
	from := a.Classification
	a.Classification = "CHA"
	a.setStatus(d.On)
	n.touch(a, e, d.On)
	n.stat(StatKey{e.OccurredOn.Year(), a.Province, "", MethodConfirmed}, StatRow{AreaM2: d.SizeM2})
	r := AuditRow{Action: "CONFIRMED", FromClass: from, ToClass: "CHA", SizeM2: d.SizeM2}
	if a.DirectEvidence == 0 {
		r.Flags = append(r.Flags, FlagCHAWithoutDirect)
	}
	n.audit(e, a, r)
}

func (n *National) areaCancelled(e events.Envelope, a *AreaRow, d events.AreaCancelled) {
	method := MethodNTS
	if d.Method == events.CancelByDeskAnalysis {
		method = MethodDeskAnalysis
		a.CancelledDeskM2 = add(a.CancelledDeskM2, d.SizeM2)
	} else {
		a.CancelledNTSM2 = add(a.CancelledNTSM2, d.SizeM2)
	}
	a.RemainingM2 = add(a.RemainingM2, -d.SizeM2)
	if d.Operator != "" {
		a.LastOperator = n.intern(d.Operator)
	}
	a.setStatus(d.On)
	n.touch(a, e, d.On)
	n.stat(StatKey{e.OccurredOn.Year(), a.Province, d.Operator, method}, StatRow{AreaM2: d.SizeM2})
	r := AuditRow{Action: "CANCELLED", FromClass: a.Classification, SizeM2: d.SizeM2, Method: string(d.Method), Reason: d.Reason}
	if method == MethodDeskAnalysis {
		r.Flags = append(r.Flags, FlagDeskCancellation)
	}
	if a.Classification == "CHA" {
		r.Flags = append(r.Flags, FlagCancelledCHA)
	}
	n.audit(e, a, r)
}

func (n *National) areaReduced(e events.Envelope, a *AreaRow, d events.AreaReduced) {
	a.ReducedM2 = add(a.ReducedM2, d.SizeM2)
	a.RemainingM2 = add(a.RemainingM2, -d.SizeM2)
	a.LastOperator = n.intern(d.Operator)
	a.setStatus(d.On)
	n.touch(a, e, d.On)
	n.stat(StatKey{e.OccurredOn.Year(), a.Province, d.Operator, MethodTS}, StatRow{AreaM2: d.SizeM2})
}

func (n *National) areaCleared(e events.Envelope, a *AreaRow, d events.AreaCleared) {
	a.ClearedM2 = add(a.ClearedM2, d.SizeM2)
	a.RemainingM2 = add(a.RemainingM2, -d.SizeM2)
	a.APMinesDestroyed = addInt(a.APMinesDestroyed, d.APMinesDestroyed)
	a.ATMinesDestroyed = addInt(a.ATMinesDestroyed, d.ATMinesDestroyed)
	a.ERWDestroyed = addInt(a.ERWDestroyed, d.ERWDestroyed)
	a.LastOperator = n.intern(d.Operator)
	a.setStatus(d.On)
	n.touch(a, e, d.On)
	n.stat(StatKey{e.OccurredOn.Year(), a.Province, d.Operator, MethodClearance}, StatRow{AreaM2: d.SizeM2,
		APMinesDestroyed: int64(d.APMinesDestroyed), ATMinesDestroyed: int64(d.ATMinesDestroyed), ERWDestroyed: int64(d.ERWDestroyed)})
}

func (n *National) areaReclassified(e events.Envelope, a *AreaRow, d events.AreaReclassified) {
	if d.To == events.CHA {
		n.stat(StatKey{e.OccurredOn.Year(), a.Province, "", MethodConfirmed}, StatRow{AreaM2: a.RemainingM2})
	}
	a.Classification = n.intern(string(d.To))
	a.Reclassifications++
	a.setStatus(d.On)
	n.touch(a, e, d.On)
	r := AuditRow{Action: "RECLASSIFIED", FromClass: string(d.From), ToClass: string(d.To), Reason: d.Reason}
	if d.To == events.SHA {
		r.Flags = append(r.Flags, FlagDowngraded)
	}
	if d.To == events.CHA && a.DirectEvidence == 0 {
		r.Flags = append(r.Flags, FlagCHAWithoutDirect)
	}
	n.audit(e, a, r)
}

func (n *National) areaReopened(e events.Envelope, a *AreaRow, d events.AreaReopened) {
	a.ReopenedM2 = add(a.ReopenedM2, d.SizeM2)
	a.RemainingM2 = add(a.RemainingM2, d.SizeM2)
	a.Classification = n.intern(string(d.To))
	a.EvidenceCount += len(d.Evidence)
	a.DirectEvidence += hasDirect(d.Evidence)
	a.setStatus(d.On)
	n.touch(a, e, d.On)
	n.stat(StatKey{e.OccurredOn.Year(), a.Province, "", MethodReopened}, StatRow{AreaM2: d.SizeM2})
	n.audit(e, a, AuditRow{Action: "REOPENED", ToClass: string(d.To), SizeM2: d.SizeM2, Reason: d.Reason,
		Evidence: d.Evidence, Flags: []string{FlagResidual}})
}

// applyCapacity folds a deployment and its withdrawal.
func (n *National) applyCapacity(e events.Envelope) {
	switch d := e.Data.(type) {
	case events.CapacityDeployed:
		dep := &DeploymentRow{ID: d.DeploymentID, Operator: d.Operator, Province: d.Province, Method: string(d.Method),
			Deminers: d.Deminers, Women: d.Women, From: d.From, To: d.To, ProductivityM2PerDeminerDay: d.ProductivityM2PerDeminerDay,
			WorkingDaysPerYear: d.WorkingDaysPerYear, AnnualCostUSD: d.AnnualCostUSD, LastSequence: e.Sequence}
		n.Deployments[dep.ID] = dep
		if !n.Untracked {
			n.dirtyD[dep.ID] = true
		}
		n.stat(StatKey{d.From.Year(), d.Province, d.Operator, string(d.Method)}, StatRow{Deminers: int64(d.Deminers), Women: int64(d.Women)})
	case events.CapacityWithdrawn:
		if dep := n.Deployments[d.DeploymentID]; dep != nil {
			dep.Withdrawn, dep.To, dep.WithdrawReason, dep.LastSequence = true, d.On, d.Reason, e.Sequence
			if !n.Untracked {
				n.dirtyD[dep.ID] = true
			}
		}
	}
}

// applyFunding folds pledges and shortfalls.
func (n *National) applyFunding(e events.Envelope) {
	switch d := e.Data.(type) {
	case events.FundingPledged:
		p := PledgeRow{ID: d.FundingID, Donor: d.Donor, Year: d.Year, AmountUSD: d.AmountUSD, Operator: d.Operator, Province: d.Province, Sequence: e.Sequence}
		n.Pledges = append(n.Pledges, p)
		if !n.Untracked {
			n.pending.Pledges = append(n.pending.Pledges, p)
		}
	case events.FundingShortfallRecorded:
		s := ShortfallRow{Sequence: e.Sequence, Year: d.Year, AmountUSD: d.AmountUSD, Reason: d.Reason, Operator: d.Operator, Province: d.Province, RecordedOn: e.OccurredOn}
		n.Shortfalls = append(n.Shortfalls, s)
		if !n.Untracked {
			n.pending.Shortfalls = append(n.pending.Shortfalls, s)
		}
	}
}

// applyArticle5 folds a deadline set (or extended) under Article 5.
func (n *National) applyArticle5(e events.Envelope) {
	d, ok := e.Data.(events.Article5DeadlineSet)
	if !ok {
		return
	}
	r := DeadlineRow{Sequence: e.Sequence, Country: d.Country, Deadline: d.Deadline, PreviousDeadline: d.PreviousDeadline,
		Reason: d.Reason, Milestones: d.Milestones, SetOn: e.OccurredOn, DecidedOn: d.DecidedOn}
	n.Deadlines = append(n.Deadlines, r)
	if !n.Untracked {
		n.pending.Deadlines = append(n.pending.Deadlines, r)
	}
}

// applyWorkPlan folds a province's plan of a year: approved, then endorsed.
func (n *National) applyWorkPlan(e events.Envelope) {
	switch d := e.Data.(type) {
	case events.WorkPlanApproved:
		k := WorkPlanKey{d.Province, d.Year}
		n.WorkPlans[k] = &WorkPlanRow{Province: d.Province, Year: d.Year, Revision: d.Revision, Status: WorkPlanApproved,
			ApprovedBy: d.ApprovedBy, AreaIDs: d.AreaIDs, LastSequence: e.Sequence}
		if !n.Untracked {
			n.dirtyW[k] = true
		}
	case events.WorkPlanEndorsed:
		k := WorkPlanKey{d.Province, d.Year}
		if w := n.WorkPlans[k]; w != nil {
			w.Status, w.EndorsedBy, w.LastSequence = WorkPlanEndorsed, d.EndorsedBy, e.Sequence
			if !n.Untracked {
				n.dirtyW[k] = true
			}
		}
	}
}
