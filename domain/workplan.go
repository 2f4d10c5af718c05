package domain

import (
	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// WorkPlan is a province's annual work plan: approved by the provincial
// committee, then endorsed by the national authority.
type WorkPlan struct {
	Province   string
	Year       int
	Revision   int // 0: never approved
	AreaIDs    []uuid.UUID
	Endorsed   bool
	ApprovedBy string
}

func (w WorkPlan) Exists() bool { return w.Revision > 0 }

func (w WorkPlan) Evolve(e events.Event) State {
	switch e := e.(type) {
	case events.WorkPlanApproved:
		w.Province, w.Year, w.Revision, w.AreaIDs, w.ApprovedBy = e.Province, e.Year, e.Revision, e.AreaIDs, e.ApprovedBy
	case events.WorkPlanEndorsed:
		w.Endorsed = true
	}
	return w
}

// ApproveWorkPlan approves (or revises, until endorsed) a province's work plan.
type ApproveWorkPlan struct {
	Province   string      `json:"province"`
	Year       int         `json:"year"`
	AreaIDs    []uuid.UUID `json:"area_ids"`
	ApprovedBy string      `json:"approved_by,omitempty"`
}

func (ApproveWorkPlan) CommandName() string { return "ApproveWorkPlan" }
func (c ApproveWorkPlan) Validate(p *Problems) {
	required(p, "province", c.Province)
	validYear(p, "year", c.Year)
	if len(c.AreaIDs) == 0 {
		p.Add("area_ids", "required: the areas the plan tasks")
	}
	seen := make(map[uuid.UUID]bool, len(c.AreaIDs))
	for i, id := range c.AreaIDs {
		if id == uuid.Nil {
			p.Add("area_ids["+itoa(i)+"]", "not a UUID")
		}
		if seen[id] {
			p.Add("area_ids["+itoa(i)+"]", "area %s is listed twice", id)
		}
		seen[id] = true
	}
}
func (c ApproveWorkPlan) Target(ctx Context) events.Ref {
	return events.WorkPlanRef(ctx.Country, c.Province, c.Year)
}
func (c ApproveWorkPlan) Reads(ctx Context) []events.Ref {
	out := make([]events.Ref, len(c.AreaIDs))
	for i, id := range c.AreaIDs {
		out[i] = areaRef(ctx, id)
	}
	return out
}
func (c ApproveWorkPlan) Decide(ctx Context, s State, reads Reads) ([]events.Event, error) {
	if err := knownProvince(ctx, "province", c.Province); err != nil {
		return nil, err
	}
	w, _ := s.(WorkPlan)
	if w.Endorsed {
		return nil, Errorf(ErrInvalid, "year", "the %d work plan of %s is already endorsed", c.Year, c.Province)
	}
	for i, id := range c.AreaIDs {
		f := "area_ids[" + itoa(i) + "]"
		a, _ := reads[areaRef(ctx, id)].(Area)
		switch {
		case !a.Registered:
			return nil, Errorf(ErrNotFound, f, "no area %s is registered", id)
		case a.Province != c.Province:
			return nil, Errorf(ErrInvalid, f, "area %s is in %s, not %s", id, a.Province, c.Province)
		case a.Released():
			return nil, Errorf(ErrInvalid, f, "area %s is RELEASED", id)
		case a.Restricted:
			return nil, Errorf(ErrInvalid, f, "access to area %s is restricted since %s (%s): a plan cannot task it until LiftAccessRestriction is recorded", id, a.RestrictedSince, a.RestrictionReason)
		}
	}
	return []events.Event{events.WorkPlanApproved{Province: c.Province, Year: c.Year, AreaIDs: c.AreaIDs,
		ApprovedBy: c.ApprovedBy, Revision: w.Revision + 1}}, nil
}

// EndorseWorkPlan endorses an approved work plan nationally.
type EndorseWorkPlan struct {
	Province   string `json:"province"`
	Year       int    `json:"year"`
	EndorsedBy string `json:"endorsed_by,omitempty"`
}

func (EndorseWorkPlan) CommandName() string { return "EndorseWorkPlan" }
func (c EndorseWorkPlan) Validate(p *Problems) {
	required(p, "province", c.Province)
	validYear(p, "year", c.Year)
}
func (c EndorseWorkPlan) Target(ctx Context) events.Ref {
	return events.WorkPlanRef(ctx.Country, c.Province, c.Year)
}
func (EndorseWorkPlan) Reads(Context) []events.Ref { return nil }
func (c EndorseWorkPlan) Decide(_ Context, s State, _ Reads) ([]events.Event, error) {
	w, _ := s.(WorkPlan)
	switch {
	case !w.Exists():
		return nil, Errorf(ErrNotFound, "year", "no approved %d work plan for %s", c.Year, c.Province)
	case w.Endorsed:
		return nil, Errorf(ErrInvalid, "year", "the %d work plan of %s is already endorsed", c.Year, c.Province)
	}
	return []events.Event{events.WorkPlanEndorsed{Province: c.Province, Year: c.Year, EndorsedBy: c.EndorsedBy, Revision: w.Revision}}, nil
}
