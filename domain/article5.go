package domain

import (
	"strings"

	"github.com/landrelease/landrelease/events"
)

// Article5 is a country's Article 5 clearance obligation.
type Article5 struct {
	Set        bool
	Deadline   events.Date
	Milestones []events.Milestone
	Extensions int // times the deadline was set after the first
}

func (a Article5) Exists() bool { return a.Set }

func (a Article5) Evolve(e events.Event) State {
	if e, ok := e.(events.Article5DeadlineSet); ok {
		if a.Set {
			a.Extensions++
		}
		a.Set, a.Deadline, a.Milestones = true, e.Deadline, e.Milestones
	}
	return a
}

// SetArticle5Deadline sets the Article 5 deadline, or extends it.
type SetArticle5Deadline struct {
	Country    string             `json:"country"`
	Deadline   events.Date        `json:"deadline"`
	Reason     string             `json:"reason"`
	Milestones []events.Milestone `json:"milestones,omitempty"`
	// DecidedOn is the date the States Parties decided the deadline
	// (optional): a forecast as of an earlier date does not know it.
	DecidedOn events.Date `json:"decided_on,omitempty"`
}

func (SetArticle5Deadline) CommandName() string { return "SetArticle5Deadline" }
func (c SetArticle5Deadline) Validate(p *Problems) {
	if len(c.Country) != 2 || strings.ToUpper(c.Country) != c.Country {
		p.Add("country", "want an ISO 3166-1 alpha-2 code in capitals such as KH, got %q", c.Country)
	}
	requiredDate(p, "deadline", c.Deadline)
	required(p, "reason", c.Reason)
	if !c.DecidedOn.IsZero() {
		validYear(p, "decided_on", c.DecidedOn.Year())
	}
	if !c.DecidedOn.IsZero() && !c.Deadline.IsZero() && c.DecidedOn.After(c.Deadline) {
		p.Add("decided_on", "the decision (%s) comes after the deadline it sets (%s)", c.DecidedOn, c.Deadline)
	}
	seen := map[int]bool{}
	for i, m := range c.Milestones {
		f := "milestones[" + itoa(i) + "]"
		validYear(p, f+".year", m.Year)
		areaM2(p, f+".release_m2", m.ReleaseM2, 0)
		if seen[m.Year] {
			p.Add(f+".year", "year %d appears twice", m.Year)
		}
		seen[m.Year] = true
		if !c.Deadline.IsZero() && m.Year > c.Deadline.Year() {
			p.Add(f+".year", "year %d is after the deadline (%s)", m.Year, c.Deadline)
		}
	}
}
func (c SetArticle5Deadline) Target(Context) events.Ref { return events.Article5Ref(c.Country) }
func (SetArticle5Deadline) Reads(Context) []events.Ref  { return nil }
func (c SetArticle5Deadline) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	if !strings.EqualFold(c.Country, ctx.Country) {
		return nil, Errorf(ErrInvalid, "country", "this engine serves %s, not %s", ctx.Country, c.Country)
	}
	a, _ := s.(Article5)
	if a.Set && a.Deadline == c.Deadline {
		return nil, Errorf(ErrInvalid, "deadline", "the deadline is already %s", c.Deadline)
	}
	return []events.Event{events.Article5DeadlineSet{Country: c.Country, Deadline: c.Deadline,
		Reason: c.Reason, Milestones: c.Milestones, PreviousDeadline: a.Deadline, DecidedOn: c.DecidedOn}}, nil
}
