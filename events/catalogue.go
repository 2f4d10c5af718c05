package events

import (
	"encoding/json"

	"github.com/google/uuid"
)

// Event is the data of one recorded fact. Type and Schema are the names stored
// with it; they are constants, never derived from the Go type name.
type Event interface {
	EventType() string
	SchemaVersion() int
}

// Event type names as stored in the Lr-Event-Type header.
const (
	TypeAreaRegistered           = "AreaRegistered"
	TypeEvidenceRecorded         = "EvidenceRecorded"
	TypeAreaConfirmed            = "AreaConfirmed"
	TypeAreaCancelled            = "AreaCancelled"
	TypeAreaReduced              = "AreaReduced"
	TypeAreaCleared              = "AreaCleared"
	TypeAreaReclassified         = "AreaReclassified"
	TypeAreaRecordCorrected      = "AreaRecordCorrected"
	TypeAreaReopened             = "AreaReopened"
	TypeQAVisitRecorded          = "QAVisitRecorded"
	TypeCapacityDeployed         = "CapacityDeployed"
	TypeCapacityWithdrawn        = "CapacityWithdrawn"
	TypeTaskAssigned             = "TaskAssigned"
	TypeFundingPledged           = "FundingPledged"
	TypeFundingShortfallRecorded = "FundingShortfallRecorded"
	TypeArticle5DeadlineSet      = "Article5DeadlineSet"
	TypeWorkPlanApproved         = "WorkPlanApproved"
	TypeWorkPlanEndorsed         = "WorkPlanEndorsed"
	TypeAccessRestricted         = "AccessRestricted"
	TypeAccessRestrictionLifted  = "AccessRestrictionLifted"
)

// AreaRegistered: a suspected or confirmed hazardous area entered the register.
type AreaRegistered struct {
	AreaID           uuid.UUID       `json:"area_id"`
	Province         string          `json:"province"`
	District         string          `json:"district,omitempty"`
	Commune          string          `json:"commune,omitempty"`
	Village          string          `json:"village,omitempty"`
	Hazard           Hazard          `json:"hazard"`
	Classification   Classification  `json:"classification"`
	SizeM2           int64           `json:"size_m2"`
	RegisteredOn     Date            `json:"registered_on"`
	Source           Source          `json:"source"`
	Geometry         json.RawMessage `json:"geometry,omitempty"`
	LandUse          LandUse         `json:"land_use,omitempty"`
	CasualtiesLast5y int             `json:"casualties_last_5y,omitempty"`
	CommunityRequest bool            `json:"community_request,omitempty"`
	Evidence         []Evidence      `json:"evidence,omitempty"`
}

// EvidenceRecorded: a piece of evidence was recorded against an area.
type EvidenceRecorded struct {
	AreaID uuid.UUID `json:"area_id"`
	Evidence
}

// AreaConfirmed: survey confirmed an SHA as a CHA of SizeM2 (any rest is
// cancelled by an AreaCancelled event of the same command, recorded first).
type AreaConfirmed struct {
	AreaID uuid.UUID `json:"area_id"`
	On     Date      `json:"on"`
	SizeM2 int64     `json:"size_m2"`
}

// AreaCancelled: part or all of an area was cancelled by non-technical survey
// or desk analysis. RemainingM2 is what remains after it.
type AreaCancelled struct {
	AreaID      uuid.UUID    `json:"area_id"`
	On          Date         `json:"on"`
	Method      CancelMethod `json:"method"`
	Reason      string       `json:"reason"`
	SizeM2      int64        `json:"size_m2"`
	Operator    string       `json:"operator,omitempty"`
	RemainingM2 int64        `json:"remaining_m2"`
}

// AreaReduced: part or all of an area was reduced by technical survey.
type AreaReduced struct {
	AreaID      uuid.UUID `json:"area_id"`
	On          Date      `json:"on"`
	SizeM2      int64     `json:"size_m2"`
	Operator    string    `json:"operator"`
	RemainingM2 int64     `json:"remaining_m2"`
}

// AreaCleared: part or all of an area was cleared.
type AreaCleared struct {
	AreaID           uuid.UUID `json:"area_id"`
	On               Date      `json:"on"`
	SizeM2           int64     `json:"size_m2"`
	Operator         string    `json:"operator"`
	APMinesDestroyed int       `json:"ap_mines_destroyed,omitempty"`
	ATMinesDestroyed int       `json:"at_mines_destroyed,omitempty"`
	ERWDestroyed     int       `json:"erw_destroyed,omitempty"`
	RemainingM2      int64     `json:"remaining_m2"`
}

// AreaReclassified: an open area changed class (SHA <-> CHA). Evidence given
// with the command is recorded as EvidenceRecorded events just before it.
type AreaReclassified struct {
	AreaID uuid.UUID      `json:"area_id"`
	On     Date           `json:"on"`
	From   Classification `json:"from"`
	To     Classification `json:"to"`
	Reason string         `json:"reason"`
}

// AreaFields are the correctable attributes of an area record. A nil field is
// not part of the correction.
type AreaFields struct {
	SizeM2   *int64          `json:"size_m2,omitempty"`
	Province *string         `json:"province,omitempty"`
	District *string         `json:"district,omitempty"`
	Commune  *string         `json:"commune,omitempty"`
	Village  *string         `json:"village,omitempty"`
	Geometry json.RawMessage `json:"geometry,omitempty"`
	Hazard   *Hazard         `json:"hazard,omitempty"`
	LandUse  *LandUse        `json:"land_use,omitempty"`
}

// AreaRecordCorrected: a data error in an area record was corrected. Set holds
// the new values, Was the values they replaced (except the geometry, whose old
// value is in the earlier event that set it); RemainingM2 is the remaining
// area after the correction.
type AreaRecordCorrected struct {
	AreaID      uuid.UUID  `json:"area_id"`
	On          Date       `json:"on"`
	Reason      string     `json:"reason"`
	Set         AreaFields `json:"set"`
	Was         AreaFields `json:"was"`
	RemainingM2 int64      `json:"remaining_m2"`
}

// AreaReopened: residual contamination was found on released land; SizeM2 is
// added back to the remaining area, in class To.
type AreaReopened struct {
	AreaID      uuid.UUID      `json:"area_id"`
	On          Date           `json:"on"`
	To          Classification `json:"to"`
	SizeM2      int64          `json:"size_m2"`
	Reason      string         `json:"reason"`
	Evidence    []Evidence     `json:"evidence"`
	RemainingM2 int64          `json:"remaining_m2"`
}

// QAVisitRecorded: a quality-assurance or quality-control visit took place.
type QAVisitRecorded struct {
	AreaID   uuid.UUID `json:"area_id"`
	On       Date      `json:"on"`
	Result   QAResult  `json:"result"`
	Notes    string    `json:"notes,omitempty"`
	Operator string    `json:"operator,omitempty"`
}

// CapacityDeployed: an operator deployed clearance capacity in a province.
type CapacityDeployed struct {
	DeploymentID                uuid.UUID       `json:"deployment_id"`
	Operator                    string          `json:"operator"`
	Province                    string          `json:"province"`
	Method                      ClearanceMethod `json:"method"`
	Deminers                    int             `json:"deminers"`
	Women                       int             `json:"women,omitempty"`
	From                        Date            `json:"from"`
	To                          Date            `json:"to"`
	ProductivityM2PerDeminerDay float64         `json:"productivity_m2_per_deminer_day,omitempty"`
	WorkingDaysPerYear          int             `json:"working_days_per_year,omitempty"`
	AnnualCostUSD               int64           `json:"annual_cost_usd,omitempty"`
}

// CapacityWithdrawn: a deployment ended.
type CapacityWithdrawn struct {
	DeploymentID uuid.UUID `json:"deployment_id"`
	On           Date      `json:"on"`
	Reason       string    `json:"reason,omitempty"`
}

// TaskAssigned: a deployment was tasked to work on an area.
type TaskAssigned struct {
	AreaID       uuid.UUID `json:"area_id"`
	DeploymentID uuid.UUID `json:"deployment_id"`
	On           Date      `json:"on"`
	Task         Task      `json:"task"`
	Operator     string    `json:"operator,omitempty"`
}

// FundingPledged: a donor pledged funding for a year.
type FundingPledged struct {
	FundingID uuid.UUID `json:"funding_id"`
	Donor     string    `json:"donor"`
	Year      int       `json:"year"`
	AmountUSD int64     `json:"amount_usd"`
	Operator  string    `json:"operator,omitempty"`
	Province  string    `json:"province,omitempty"`
}

// FundingShortfallRecorded: expected funding for a year did not arrive.
type FundingShortfallRecorded struct {
	Year      int    `json:"year"`
	AmountUSD int64  `json:"amount_usd"`
	Reason    string `json:"reason"`
	Operator  string `json:"operator,omitempty"`
	Province  string `json:"province,omitempty"`
}

// Article5DeadlineSet: the Article 5 clearance deadline was set or extended.
// DecidedOn is the date the States Parties decided it (schema 2; null when
// not stated, and in every schema 1 event): a forecast as of an earlier date
// does not know it.
type Article5DeadlineSet struct {
	Country          string      `json:"country"`
	Deadline         Date        `json:"deadline"`
	Reason           string      `json:"reason"`
	Milestones       []Milestone `json:"milestones,omitempty"`
	PreviousDeadline Date        `json:"previous_deadline"`
	DecidedOn        Date        `json:"decided_on"`
}

// WorkPlanApproved: the provincial committee approved a MAPU annual work plan.
// A later approval of the same province and year is a new revision.
type WorkPlanApproved struct {
	Province   string      `json:"province"`
	Year       int         `json:"year"`
	AreaIDs    []uuid.UUID `json:"area_ids"`
	ApprovedBy string      `json:"approved_by,omitempty"`
	Revision   int         `json:"revision"`
}

// WorkPlanEndorsed: the national authority endorsed an approved work plan.
type WorkPlanEndorsed struct {
	Province   string `json:"province"`
	Year       int    `json:"year"`
	EndorsedBy string `json:"endorsed_by,omitempty"`
	Revision   int    `json:"revision"`
}

// AccessRestricted: survey and clearance of an open area cannot proceed
// (e.g. Thai border land awaiting a bilateral mechanism). ExpectedUntil is
// the date access is expected to open (zero: not known). The area stays in
// the register and its statistics; work plans and the forecast leave it out
// while it is restricted.
type AccessRestricted struct {
	AreaID        uuid.UUID `json:"area_id"`
	On            Date      `json:"on"`
	Reason        string    `json:"reason"`
	ExpectedUntil Date      `json:"expected_until"`
}

// AccessRestrictionLifted: access to a restricted area opened.
type AccessRestrictionLifted struct {
	AreaID uuid.UUID `json:"area_id"`
	On     Date      `json:"on"`
	Reason string    `json:"reason,omitempty"`
}

func (AreaRegistered) EventType() string           { return TypeAreaRegistered }
func (EvidenceRecorded) EventType() string         { return TypeEvidenceRecorded }
func (AreaConfirmed) EventType() string            { return TypeAreaConfirmed }
func (AreaCancelled) EventType() string            { return TypeAreaCancelled }
func (AreaReduced) EventType() string              { return TypeAreaReduced }
func (AreaCleared) EventType() string              { return TypeAreaCleared }
func (AreaReclassified) EventType() string         { return TypeAreaReclassified }
func (AreaRecordCorrected) EventType() string      { return TypeAreaRecordCorrected }
func (AreaReopened) EventType() string             { return TypeAreaReopened }
func (QAVisitRecorded) EventType() string          { return TypeQAVisitRecorded }
func (CapacityDeployed) EventType() string         { return TypeCapacityDeployed }
func (CapacityWithdrawn) EventType() string        { return TypeCapacityWithdrawn }
func (TaskAssigned) EventType() string             { return TypeTaskAssigned }
func (FundingPledged) EventType() string           { return TypeFundingPledged }
func (FundingShortfallRecorded) EventType() string { return TypeFundingShortfallRecorded }
func (Article5DeadlineSet) EventType() string      { return TypeArticle5DeadlineSet }
func (WorkPlanApproved) EventType() string         { return TypeWorkPlanApproved }
func (WorkPlanEndorsed) EventType() string         { return TypeWorkPlanEndorsed }
func (AccessRestricted) EventType() string         { return TypeAccessRestricted }
func (AccessRestrictionLifted) EventType() string  { return TypeAccessRestrictionLifted }

// Current schema versions. AreaCancelled is at 2: version 1 stored the size as
// "area_m2" and had no method (every cancellation then was by NTS).
// Article5DeadlineSet is at 2: version 1 had no decision date.
func (AreaRegistered) SchemaVersion() int           { return 1 }
func (EvidenceRecorded) SchemaVersion() int         { return 1 }
func (AreaConfirmed) SchemaVersion() int            { return 1 }
func (AreaCancelled) SchemaVersion() int            { return 2 }
func (AreaReduced) SchemaVersion() int              { return 1 }
func (AreaCleared) SchemaVersion() int              { return 1 }
func (AreaReclassified) SchemaVersion() int         { return 1 }
func (AreaRecordCorrected) SchemaVersion() int      { return 1 }
func (AreaReopened) SchemaVersion() int             { return 1 }
func (QAVisitRecorded) SchemaVersion() int          { return 1 }
func (CapacityDeployed) SchemaVersion() int         { return 1 }
func (CapacityWithdrawn) SchemaVersion() int        { return 1 }
func (TaskAssigned) SchemaVersion() int             { return 1 }
func (FundingPledged) SchemaVersion() int           { return 1 }
func (FundingShortfallRecorded) SchemaVersion() int { return 1 }
func (Article5DeadlineSet) SchemaVersion() int      { return 2 }
func (WorkPlanApproved) SchemaVersion() int         { return 1 }
func (WorkPlanEndorsed) SchemaVersion() int         { return 1 }
func (AccessRestricted) SchemaVersion() int         { return 1 }
func (AccessRestrictionLifted) SchemaVersion() int  { return 1 }
