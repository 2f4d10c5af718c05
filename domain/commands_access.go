package domain

import (
	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// RestrictAccess records that survey and clearance of an open area cannot
// proceed: Thai border land whose work awaits a bilateral mechanism, a
// military zone, a dispute. The area stays in the register and in every
// statistic; work plans and the forecast leave it out while it is
// restricted, and work on its ground dated from On is refused (onTheGround). ExpectedUntil, when given, is the date access is expected to
// open; the forecast makes the area workable from then (docs/forecast.md).
//
// Who may send it: admins and planners (a national decision), and the MAPU
// of the area's province (the province knows its border); not operators
// (domain/access.go: it is not a field result).
type RestrictAccess struct {
	AreaID        uuid.UUID   `json:"area_id"`
	On            events.Date `json:"on"`
	Reason        string      `json:"reason"`
	ExpectedUntil events.Date `json:"expected_until,omitzero"`
}

func (RestrictAccess) CommandName() string { return "RestrictAccess" }
func (c RestrictAccess) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	required(p, "reason", c.Reason)
	validDate(p, "expected_until", c.ExpectedUntil)
	if !c.ExpectedUntil.IsZero() && !c.On.IsZero() && !c.ExpectedUntil.After(c.On) {
		p.Add("expected_until", "must be after on (%s), got %s", c.On, c.ExpectedUntil)
	}
}
func (c RestrictAccess) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (RestrictAccess) Reads(Context) []events.Ref      { return nil }
func (c RestrictAccess) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := existingArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if a.Released() {
		return nil, Errorf(ErrInvalid, "area_id", "area %s is RELEASED: there is no remaining land whose access could be restricted", a.ID)
	}
	if a.Restricted {
		return nil, Errorf(ErrInvalid, "area_id", "access to area %s is already restricted since %s (%s): lift it first to record a new restriction", a.ID, a.RestrictedSince, a.RestrictionReason)
	}
	return []events.Event{events.AccessRestricted{AreaID: a.ID, On: c.On, Reason: c.Reason, ExpectedUntil: c.ExpectedUntil}}, nil
}

// LiftAccessRestriction records that access to a restricted area opened.
// Same roles as RestrictAccess.
type LiftAccessRestriction struct {
	AreaID uuid.UUID   `json:"area_id"`
	On     events.Date `json:"on"`
	Reason string      `json:"reason,omitempty"`
}

func (LiftAccessRestriction) CommandName() string { return "LiftAccessRestriction" }
func (c LiftAccessRestriction) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
}
func (c LiftAccessRestriction) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (LiftAccessRestriction) Reads(Context) []events.Ref      { return nil }
func (c LiftAccessRestriction) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := existingArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if !a.Restricted {
		return nil, Errorf(ErrInvalid, "area_id", "access to area %s is not restricted: nothing to lift", a.ID)
	}
	if c.On.Before(a.RestrictedSince) {
		return nil, Errorf(ErrInvalid, "on", "%s is before the restriction began (%s)", c.On, a.RestrictedSince)
	}
	return []events.Event{events.AccessRestrictionLifted{AreaID: a.ID, On: c.On, Reason: c.Reason}}, nil
}

// onTheGround refuses a command that records work on the ground of an area
// (non-technical survey, confirmation by survey, technical survey,
// clearance, a QA visit, a task order) dated on or after the start of the
// area's access restriction: nobody may enter the land, so such a record is
// a data error or work done without authority. Work dated before the
// restriction began is results reported late and is accepted. The expected
// opening date does not open access; only LiftAccessRestriction does (as for
// work plans, docs/workplan.md). Desk work stays allowed on restricted land
// (evidence, desk-analysis cancellation, reclassification, corrections,
// reopening on evidence): it needs no one on site.
func onTheGround(a Area, on events.Date, work string) error {
	if !a.Restricted || on.Before(a.RestrictedSince) {
		return nil
	}
	expected := "no expected opening date"
	if !a.RestrictedUntil.IsZero() {
		expected = "expected to open " + a.RestrictedUntil.String()
	}
	return Errorf(ErrInvalid, "area_id", "area %s is access-restricted since %s (reason: %s; %s): %s on %s cannot be recorded on land nobody may enter; record LiftAccessRestriction first",
		a.ID, a.RestrictedSince, a.RestrictionReason, expected, work, on)
}
