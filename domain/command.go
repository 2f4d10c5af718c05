package domain

import (
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// Context is what a decision may know besides the state: the country the
// engine serves, the command's ID (from which new IDs are derived, so a retry
// decides the same) and the time the command is handled.
type Context struct {
	Country   string
	CommandID uuid.UUID
	Now       time.Time
}

// Today is the calendar date of Now.
func (c Context) Today() events.Date { return events.DateOf(c.Now) }

// Command is one command of docs/contract.md. Implementations are plain values.
type Command interface {
	// CommandName is the stable wire name, e.g. "CancelArea".
	CommandName() string
	// Validate adds every problem with the command's own fields.
	Validate(p *Problems)
	// Target is the aggregate the command's events are appended to.
	Target(c Context) events.Ref
	// Reads lists other aggregates the decision consults (read-only, no
	// concurrency guard); nil for most commands.
	Reads(c Context) []events.Ref
	// Decide returns the events the command causes on the target state s, or
	// a domain error. It does no I/O.
	Decide(c Context, s State, reads Reads) ([]events.Event, error)
}

// Reads holds the states of the aggregates a command consults.
type Reads map[events.Ref]State

var commandTable = map[string]func() Command{
	"RegisterSuspectedArea":  func() Command { return &RegisterSuspectedArea{} },
	"RecordEvidence":         func() Command { return &RecordEvidence{} },
	"ConfirmHazardousArea":   func() Command { return &ConfirmHazardousArea{} },
	"CancelArea":             func() Command { return &CancelArea{} },
	"ReduceArea":             func() Command { return &ReduceArea{} },
	"ClearArea":              func() Command { return &ClearArea{} },
	"ReclassifyArea":         func() Command { return &ReclassifyArea{} },
	"CorrectAreaRecord":      func() Command { return &CorrectAreaRecord{} },
	"ReopenArea":             func() Command { return &ReopenArea{} },
	"RecordQAVisit":          func() Command { return &RecordQAVisit{} },
	"DeployCapacity":         func() Command { return &DeployCapacity{} },
	"WithdrawCapacity":       func() Command { return &WithdrawCapacity{} },
	"AssignTask":             func() Command { return &AssignTask{} },
	"PledgeFunding":          func() Command { return &PledgeFunding{} },
	"RecordFundingShortfall": func() Command { return &RecordFundingShortfall{} },
	"SetArticle5Deadline":    func() Command { return &SetArticle5Deadline{} },
	"ApproveWorkPlan":        func() Command { return &ApproveWorkPlan{} },
	"EndorseWorkPlan":        func() Command { return &EndorseWorkPlan{} },
	"RestrictAccess":         func() Command { return &RestrictAccess{} },
	"LiftAccessRestriction":  func() Command { return &LiftAccessRestriction{} },
}

// CommandNames lists every command name, sorted.
func CommandNames() []string {
	out := make([]string, 0, len(commandTable))
	for n := range commandTable {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// newCommand returns a pointer to a zero command of the given name.
func newCommand(name string) (Command, bool) {
	f, ok := commandTable[name]
	if !ok {
		return nil, false
	}
	return f(), true
}

// State is the current state of one aggregate, folded from its events.
// States are values: Evolve returns the next state and never mutates.
type State interface {
	// Exists reports whether the aggregate has any event.
	Exists() bool
	// Evolve returns the state after e.
	Evolve(e events.Event) State
}

// NewState returns the empty state of an aggregate kind.
func NewState(k events.AggregateKind) State {
	switch k {
	case events.KindArea:
		return Area{}
	case events.KindDeployment:
		return Deployment{}
	case events.KindFunding:
		return FundingLedger{}
	case events.KindArticle5:
		return Article5{}
	case events.KindWorkPlan:
		return WorkPlan{}
	}
	return nil
}

// Fold evolves the empty state of kind k through evs.
func Fold(k events.AggregateKind, evs []events.Event) State {
	s := NewState(k)
	for _, e := range evs {
		s = s.Evolve(e)
	}
	return s
}

// --- validation helpers -------------------------------------------------

func required(p *Problems, field, v string) {
	if v == "" {
		p.Add(field, "required")
	}
}

func requiredDate(p *Problems, field string, d events.Date) {
	if d.IsZero() {
		p.Add(field, "required (YYYY-MM-DD)")
		return
	}
	validDate(p, field, d)
}

func requiredID(p *Problems, field string, id uuid.UUID) {
	if id == uuid.Nil {
		p.Add(field, "required (a UUID)")
	}
}

func oneOf(p *Problems, field, v string, values []string, isRequired bool) {
	if v == "" {
		if isRequired {
			p.Add(field, "required; one of %v", values)
		}
		return
	}
	if !events.Contains(values, v) {
		p.Add(field, "%q is not one of %v", v, values)
	}
}

func validYear(p *Problems, field string, y int) {
	if y < MinYear || y > MaxYear {
		p.Add(field, "must be a year between %d and %d, got %d", MinYear, MaxYear, y)
	}
}

func validEvidence(p *Problems, field string, ev []events.Evidence) {
	for i, e := range ev {
		f := field + "[" + itoa(i) + "]"
		oneOf(p, f+".kind", string(e.Kind), events.EvidenceKindValues, true)
		requiredDate(p, f+".observed_on", e.ObservedOn)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// evidenceNotInFuture refuses evidence observed after today, as RecordEvidence
// does for evidence recorded on its own.
func evidenceNotInFuture(c Context, field string, ev []events.Evidence) error {
	for i, e := range ev {
		if err := notInFuture(c, field+"["+itoa(i)+"].observed_on", e.ObservedOn); err != nil {
			return err
		}
	}
	return nil
}

// notInFuture refuses a date of a recorded fact after today.
func notInFuture(c Context, field string, d events.Date) error {
	if d.After(c.Today()) {
		return Errorf(ErrInvalid, field, "%s is in the future (today is %s): record facts once they happened", d, c.Today())
	}
	return nil
}
