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

// Report is the annual progress report (Article 5 reporting): `report
// --format json`. Every section says in "source" which projection and which
// events its figures come from; Events gives the sequences of the events
// that occurred in the year.
type Report struct {
	Year     int    `json:"year"`
	Province string `json:"province,omitempty"` // "" national
	From     string `json:"from"`
	To       string `json:"to"`
	// Sequence is the last event of the history folded (the report is built
	// from the whole history, keeping what had occurred by the year's end).
	Sequence      uint64              `json:"sequence"`
	Events        ReportEvents        `json:"events"`
	Contamination ReportContamination `json:"contamination"`
	Release       ReportRelease       `json:"release"`
	Devices       ReportDevices       `json:"devices_destroyed"`
	Additions     ReportAdditions     `json:"additions"`
	Changes       ReportChanges       `json:"reclassifications_and_reopenings"`
	Capacity      ReportCapacity      `json:"capacity"`
	Funding       ReportFunding       `json:"funding"`
	Milestones    ReportMilestones    `json:"milestones"`
	Indicators    ReportIndicators    `json:"indicators"`
	Notes         []string            `json:"notes"`
}

// ReportEvents counts the events that occurred in the year (and, with a
// province, about it) and gives the range of their sequences.
type ReportEvents struct {
	Count         int    `json:"count"`
	FirstSequence uint64 `json:"first_sequence,omitempty"`
	LastSequence  uint64 `json:"last_sequence,omitempty"`
}

// ReportContamination is the remaining contamination at the start and end
// of the year, by province and class.
type ReportContamination struct {
	Source    string                `json:"source"`
	Provinces []ReportProvinceClass `json:"provinces"`
	Total     ReportProvinceClass   `json:"total"`
}

// ReportProvinceClass is one province's remaining SHA and CHA at the start
// (1 January) and end (31 December) of the year.
type ReportProvinceClass struct {
	Province   string `json:"province"`
	StartSHAM2 int64  `json:"start_sha_m2"`
	StartCHAM2 int64  `json:"start_cha_m2"`
	StartAreas int    `json:"start_areas"`
	EndSHAM2   int64  `json:"end_sha_m2"`
	EndCHAM2   int64  `json:"end_cha_m2"`
	EndAreas   int    `json:"end_areas"`
	// OverReleased is the m² released beyond the recorded size of areas
	// (a size corrected below what was already released: a data error that
	// quality lists); remaining SHA + CHA − over-released is the register's
	// net remaining, which the statistics' accounting identity gives.
	StartOverReleasedM2 int64 `json:"start_over_released_m2"`
	EndOverReleasedM2   int64 `json:"end_over_released_m2"`
	// EndRestricted is the open area access-restricted on 31 December
	// (RestrictAccess), part of EndSHAM2 + EndCHAM2: land whose survey and
	// clearance await access, as state's restricted_areas and restricted_m2.
	EndRestrictedAreas int   `json:"end_restricted_areas"`
	EndRestrictedM2    int64 `json:"end_restricted_m2"`
}

// ReportRelease is the land released in the year by method.
type ReportRelease struct {
	Source     string                 `json:"source"`
	Methods    []ReportMethod         `json:"methods"`
	TotalM2    int64                  `json:"total_m2"`
	Events     int64                  `json:"events"`
	ByProvince []ReportProvinceMethod `json:"by_province"`
}

// ReportMethod is the release of one method: NTS cancellation, desk
// analysis, TS reduction or clearance.
type ReportMethod struct {
	Method string `json:"method"`
	AreaM2 int64  `json:"area_m2"`
	Events int64  `json:"events"`
}

// ReportProvinceMethod is a province's release by method.
type ReportProvinceMethod struct {
	Province       string `json:"province"`
	CancelledNTSM2 int64  `json:"cancelled_nts_m2"`
	CancelledDesk  int64  `json:"cancelled_desk_m2"`
	ReducedTSM2    int64  `json:"reduced_ts_m2"`
	ClearedM2      int64  `json:"cleared_m2"`
}

// ReportDevices are the mines and ERW destroyed in clearance.
type ReportDevices struct {
	Source           string `json:"source"`
	APMinesDestroyed int64  `json:"ap_mines"`
	ATMinesDestroyed int64  `json:"at_mines"`
	ERWDestroyed     int64  `json:"erw"`
}

// ReportAdditions are the areas added in the year.
type ReportAdditions struct {
	Source            string `json:"source"`
	Areas             int64  `json:"areas"`
	AreaM2            int64  `json:"area_m2"`
	WithEvidenceAreas int64  `json:"with_evidence_areas"`
	WithEvidenceM2    int64  `json:"with_evidence_m2"`
	CorrectionsM2     int64  `json:"corrections_m2"`
	CorrectionEvents  int64  `json:"correction_events"`
	// EvidenceByYearEnd counts the areas added in the year with evidence
	// recorded by the year's end (at registration or later), as the audit's
	// evidence share does.
	EvidenceByYearEnd EvidenceShare `json:"evidence_by_year_end"`
}

// ReportChanges are the confirmations, reclassifications and reopenings of
// the year.
type ReportChanges struct {
	Source          string   `json:"source"`
	ConfirmedAreas  int      `json:"confirmed"`    // SHA confirmed as CHA by survey
	ConfirmedM2     int64    `json:"confirmed_m2"` // incl. SHA reclassified to CHA (statistics CONFIRMED)
	UpgradedToCHA   int      `json:"reclassified_to_cha"`
	DowngradedToSHA int      `json:"reclassified_to_sha"`
	Reopenings      int      `json:"reopenings"`
	ReopenedM2      int64    `json:"reopened_m2"`
	AuditSequences  []uint64 `json:"audit_sequences"`
}

// ReportCapacity is the capacity deployed: deployments starting in the year
// (the statistics) and all deployments active during it.
type ReportCapacity struct {
	Source            string `json:"source"`
	DeployedDeminers  int64  `json:"deployed_in_year_deminers"`
	DeployedWomen     int64  `json:"deployed_in_year_women"`
	ActiveDeployments int    `json:"active_deployments"`
	ActiveDeminers    int64  `json:"active_deminers"`
	ActiveWomen       int64  `json:"active_women"`
}

// ReportFunding is the funding pledged for the year and the shortfalls
// recorded against it.
type ReportFunding struct {
	Source       string   `json:"source"`
	PledgedUSD   int64    `json:"pledged_usd"`
	Pledges      int      `json:"pledges"`
	ShortfallUSD int64    `json:"shortfall_usd"`
	Shortfalls   int      `json:"shortfalls"`
	NetUSD       int64    `json:"net_usd"`
	Sequences    []uint64 `json:"sequences"`
}

// ReportMilestones is the progress against the milestones of the Article 5
// deadline in force at the year's end (national figures).
type ReportMilestones struct {
	Source           string            `json:"source"`
	Deadline         string            `json:"deadline,omitempty"`
	DeadlineSequence uint64            `json:"deadline_sequence,omitempty"`
	Items            []ReportMilestone `json:"items"`
}

// ReportMilestone is one milestone: the release planned for a year and the
// release recorded (NTS + desk + TS + clearance); Due when the year is the
// report's or earlier.
type ReportMilestone struct {
	Year             int   `json:"year"`
	PlannedReleaseM2 int64 `json:"planned_release_m2"`
	ReleasedM2       int64 `json:"released_m2"`
	Due              bool  `json:"due"`
	Met              bool  `json:"met"`
}

// ReportIndicators are the programme indicators an independent review
// scores. A ratio is null when its denominator is zero.
type ReportIndicators struct {
	Source              string   `json:"source"`
	TargetsDue          int      `json:"targets_due"`
	TargetsMet          int      `json:"targets_met"`
	TargetOfYearMet     *bool    `json:"target_of_year_met"`
	EvidenceShare       *float64 `json:"evidence_share_of_additions"`
	NTSCancellation     *float64 `json:"sha_cancelled_by_nts_share"`
	QAVisits            int      `json:"qa_visits"`
	QAVisitsPerRelease  *float64 `json:"qa_visits_per_release"`
	WomenShare          *float64 `json:"women_share_of_capacity"`
	DiscrepanciesKnown  bool     `json:"discrepancies_known"`
	DiscrepanciesReason string   `json:"discrepancies"`
}

// releaseMethods are the statistics methods that release land, in the
// report's order.
var releaseMethods = []string{projections.MethodNTS, projections.MethodDeskAnalysis, projections.MethodTS, projections.MethodClearance}

// BuildReport replays the history once and builds the report of q from
// three folds of it: the register as of 31 December of the year before and
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
	start.Untracked, end.Untracked = true, true
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
	all, err := projections.Replay(ctx, src, keep)
	if err != nil {
		return Report{}, fmt.Errorf("report %d: %w", q.Year, err)
	}
	r := ReportOf(start, end, all, q)
	// The events of the year about the province (all of them nationally).
	for _, e := range inYear {
		if q.Province != "" && eventProvince(end, e.Data) != q.Province {
			continue
		}
		r.Events.Count++
		if r.Events.FirstSequence == 0 {
			r.Events.FirstSequence = e.Sequence
		}
		r.Events.LastSequence = e.Sequence
	}
	for _, id := range qa {
		if a := end.Areas[id]; a != nil && (q.Province == "" || a.Province == q.Province) {
			r.Indicators.QAVisits++
		}
	}
	if r.Release.Events > 0 {
		r.Indicators.QAVisitsPerRelease = ratio(float64(r.Indicators.QAVisits), float64(r.Release.Events))
	}
	return r, nil
}

// eventProvince is the province an event is about: its area's, its
// deployment's, or its own; "" for national events.
func eventProvince(n *projections.National, ev events.Event) string {
	switch d := ev.(type) {
	case events.AreaRegistered:
		return d.Province
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

// ReportOf builds the report of q from three folds: start as of 31 December
// of the year before, end as of 31 December of the year (contamination,
// deployments, pledges, the deadline in force), and all, the whole history
// holding its audit rows as projections.Replay keeps them (statistics and
// audit trail). The QA visits and the events of the year are counted by
// BuildReport, which sees the events.
func ReportOf(start, end, all *projections.National, q ReportQuery) Report {
	y := q.Year
	from, to := events.NewDate(y, time.January, 1), events.NewDate(y, time.December, 31)
	inProvince := func(p string) bool { return q.Province == "" || p == q.Province }
	r := Report{Year: y, Province: q.Province, From: from.String(), To: to.String(), Sequence: all.Sequence,
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
	for _, a := range start.Areas {
		if a.RemainingM2 < 0 && inProvince(a.Province) {
			row(a.Province).StartOverReleasedM2 -= a.RemainingM2
		}
		if a.RemainingM2 <= 0 || !inProvince(a.Province) {
			continue
		}
		c := row(a.Province)
		c.StartAreas++
		if a.Classification == "CHA" {
			c.StartCHAM2 += a.RemainingM2
		} else {
			c.StartSHAM2 += a.RemainingM2
		}
	}
	for _, a := range end.Areas {
		if a.RemainingM2 < 0 && inProvince(a.Province) {
			row(a.Province).EndOverReleasedM2 -= a.RemainingM2
		}
		if a.RemainingM2 <= 0 || !inProvince(a.Province) {
			continue
		}
		c := row(a.Province)
		c.EndAreas++
		if a.Restricted() {
			c.EndRestrictedAreas++
			c.EndRestrictedM2 += a.RemainingM2
		}
		if a.Classification == "CHA" {
			c.EndCHAM2 += a.RemainingM2
		} else {
			c.EndSHAM2 += a.RemainingM2
		}
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
	for _, s := range StatRows(all, StatsQuery{Year: y, Province: q.Province}) {
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
	r.Additions.EvidenceByYearEnd = evidenceShareIn(end, from, to, q.Province)

	// Confirmations, reclassifications and reopenings from the audit trail.
	r.Changes = ReportChanges{Source: auditRef + ", actions CONFIRMED, RECLASSIFIED, REOPENED; confirmed_m2: " + statsRef + ", method CONFIRMED",
		ConfirmedM2: confirmedM2, AuditSequences: []uint64{}}
	for _, a := range all.Audit {
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
	for _, d := range end.Deployments {
		if !inProvince(d.Province) || d.From.After(to) || (!d.To.IsZero() && d.To.Before(from)) {
			continue
		}
		r.Capacity.ActiveDeployments++
		r.Capacity.ActiveDeminers += int64(d.Deminers)
		r.Capacity.ActiveWomen += int64(d.Women)
	}

	// Funding of the year.
	r.Funding = ReportFunding{Source: fmt.Sprintf("FundingPledged and FundingShortfallRecorded events for year %d (sequences)", y), Sequences: []uint64{}}
	for _, p := range end.Pledges {
		if p.Year == y && inProvince(p.Province) {
			r.Funding.PledgedUSD += p.AmountUSD
			r.Funding.Pledges++
			r.Funding.Sequences = append(r.Funding.Sequences, p.Sequence)
		}
	}
	for _, s := range end.Shortfalls {
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
	if len(end.Deadlines) > 0 {
		d := end.Deadlines[len(end.Deadlines)-1]
		r.Milestones.Deadline, r.Milestones.DeadlineSequence = d.Deadline.String(), d.Sequence
		released := map[int]int64{}
		for k, s := range all.Stats {
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
	in := &r.Indicators
	in.Source = "targets: milestones; evidence share: additions (m² with evidence at registration / m² added); " +
		"SHA cancelled by NTS: release NTS m² / (NTS m² + confirmed m²); QA visits: QAVisitRecorded events that occurred in the year / release events; " +
		"women: active capacity"
	if ofYear != nil {
		met := ofYear.Met
		in.TargetOfYearMet = &met
	}
	in.EvidenceShare = ratio(float64(r.Additions.WithEvidenceM2), float64(r.Additions.AreaM2))
	nts := method[projections.MethodNTS].AreaM2
	in.NTSCancellation = ratio(float64(nts), float64(nts+confirmedM2))
	in.WomenShare = ratio(float64(r.Capacity.ActiveWomen), float64(r.Capacity.ActiveDeminers))
	in.DiscrepanciesReason = "not recorded: operators' own reports are not part of the event history; " +
		fmt.Sprintf("reconcile one with landrelease quality --operator-report FILE --operator NAME --year %d", y)
	return r
}

// evidenceShareIn is EvidenceShareOf limited to a province ("" all).
func evidenceShareIn(n *projections.National, from, to events.Date, province string) EvidenceShare {
	if province == "" {
		return EvidenceShareOf(n, from, to)
	}
	s := EvidenceShare{From: from.String(), To: to.String()}
	for _, a := range n.Areas {
		if a.Province != province || a.RegisteredOn.Before(from) || a.RegisteredOn.After(to) {
			continue
		}
		s.AreasAdded++
		s.AddedM2 += a.SizeM2
		if a.EvidenceCount > 0 {
			s.WithEvidenceAreas++
			s.WithEvidenceM2 += a.SizeM2
		}
	}
	if s.AddedM2 > 0 {
		s.ShareWithEvidence = float64(s.WithEvidenceM2) / float64(s.AddedM2)
	}
	return s
}

// Report answers the annual progress report from the event history (one
// replay); the query is validated against the programme's gazetteer.
func (r *Reads) Report(ctx context.Context, q ReportQuery) (Report, error) {
	if err := q.Validate(domain.Provinces(r.Country)); err != nil {
		return Report{}, err
	}
	return BuildReport(ctx, r.History, q)
}
