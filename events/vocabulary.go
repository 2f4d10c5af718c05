package events

// The closed vocabularies of docs/contract.md. Each is a string type; Valid reports
// whether a value belongs to it and the *Values slices list the members in the
// order they are documented.

// Hazard is the kind of explosive ordnance an area is suspected to hold.
type Hazard string

const (
	HazardAP    Hazard = "AP"    // anti-personnel mines
	HazardAT    Hazard = "AT"    // anti-tank mines
	HazardCMR   Hazard = "CMR"   // cluster-munition remnants
	HazardERW   Hazard = "ERW"   // other explosive remnants of war
	HazardMixed Hazard = "MIXED" // more than one of the above
)

// HazardValues lists every Hazard.
var HazardValues = []string{"AP", "AT", "CMR", "ERW", "MIXED"}

// Classification is the land-release class of an open area.
type Classification string

const (
	SHA Classification = "SHA" // suspected hazardous area (indirect evidence)
	CHA Classification = "CHA" // confirmed hazardous area (direct evidence)
)

// ClassificationValues lists every Classification.
var ClassificationValues = []string{"SHA", "CHA"}

// Status is the lifecycle state of an area: its class while area remains,
// RELEASED when nothing remains.
type Status string

const (
	StatusSHA      Status = "SHA"
	StatusCHA      Status = "CHA"
	StatusReleased Status = "RELEASED"
)

// Source says where a registration came from.
type Source string

// SourceValues lists every Source.
var SourceValues = []string{"BLS", "NTS", "TS", "COMMUNITY", "OPERATOR", "OTHER"}

// LandUse is the main use of the land, a prioritisation factor.
type LandUse string

// LandUseValues lists every LandUse.
var LandUseValues = []string{"AGRICULTURE", "RESIDENTIAL", "INFRASTRUCTURE", "FOREST", "OTHER"}

// EvidenceKind classifies a piece of evidence.
type EvidenceKind string

// EvidenceKindValues lists every EvidenceKind.
var EvidenceKindValues = []string{"ACCIDENT", "DEVICE_FOUND", "WITNESS", "MILITARY_RECORD", "SURVEY", "OTHER"}

// CancelMethod is how land was cancelled.
type CancelMethod string

const (
	CancelByNTS          CancelMethod = "NTS"
	CancelByDeskAnalysis CancelMethod = "DESK_ANALYSIS"
)

// CancelMethodValues lists every CancelMethod.
var CancelMethodValues = []string{"NTS", "DESK_ANALYSIS"}

// ClearanceMethod is how a deployment clears land.
type ClearanceMethod string

// ClearanceMethodValues lists every ClearanceMethod.
var ClearanceMethodValues = []string{"MANUAL", "MECHANICAL", "MDD", "MIXED"}

// Task is the kind of work assigned to a deployment on an area.
type Task string

// TaskValues lists every Task.
var TaskValues = []string{"NTS", "TS", "CLEARANCE"}

// QAResult is the outcome of a quality-assurance or quality-control visit.
type QAResult string

const (
	QAPass QAResult = "PASS"
	QAFail QAResult = "FAIL"
)

// QAResultValues lists every QAResult.
var QAResultValues = []string{"PASS", "FAIL"}

// Evidence is one piece of evidence about contamination.
type Evidence struct {
	Kind        EvidenceKind `json:"kind"`
	ObservedOn  Date         `json:"observed_on"`
	Description string       `json:"description,omitempty"`
	Reference   string       `json:"reference,omitempty"`
}

// Direct reports whether the evidence is direct (confirms contamination).
func (e Evidence) Direct() bool {
	return e.Kind == "ACCIDENT" || e.Kind == "DEVICE_FOUND"
}

// Milestone is a yearly release target of an Article 5 plan.
type Milestone struct {
	Year      int   `json:"year"`
	ReleaseM2 int64 `json:"release_m2"`
}

// Contains reports whether v is one of values.
func Contains(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}
