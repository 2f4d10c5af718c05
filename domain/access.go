package domain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// RoleKind is what a principal is in the programme.
type RoleKind string

// The roles of the API (docs/api.md).
const (
	RoleAdmin    RoleKind = "admin"    // everything, and token management
	RolePlanner  RoleKind = "planner"  // national commands and scenarios
	RoleMAPU     RoleKind = "mapu"     // commands and work plans of one province
	RoleOperator RoleKind = "operator" // survey and clearance results on areas tasked to it
	RoleAnalyst  RoleKind = "analyst"  // read only
)

// Role is a role kind with its scope: the province of a MAPU, the operator's
// name; empty for the others.
type Role struct {
	Kind  RoleKind
	Scope string
}

func (r Role) String() string {
	if r.Scope == "" {
		return string(r.Kind)
	}
	return string(r.Kind) + ":" + r.Scope
}

// ParseRole reads "admin", "planner", "analyst", "mapu:<province>" (a
// province of the gazetteer of country) or "operator:<name>".
func ParseRole(s, country string) (Role, error) {
	kind, scope, _ := strings.Cut(strings.TrimSpace(s), ":")
	r := Role{Kind: RoleKind(kind), Scope: strings.TrimSpace(scope)}
	switch r.Kind {
	case RoleAdmin, RolePlanner, RoleAnalyst:
		if r.Scope != "" {
			return Role{}, fmt.Errorf("role %q takes no scope", kind)
		}
	case RoleMAPU:
		if r.Scope == "" {
			return Role{}, fmt.Errorf("role mapu needs its province, e.g. mapu:Battambang")
		}
		p, ok := CanonicalProvince(country, r.Scope)
		if !ok {
			return Role{}, fmt.Errorf("role mapu: %q is not a province of %s", r.Scope, country)
		}
		r.Scope = p
	case RoleOperator:
		if r.Scope == "" {
			return Role{}, fmt.Errorf("role operator needs the operator's name, e.g. operator:HALO")
		}
	default:
		return Role{}, fmt.Errorf("unknown role %q: want admin, planner, analyst, mapu:<province> or operator:<name>", s)
	}
	return r, nil
}

// Principal is who sends a command: the name recorded as the actor of its
// events, and the role that says what it may do.
type Principal struct {
	Name string
	Role Role
}

// fieldResult reports whether a command records a result from the field,
// which only operators, the MAPU of the province and admins may send.
func fieldResult(c Command) bool {
	switch c := c.(type) {
	case CancelArea:
		return c.Method == events.CancelByNTS
	case ReduceArea, ClearArea, RecordQAVisit:
		return true
	}
	return false
}

// Authorize decides whether p may send c, given the current state of the
// command's target and a way to read a deployment (an operator may only
// act on areas tasked to one of its deployments). A nil principal is a
// trusted local caller (the CLI on the data dir).
func Authorize(p *Principal, c Command, target State, deployment func(uuid.UUID) (Deployment, error)) error {
	if p == nil || p.Role.Kind == RoleAdmin {
		return nil
	}
	op := c.CommandName()
	deny := func(format string, args ...any) error {
		return &Error{Op: op, Kind: ErrForbidden, Problems: []Problem{{Reason: fmt.Sprintf("%s (%s) ", p.Name, p.Role) + fmt.Sprintf(format, args...)}}}
	}
	switch p.Role.Kind {
	case RoleAnalyst:
		return deny("may read but not send commands")
	case RolePlanner:
		if fieldResult(c) {
			return deny("may not record field results (%s); an operator or the province's MAPU does", op)
		}
		return nil
	case RoleMAPU:
		prov, national := commandProvince(c, target)
		if national {
			return deny("may not send %s: it is a national decision", op)
		}
		if !strings.EqualFold(prov, p.Role.Scope) {
			return deny("may act in %s only, and this %s is in %s", p.Role.Scope, op, orUnknown(prov))
		}
		if cr, ok := c.(CorrectAreaRecord); ok && cr.Province != nil && !strings.EqualFold(*cr.Province, p.Role.Scope) {
			return deny("may not move an area out of %s", p.Role.Scope)
		}
		return knownOperator(c, target, deployment)
	case RoleOperator:
		return authorizeOperator(p, c, target, deployment, deny)
	}
	return deny("has an unknown role")
}

func authorizeOperator(p *Principal, c Command, target State, deployment func(uuid.UUID) (Deployment, error), deny func(string, ...any) error) error {
	op := c.CommandName()
	var named string
	switch c := c.(type) {
	case RecordEvidence:
	case CancelArea:
		named = c.Operator
	case ReduceArea:
		named = c.Operator
	case ClearArea:
		named = c.Operator
	case RecordQAVisit:
		named = c.Operator
	default:
		return deny("may record survey and clearance results only, not %s", op)
	}
	if named != "" && !strings.EqualFold(named, p.Role.Scope) {
		return deny("may record results of %s only, not of %q", p.Role.Scope, named)
	}
	a, ok := target.(Area)
	if !ok || !a.Exists() {
		return nil // the decision reports the unknown area
	}
	if _, qa := c.(RecordQAVisit); qa {
		for _, w := range a.Workers {
			if strings.EqualFold(w, p.Role.Scope) {
				return deny("may not record a QA visit on its own work: %s released land of area %s; "+
					"QA is recorded by the national authority, the province's MAPU or another operator", w, a.ID)
			}
		}
	}
	for _, id := range a.Deployments {
		d, err := deployment(id)
		if err != nil {
			return err
		}
		if strings.EqualFold(d.Operator, p.Role.Scope) {
			return nil
		}
	}
	return deny("may act only on areas tasked to it, and area %s is not", a.ID)
}

// commandProvince returns the province a command acts in, or national=true
// for the decisions the national authority takes (deadlines, funding,
// endorsement).
func commandProvince(c Command, target State) (province string, national bool) {
	switch c := c.(type) {
	case SetArticle5Deadline, PledgeFunding, RecordFundingShortfall, EndorseWorkPlan:
		return "", true
	case RegisterSuspectedArea:
		return c.Province, false
	case DeployCapacity:
		return c.Province, false
	case ApproveWorkPlan:
		return c.Province, false
	}
	switch s := target.(type) {
	case Area:
		return s.Province, false
	case Deployment:
		return s.Province, false
	}
	return "", false
}

func orUnknown(s string) string {
	if s == "" {
		return "no known province"
	}
	return s
}

// fieldOperator returns the operator a field result names ("" if none).
func fieldOperator(c Command) string {
	switch c := c.(type) {
	case CancelArea:
		return c.Operator
	case ReduceArea:
		return c.Operator
	case ClearArea:
		return c.Operator
	case RecordQAVisit:
		return c.Operator
	}
	return ""
}

// knownOperator refuses a field result whose operator the register does
// not know on the area: the operator must have a deployment tasked to it
// (AssignTask), so a MAPU cannot credit land released to an operator that
// does not exist or never worked there. The rule applies to principals
// below admin; admins and the local CLI record history migrated from
// other systems, whose operators may have no deployment on record.
func knownOperator(c Command, target State, deployment func(uuid.UUID) (Deployment, error)) error {
	named := fieldOperator(c)
	a, ok := target.(Area)
	if named == "" || !ok || !a.Exists() {
		return nil // no operator named; or the decision reports the unknown area
	}
	var tasked []string
	for _, id := range a.Deployments {
		d, err := deployment(id)
		if err != nil {
			return err
		}
		if strings.EqualFold(d.Operator, named) {
			return nil
		}
		if d.Operator != "" && !slices.Contains(tasked, d.Operator) {
			tasked = append(tasked, d.Operator)
		}
	}
	known := "no operator is tasked to it"
	if len(tasked) > 0 {
		known = "tasked: " + strings.Join(tasked, ", ")
	}
	return &Error{Op: c.CommandName(), Kind: ErrInvalid, Problems: []Problem{{Field: "operator",
		Reason: fmt.Sprintf("operator %q is not known on area %s (%s): task one of its deployments to the area with AssignTask first", named, a.ID, known)}}}
}
