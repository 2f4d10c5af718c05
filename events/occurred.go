package events

// OccurredOn returns the domain date of an event: the date the fact happened
// in the field (not when it was recorded). Events without a date of their own
// (a pledge, a work-plan approval) return the zero Date; the engine then uses
// the date the command was accepted.
func OccurredOn(e Event) Date {
	switch e := e.(type) {
	case AreaRegistered:
		return e.RegisteredOn
	case EvidenceRecorded:
		return e.ObservedOn
	case AreaConfirmed:
		return e.On
	case AreaCancelled:
		return e.On
	case AreaReduced:
		return e.On
	case AreaCleared:
		return e.On
	case AreaReclassified:
		return e.On
	case AreaRecordCorrected:
		return e.On
	case AreaReopened:
		return e.On
	case QAVisitRecorded:
		return e.On
	case AccessRestricted:
		return e.On
	case AccessRestrictionLifted:
		return e.On
	case CapacityDeployed:
		return e.From
	case CapacityWithdrawn:
		return e.On
	case TaskAssigned:
		return e.On
	case Article5DeadlineSet:
		return e.DecidedOn // zero when not stated: the day it was recorded
	}
	return Date{}
}
