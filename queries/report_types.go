package queries

// Report is the annual progress report (Article 5 reporting): `report
// --format json`. Every section says in "source" which projection and which
// events its figures come from; Events gives the sequences of the events
// that occurred in the year.
type Report struct {
	Year     int    `json:"year"`
	Province string `json:"province,omitempty"` // "" national
	From     string `json:"from"`
	To       string `json:"to"`
	// Sequence is the last event of the history the report reflects (the
	// projections' sequence: figures of every year keep what had occurred
	// by its 31 December, whenever it was recorded).
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
