package events

import "github.com/google/uuid"

// NamedAggregate returns the aggregate ID an event's body names, for the
// event types whose aggregate is identified by an ID in the body: the
// areas' and deployments'. (Funding, Article 5 and work-plan aggregates
// are named by country, year and province; their subjects' IDs are
// derived.)
func NamedAggregate(e Event) (uuid.UUID, bool) {
	switch d := e.(type) {
	case AreaRegistered:
		return d.AreaID, true
	case EvidenceRecorded:
		return d.AreaID, true
	case AreaConfirmed:
		return d.AreaID, true
	case AreaCancelled:
		return d.AreaID, true
	case AreaReduced:
		return d.AreaID, true
	case AreaCleared:
		return d.AreaID, true
	case AreaReclassified:
		return d.AreaID, true
	case AreaRecordCorrected:
		return d.AreaID, true
	case AreaReopened:
		return d.AreaID, true
	case QAVisitRecorded:
		return d.AreaID, true
	case AccessRestricted:
		return d.AreaID, true
	case AccessRestrictionLifted:
		return d.AreaID, true
	case TaskAssigned:
		return d.AreaID, true
	case CapacityDeployed:
		return d.DeploymentID, true
	case CapacityWithdrawn:
		return d.DeploymentID, true
	}
	return uuid.Nil, false
}
