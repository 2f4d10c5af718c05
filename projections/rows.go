package projections

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// AreaRow is one hazard area of the national database.
type AreaRow struct {
	ID                uuid.UUID
	Province          string
	District          string
	Commune           string
	Village           string
	Hazard            string
	Classification    string // SHA or CHA (kept when released)
	Status            string // SHA, CHA or RELEASED
	Source            string
	SizeM2            int64
	RemainingM2       int64
	CancelledNTSM2    int64
	CancelledDeskM2   int64
	ReducedM2         int64
	ClearedM2         int64
	ReopenedM2        int64
	EvidenceCount     int
	DirectEvidence    int
	LandUse           string
	CasualtiesLast5y  int
	CommunityRequest  bool
	APMinesDestroyed  int
	ATMinesDestroyed  int
	ERWDestroyed      int
	Reclassifications int
	LastOperator      string
	Geometry          json.RawMessage
	RegisteredOn      events.Date
	LastActivityOn    events.Date
	ReleasedOn        events.Date // zero unless released
	FirstRecordedAt   time.Time
	LastRecordedAt    time.Time
	LastSequence      uint64
	// Access restriction (AccessRestricted): RestrictedSince is zero when
	// the area is not restricted; RestrictedUntil is the expected opening
	// date (zero: not known). Statistics do not change; work plans leave
	// the area out and the forecast holds its area back (docs/workplan.md,
	// docs/forecast.md).
	RestrictedSince   events.Date
	RestrictedUntil   events.Date
	RestrictionReason string
}

// Restricted reports whether access to the area is restricted.
func (a *AreaRow) Restricted() bool { return !a.RestrictedSince.IsZero() }

// DeploymentRow is one deployment of clearance capacity.
type DeploymentRow struct {
	ID                          uuid.UUID
	Operator                    string
	Province                    string
	Method                      string
	Deminers                    int
	Women                       int
	From                        events.Date
	To                          events.Date // planned end, or the withdrawal date
	Withdrawn                   bool
	WithdrawReason              string
	ProductivityM2PerDeminerDay float64
	WorkingDaysPerYear          int
	AnnualCostUSD               int64
	LastSequence                uint64
}

// PledgeRow is one funding pledge.
type PledgeRow struct {
	ID        uuid.UUID
	Donor     string
	Year      int
	AmountUSD int64
	Operator  string
	Province  string
	Sequence  uint64
}

// ShortfallRow is one recorded funding shortfall.
type ShortfallRow struct {
	Sequence   uint64
	Year       int
	AmountUSD  int64
	Reason     string
	Operator   string
	Province   string
	RecordedOn events.Date
}

// DeadlineRow is one setting (or extension) of the Article 5 deadline.
type DeadlineRow struct {
	Sequence         uint64
	Country          string
	Deadline         events.Date
	PreviousDeadline events.Date
	Reason           string
	Milestones       []events.Milestone
	SetOn            events.Date
	// DecidedOn is the decision date the event states (zero: not stated,
	// in force from when it was recorded): KnownAt keeps a deadline decided
	// by the as-of date.
	DecidedOn events.Date
}

// WorkPlanRow is the latest revision of a province's annual work plan.
type WorkPlanRow struct {
	Province     string
	Year         int
	Revision     int
	Status       string // APPROVED or ENDORSED
	ApprovedBy   string
	EndorsedBy   string
	AreaIDs      []uuid.UUID
	LastSequence uint64
}

// StatKey is the grain of the land-release statistics.
type StatKey struct {
	Year     int
	Province string
	Operator string
	Method   string // see the Method* constants
}

// AuditActions are the actions of the audit trail (AuditRow.Action), in the
// order they are documented; the API's audit filter accepts exactly these.
var AuditActions = []string{"REGISTERED", "CONFIRMED", "RECLASSIFIED", "CANCELLED", "CORRECTED", "REOPENED", "EVIDENCE",
	"ACCESS_RESTRICTED", "ACCESS_LIFTED"}

// Methods of the statistics: how land was released, added or worked.
const (
	MethodRegistered   = "REGISTERED"    // new area entered the register
	MethodCorrection   = "CORRECTION"    // size corrections (signed)
	MethodNTS          = "NTS"           // cancelled by non-technical survey
	MethodDeskAnalysis = "DESK_ANALYSIS" // cancelled by desk analysis
	MethodTS           = "TS"            // reduced by technical survey
	MethodClearance    = "CLEARANCE"     // cleared
	MethodReopened     = "REOPENED"      // released land given back
	MethodConfirmed    = "CONFIRMED"     // SHA area confirmed as CHA by survey or reclassification (not a release)
)

// StatRow holds the additive figures of one StatKey.
type StatRow struct {
	StatKey
	AreaM2           int64 // m² registered, corrected (signed), released or reopened
	Events           int64 // events counted
	EvidenceM2       int64 // REGISTERED: m² that came with evidence
	EvidenceAreas    int64 // REGISTERED: areas that came with evidence
	APMinesDestroyed int64
	ATMinesDestroyed int64
	ERWDestroyed     int64
	Deminers         int64 // deployments (method = clearance method)
	Women            int64
}

func (r *StatRow) add(o StatRow) {
	r.AreaM2 = add(r.AreaM2, o.AreaM2)
	r.Events = add(r.Events, o.Events)
	r.EvidenceM2 = add(r.EvidenceM2, o.EvidenceM2)
	r.EvidenceAreas = add(r.EvidenceAreas, o.EvidenceAreas)
	r.APMinesDestroyed = add(r.APMinesDestroyed, o.APMinesDestroyed)
	r.ATMinesDestroyed = add(r.ATMinesDestroyed, o.ATMinesDestroyed)
	r.ERWDestroyed = add(r.ERWDestroyed, o.ERWDestroyed)
	r.Deminers = add(r.Deminers, o.Deminers)
	r.Women = add(r.Women, o.Women)
}

// AuditRow is one entry of the audit trail: a decision about an area and
// what it rested on.
type AuditRow struct {
	Sequence      uint64
	EventID       uuid.UUID
	AreaID        uuid.UUID
	Province      string
	Action        string // REGISTERED, CONFIRMED, RECLASSIFIED, CANCELLED, CORRECTED, REOPENED, EVIDENCE, ACCESS_RESTRICTED, ACCESS_LIFTED
	OccurredOn    events.Date
	RecordedAt    time.Time
	Actor         string
	CommandID     uuid.UUID
	FromClass     string
	ToClass       string
	SizeM2        int64
	Method        string
	Reason        string
	Evidence      []events.Evidence
	EvidenceCount int // evidence recorded on the area up to and including this entry
	Flags         []string
}

// Audit flags.
const (
	FlagNoEvidence         = "NO_EVIDENCE"        // registered without any evidence
	FlagDeskCancellation   = "DESK_CANCELLATION"  // cancelled without a field survey
	FlagCHAWithoutDirect   = "CHA_WITHOUT_DIRECT" // a CHA with no direct evidence recorded
	FlagCancelledCHA       = "CANCELLED_CHA"      // a confirmed area cancelled (IMAS allows it; audited)
	FlagDowngraded         = "DOWNGRADED"         // CHA -> SHA
	FlagSizeCorrection     = "SIZE_CORRECTION"    // the recorded size changed
	FlagLargeSizeCorrected = "SIZE_CORRECTED_10X" // size changed tenfold or more (a unit error)
	FlagResidual           = "RESIDUAL_CONTAMINATION"
)
