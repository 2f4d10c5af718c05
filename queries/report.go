package queries

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// Years a report may cover.
const (
	ReportMinYear = 1990
	ReportMaxYear = 2100
)

// ReportQuery asks for the annual progress report of a calendar year,
// optionally of one province.
type ReportQuery struct {
	Year     int
	Province string // canonical gazetteer name; "" national
}

// Validate checks the query against the programme's gazetteer (provinces
// nil: any province name is accepted). The error names the field.
func (q ReportQuery) Validate(provinces []string) error {
	if q.Year < ReportMinYear || q.Year > ReportMaxYear {
		return domain.Errorf(domain.ErrInvalid, "year", "%d is outside %d–%d", q.Year, ReportMinYear, ReportMaxYear)
	}
	if q.Province != "" && provinces != nil && !events.Contains(provinces, q.Province) {
		return domain.Errorf(domain.ErrInvalid, "province", "%q is not a province of the programme; one of %v", q.Province, provinces)
	}
	return nil
}

// releaseMethods are the statistics methods that release land, in the
// report's order.
var releaseMethods = []string{projections.MethodNTS, projections.MethodDeskAnalysis, projections.MethodTS, projections.MethodClearance}

// BuildReport is the annual report built by replaying the whole history
// (O(history)): the reference the fast path (ReportOfFold, which Reads.Report
// and so the CLI and the API use) is tested against. It folds the history
// three ways at once: the register as of 31 December of the year before and
// of the year (events that occurred by then, plans whatever their date:
// projections.KnownAt), and the whole history, whose statistics and audit
// trail of the year are what `stats --year` and `audit --from --to` show (a
// correction recorded late changes the figures of the year it is dated, as
// in the statistics projection). q must be valid (see Validate).
func BuildReport(ctx context.Context, src projections.Source, q ReportQuery) (Report, error) {
	startDate := events.NewDate(q.Year-1, time.December, 31)
	endDate := events.NewDate(q.Year, time.December, 31)
	startKeep, endKeep := projections.KnownAt(startDate, time.Time{}), projections.KnownAt(endDate, time.Time{})
	start, end := projections.NewNational(), projections.NewNational()
	// No fold here draws or checks a shape: none holds the geometries.
	start.Untracked, end.Untracked = true, true
	start.NoGeometry, end.NoGeometry = true, true
	var qa []uuid.UUID // areas of the QA visits of the year
	var inYear []events.Envelope
	keep := func(e events.Envelope) bool {
		if startKeep(e) {
			start.Apply(e)
		}
		if !endKeep(e) {
			return true
		}
		end.Apply(e)
		if e.OccurredOn.Year() == q.Year {
			inYear = append(inYear, events.Envelope{Sequence: e.Sequence, Data: e.Data})
			if v, ok := e.Data.(events.QAVisitRecorded); ok {
				qa = append(qa, v.AreaID)
			}
		}
		return true
	}
	// The report reads the audit trail of its year only: the whole
	// history's rows go by as they are made and only the year's stay.
	var audit []projections.AuditRow
	all, err := projections.ReplayWith(ctx, src, projections.ReplayOptions{Keep: keep, Audit: func(r projections.AuditRow) {
		if r.OccurredOn.Year() == q.Year {
			audit = append(audit, r)
		}
	}})
	if err != nil {
		return Report{}, fmt.Errorf("report %d: %w", q.Year, err)
	}
	in := reportInput{start: foldAreas(start), end: foldAreas(end), fold: all, audit: audit}
	if len(end.Deadlines) > 0 {
		in.deadline = &end.Deadlines[len(end.Deadlines)-1]
	}
	r := reportCore(in, q)
	// The events of the year about the province (all of them nationally).
	for _, e := range inYear {
		if q.Province != "" && eventProvince(end, e.Data) != q.Province {
			continue
		}
		r.Events.count(e.Sequence, e.Sequence, 1)
	}
	for _, id := range qa {
		if a := end.Areas[id]; a != nil && (q.Province == "" || a.Province == q.Province) {
			r.Indicators.QAVisits++
		}
	}
	r.finishQA()
	return r, nil
}

// count adds n events whose sequences run from first to last.
func (c *ReportEvents) count(first, last uint64, n int) {
	if n == 0 {
		return
	}
	c.Count += n
	if c.FirstSequence == 0 || first < c.FirstSequence {
		c.FirstSequence = first
	}
	c.LastSequence = max(c.LastSequence, last)
}

// finishQA sets the QA visits per release once both are counted.
func (r *Report) finishQA() {
	if r.Release.Events > 0 {
		r.Indicators.QAVisitsPerRelease = ratio(float64(r.Indicators.QAVisits), float64(r.Release.Events))
	}
}

// areaAt is an area as it stood on a 31 December: what the report reads of
// it.
type areaAt struct {
	Province, Classification string
	SizeM2, RemainingM2      int64
	Evidence, Restricted     bool
	RegisteredOn             events.Date
}

// reportInput is what a report is built from, whichever way it was
// obtained (a replay, or the live fold's year-end states).
type reportInput struct {
	// start and end call yield with every area registered by 31 December
	// of the year before and of the year.
	start, end func(yield func(areaAt))
	// fold holds the statistics, deployments, pledges and shortfalls of the
	// whole history (the as-of folds hold the same plans: KnownAt keeps
	// every one), and the sequence folded.
	fold *projections.National
	// deadline is the Article 5 deadline in force on 31 December; nil none.
	deadline *projections.DeadlineRow
	// audit holds the audit entries that occurred in the year (at least
	// those of actions CONFIRMED, RECLASSIFIED and REOPENED).
	audit []projections.AuditRow
}

// foldAreas gives the areas of an as-of fold.
func foldAreas(n *projections.National) func(yield func(areaAt)) {
	return func(yield func(areaAt)) {
		for _, a := range n.Areas {
			yield(areaAt{Province: a.Province, Classification: a.Classification, SizeM2: a.SizeM2, RemainingM2: a.RemainingM2,
				Evidence: a.EvidenceCount > 0, Restricted: a.Restricted(), RegisteredOn: a.RegisteredOn})
		}
	}
}

// eventProvince is the province an event is about: its area's on 31
// December (a registration's too: an area corrected into another province
// in the year counts all its events there), its deployment's, or its own;
// "" for national events.
func eventProvince(n *projections.National, ev events.Event) string {
	if p := n.EventProvince(ev); p != "" {
		return p
	}
	if id, ok := events.NamedAggregate(ev); ok { // an area's (a deployment's ID finds no area)
		if a := n.Areas[id]; a != nil {
			return a.Province
		}
	}
	return ""
}

func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	v := a / b
	return &v
}

// reportCore builds the report of q from in, all but the events of the year
// and the QA visits, which the caller counts.
func reportCore(in reportInput, q ReportQuery) Report {
	y := q.Year
	from, to := events.NewDate(y, time.January, 1), events.NewDate(y, time.December, 31)
	inProvince := func(p string) bool { return q.Province == "" || p == q.Province }
	r := Report{Year: y, Province: q.Province, From: from.String(), To: to.String(), Sequence: in.fold.Sequence,
		Notes: []string{}}
	statsRef := fmt.Sprintf("statistics of %d (landrelease stats --year %d", y, y)
	if q.Province != "" {
		statsRef += fmt.Sprintf(" --province %q", q.Province)
	}
	statsRef += ")"
	auditRef := fmt.Sprintf("audit trail, entries that occurred %s … %s (landrelease audit --from %s --to %s)", from, to, from, to)

	// Remaining contamination, start and end, by province and class.
	byProv := map[string]*ReportProvinceClass{}
	row := func(p string) *ReportProvinceClass {
		if byProv[p] == nil {
			byProv[p] = &ReportProvinceClass{Province: p}
		}
		return byProv[p]
	}
	in.start(func(a areaAt) {
		if a.RemainingM2 < 0 && inProvince(a.Province) {
			row(a.Province).StartOverReleasedM2 -= a.RemainingM2
		}
		if a.RemainingM2 <= 0 || !inProvince(a.Province) {
			return
		}
		c := row(a.Province)
		c.StartAreas++
		if a.Classification == "CHA" {
			c.StartCHAM2 += a.RemainingM2
		} else {
			c.StartSHAM2 += a.RemainingM2
		}
	})
	// Areas added in the year with evidence by its end (the audit's
	// evidence share), read in the same pass.
	share := EvidenceShare{From: from.String(), To: to.String()}
	in.end(func(a areaAt) {
		if !a.RegisteredOn.Before(from) && !a.RegisteredOn.After(to) && inProvince(a.Province) {
			share.AreasAdded++
			share.AddedM2 += a.SizeM2
			if a.Evidence {
				share.WithEvidenceAreas++
				share.WithEvidenceM2 += a.SizeM2
			}
		}
		if a.RemainingM2 < 0 && inProvince(a.Province) {
			row(a.Province).EndOverReleasedM2 -= a.RemainingM2
		}
		if a.RemainingM2 <= 0 || !inProvince(a.Province) {
			return
		}
		c := row(a.Province)
		c.EndAreas++
		if a.Restricted {
			c.EndRestrictedAreas++
			c.EndRestrictedM2 += a.RemainingM2
		}
		if a.Classification == "CHA" {
			c.EndCHAM2 += a.RemainingM2
		} else {
			c.EndSHAM2 += a.RemainingM2
		}
	})
	if share.AddedM2 > 0 {
		share.ShareWithEvidence = float64(share.WithEvidenceM2) / float64(share.AddedM2)
	}
	r.Contamination = ReportContamination{Provinces: []ReportProvinceClass{}, Total: ReportProvinceClass{Province: "total"},
		Source: fmt.Sprintf("register (remaining m² of open areas by class, as state's remaining_sha_m2 and remaining_cha_m2) as of %d-12-31 and %d-12-31: landrelease state --as-of each date", y-1, y)}
	for _, c := range byProv {
		r.Contamination.Provinces = append(r.Contamination.Provinces, *c)
		t := &r.Contamination.Total
		t.StartSHAM2 += c.StartSHAM2
		t.StartCHAM2 += c.StartCHAM2
		t.StartAreas += c.StartAreas
		t.EndSHAM2 += c.EndSHAM2
		t.EndCHAM2 += c.EndCHAM2
		t.EndAreas += c.EndAreas
		t.StartOverReleasedM2 += c.StartOverReleasedM2
		t.EndOverReleasedM2 += c.EndOverReleasedM2
		t.EndRestrictedAreas += c.EndRestrictedAreas
		t.EndRestrictedM2 += c.EndRestrictedM2
	}
	sort.Slice(r.Contamination.Provinces, func(i, j int) bool {
		return r.Contamination.Provinces[i].Province < r.Contamination.Provinces[j].Province
	})

	// Statistics of the year.
	method := map[string]*ReportMethod{}
	for _, m := range releaseMethods {
		method[m] = &ReportMethod{Method: m}
	}
	relProv := map[string]*ReportProvinceMethod{}
	var confirmedM2 int64
	for _, s := range StatRows(in.fold, StatsQuery{Year: y, Province: q.Province}) {
		switch s.Method {
		case projections.MethodNTS, projections.MethodDeskAnalysis, projections.MethodTS, projections.MethodClearance:
			m := method[s.Method]
			m.AreaM2 += s.AreaM2
			m.Events += s.Events
			p := relProv[s.Province]
			if p == nil {
				p = &ReportProvinceMethod{Province: s.Province}
				relProv[s.Province] = p
			}
			switch s.Method {
			case projections.MethodNTS:
				p.CancelledNTSM2 += s.AreaM2
			case projections.MethodDeskAnalysis:
				p.CancelledDesk += s.AreaM2
			case projections.MethodTS:
				p.ReducedTSM2 += s.AreaM2
			default:
				p.ClearedM2 += s.AreaM2
			}
			r.Devices.APMinesDestroyed += s.APMinesDestroyed
			r.Devices.ATMinesDestroyed += s.ATMinesDestroyed
			r.Devices.ERWDestroyed += s.ERWDestroyed
		case projections.MethodRegistered:
			r.Additions.Areas += s.Events
			r.Additions.AreaM2 += s.AreaM2
			r.Additions.WithEvidenceAreas += s.EvidenceAreas
			r.Additions.WithEvidenceM2 += s.EvidenceM2
		case projections.MethodCorrection:
			r.Additions.CorrectionsM2 += s.AreaM2
			r.Additions.CorrectionEvents += s.Events
		case projections.MethodConfirmed:
			confirmedM2 += s.AreaM2
		case projections.MethodReopened:
			// counted from the audit trail below, which agrees (tests)
		default: // deployments: method MANUAL, MECHANICAL, MDD, MIXED
			r.Capacity.DeployedDeminers += s.Deminers
			r.Capacity.DeployedWomen += s.Women
		}
	}
	r.Release.Source = statsRef + ", methods NTS, DESK_ANALYSIS, TS, CLEARANCE"
	r.Release.Methods = make([]ReportMethod, 0, len(releaseMethods))
	for _, m := range releaseMethods {
		r.Release.Methods = append(r.Release.Methods, *method[m])
		r.Release.TotalM2 += method[m].AreaM2
		r.Release.Events += method[m].Events
	}
	r.Release.ByProvince = make([]ReportProvinceMethod, 0, len(relProv))
	for _, p := range relProv {
		r.Release.ByProvince = append(r.Release.ByProvince, *p)
	}
	sort.Slice(r.Release.ByProvince, func(i, j int) bool { return r.Release.ByProvince[i].Province < r.Release.ByProvince[j].Province })
	r.Devices.Source = statsRef + ", method CLEARANCE (AP, AT, ERW)"
	r.Additions.Source = statsRef + ", methods REGISTERED (with evidence at registration) and CORRECTION; evidence_by_year_end: register as of " +
		to.String() + " (the audit's evidence share: landrelease audit --from " + from.String() + " --to " + to.String() + ")"
	r.Additions.EvidenceByYearEnd = share

	// Confirmations, reclassifications and reopenings from the audit trail.
	r.Changes = ReportChanges{Source: auditRef + ", actions CONFIRMED, RECLASSIFIED, REOPENED; confirmed_m2: " + statsRef + ", method CONFIRMED",
		ConfirmedM2: confirmedM2, AuditSequences: []uint64{}}
	for _, a := range in.audit {
		if a.OccurredOn.Year() != y || !inProvince(a.Province) {
			continue
		}
		switch a.Action {
		case "CONFIRMED":
			r.Changes.ConfirmedAreas++
		case "RECLASSIFIED":
			if a.ToClass == "CHA" {
				r.Changes.UpgradedToCHA++
			} else {
				r.Changes.DowngradedToSHA++
			}
		case "REOPENED":
			r.Changes.Reopenings++
			r.Changes.ReopenedM2 += a.SizeM2
		default:
			continue
		}
		r.Changes.AuditSequences = append(r.Changes.AuditSequences, a.Sequence)
	}
	sort.Slice(r.Changes.AuditSequences, func(i, j int) bool { return r.Changes.AuditSequences[i] < r.Changes.AuditSequences[j] })

	// Capacity active during the year.
	r.Capacity.Source = statsRef + ", deployment methods (deployed_in_year: deployments starting in the year); active: deployments of the register whose period overlaps the year"
	for _, d := range in.fold.Deployments {
		if !inProvince(d.Province) || d.From.After(to) || (!d.To.IsZero() && d.To.Before(from)) {
			continue
		}
		r.Capacity.ActiveDeployments++
		r.Capacity.ActiveDeminers += int64(d.Deminers)
		r.Capacity.ActiveWomen += int64(d.Women)
	}

	// Funding of the year.
	r.Funding = ReportFunding{Source: fmt.Sprintf("FundingPledged and FundingShortfallRecorded events for year %d (sequences)", y), Sequences: []uint64{}}
	for _, p := range in.fold.Pledges {
		if p.Year == y && inProvince(p.Province) {
			r.Funding.PledgedUSD += p.AmountUSD
			r.Funding.Pledges++
			r.Funding.Sequences = append(r.Funding.Sequences, p.Sequence)
		}
	}
	for _, s := range in.fold.Shortfalls {
		if s.Year == y && inProvince(s.Province) {
			r.Funding.ShortfallUSD += s.AmountUSD
			r.Funding.Shortfalls++
			r.Funding.Sequences = append(r.Funding.Sequences, s.Sequence)
		}
	}
	sort.Slice(r.Funding.Sequences, func(i, j int) bool { return r.Funding.Sequences[i] < r.Funding.Sequences[j] })
	r.Funding.NetUSD = r.Funding.PledgedUSD - r.Funding.ShortfallUSD
	if q.Province != "" {
		r.Notes = append(r.Notes, "funding: pledges and shortfalls that name the province only; those that name an operator or nothing are national")
	}

	// Milestones of the deadline in force at the year's end (national).
	r.Milestones = ReportMilestones{Items: []ReportMilestone{},
		Source: "the last Article5DeadlineSet decided by the year's end (deadline_sequence); released: statistics, national, methods NTS, DESK_ANALYSIS, TS, CLEARANCE of each milestone year"}
	var ofYear *ReportMilestone
	if d := in.deadline; d != nil {
		r.Milestones.Deadline, r.Milestones.DeadlineSequence = d.Deadline.String(), d.Sequence
		released := map[int]int64{}
		for k, s := range in.fold.Stats {
			switch k.Method {
			case projections.MethodNTS, projections.MethodDeskAnalysis, projections.MethodTS, projections.MethodClearance:
				released[k.Year] += s.AreaM2
			}
		}
		for _, m := range d.Milestones {
			it := ReportMilestone{Year: m.Year, PlannedReleaseM2: m.ReleaseM2, Due: m.Year <= y}
			if it.Due {
				it.ReleasedM2 = released[m.Year]
				it.Met = it.ReleasedM2 >= it.PlannedReleaseM2
				r.Indicators.TargetsDue++
				if it.Met {
					r.Indicators.TargetsMet++
				}
			}
			r.Milestones.Items = append(r.Milestones.Items, it)
		}
		sort.Slice(r.Milestones.Items, func(i, j int) bool { return r.Milestones.Items[i].Year < r.Milestones.Items[j].Year })
		for i := range r.Milestones.Items {
			if r.Milestones.Items[i].Year == y {
				ofYear = &r.Milestones.Items[i]
			}
		}
	}
	if q.Province != "" {
		r.Notes = append(r.Notes, "milestones: the Article 5 milestones are national; their released figures are national")
	}

	// Indicators.
	ind := &r.Indicators
	ind.Source = "targets: milestones; evidence share: additions (m² with evidence at registration / m² added); " +
		"SHA cancelled by NTS: release NTS m² / (NTS m² + confirmed m²); QA visits: QAVisitRecorded events that occurred in the year / release events; " +
		"women: active capacity"
	if ofYear != nil {
		met := ofYear.Met
		ind.TargetOfYearMet = &met
	}
	ind.EvidenceShare = ratio(float64(r.Additions.WithEvidenceM2), float64(r.Additions.AreaM2))
	nts := method[projections.MethodNTS].AreaM2
	ind.NTSCancellation = ratio(float64(nts), float64(nts+confirmedM2))
	ind.WomenShare = ratio(float64(r.Capacity.ActiveWomen), float64(r.Capacity.ActiveDeminers))
	ind.DiscrepanciesReason = "not recorded: operators' own reports are not part of the event history; " +
		fmt.Sprintf("reconcile one with landrelease quality --operator-report FILE --operator NAME --year %d", y)
	return r
}
