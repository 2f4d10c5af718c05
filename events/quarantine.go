package events

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Quarantined describes a message on the history's subjects that this build
// cannot take as an event: the engine did not write it (no or garbled
// headers, a body that is not the event's JSON, a subject of the wrong
// shape or kind), or a newer engine did (an event type or schema version
// this build does not know). Readers skip it, record it and report it; it
// never stops a replay. Its Sequence still counts: it is the stream position
// the history moved past, and on an aggregate's subject it is part of the
// aggregate's version.
//
// As an error (from a decoder) it means "skip and report this message"; any
// other error reading the history is a real failure.
type Quarantined struct {
	Sequence uint64    // stream sequence of the message
	Subject  string    // its subject, as stored (shortened when absurdly long)
	Reason   string    // why it is not an event, for the operator
	StoredAt time.Time // when the stream stored it (zero if unknown)
	// BatchEnd is false only for a message stored inside an atomic append
	// that goes on after it (as Envelope.BatchEnd): readers that cut
	// transactions do not cut there.
	BatchEnd bool
}

func (q *Quarantined) Error() string {
	return fmt.Sprintf("message %d on %s quarantined: %s", q.Sequence, q.Subject, q.Reason)
}

// AsQuarantined returns the quarantine record err carries, if any.
func AsQuarantined(err error) (*Quarantined, bool) {
	var q *Quarantined
	if errors.As(err, &q) {
		return q, true
	}
	return nil, false
}

// MaxQuarantineText bounds the subject and reason of a quarantine record: a
// message with a megabyte of header must not become a megabyte of report.
const MaxQuarantineText = 512

// Clip shortens s to at most MaxQuarantineText bytes (on a rune boundary,
// with "…" when cut) and replaces invalid UTF-8 and control characters with
// U+FFFD, so that whatever a foreign message holds can be stored and printed
// on a terminal safely.
func Clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
	if len(s) <= MaxQuarantineText {
		return s
	}
	cut := MaxQuarantineText - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// kindOfType is the aggregate kind each event type is stored under.
var kindOfType = map[string]AggregateKind{
	TypeAreaRegistered: KindArea, TypeEvidenceRecorded: KindArea, TypeAreaConfirmed: KindArea,
	TypeAreaCancelled: KindArea, TypeAreaReduced: KindArea, TypeAreaCleared: KindArea,
	TypeAreaReclassified: KindArea, TypeAreaRecordCorrected: KindArea, TypeAreaReopened: KindArea,
	TypeQAVisitRecorded: KindArea, TypeTaskAssigned: KindArea,
	TypeAccessRestricted: KindArea, TypeAccessRestrictionLifted: KindArea,
	TypeCapacityDeployed: KindDeployment, TypeCapacityWithdrawn: KindDeployment,
	TypeFundingPledged: KindFunding, TypeFundingShortfallRecorded: KindFunding,
	TypeArticle5DeadlineSet: KindArticle5,
	TypeWorkPlanApproved:    KindWorkPlan, TypeWorkPlanEndorsed: KindWorkPlan,
}

// KindOf returns the aggregate kind whose subjects hold events of type
// eventType, and whether the type is known.
func KindOf(eventType string) (AggregateKind, bool) {
	k, ok := kindOfType[eventType]
	return k, ok
}

// Known reports whether k is one of the aggregate kinds of this package.
func (k AggregateKind) Known() bool {
	switch k {
	case KindArea, KindDeployment, KindFunding, KindArticle5, KindWorkPlan:
		return true
	}
	return false
}
