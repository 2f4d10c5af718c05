package domain

import (
	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// Deployment is clearance capacity an operator has in a province.
type Deployment struct {
	ID        uuid.UUID
	Deployed  bool
	Withdrawn bool
	Operator  string
	Province  string
	Method    events.ClearanceMethod
	Deminers  int
	Women     int
	From      events.Date
	To        events.Date // planned end (zero: open-ended); the withdrawal date once withdrawn
}

func (d Deployment) Exists() bool { return d.Deployed }

// Active reports whether the deployment was deployed and not withdrawn.
func (d Deployment) Active() bool { return d.Deployed && !d.Withdrawn }

func (d Deployment) Evolve(e events.Event) State {
	switch e := e.(type) {
	case events.CapacityDeployed:
		d = Deployment{ID: e.DeploymentID, Deployed: true, Operator: e.Operator, Province: e.Province,
			Method: e.Method, Deminers: e.Deminers, Women: e.Women, From: e.From, To: e.To}
	case events.CapacityWithdrawn:
		d.Withdrawn = true
		d.To = e.On
	}
	return d
}

func deploymentRef(c Context, id uuid.UUID) events.Ref {
	return events.Ref{Country: c.Country, Kind: events.KindDeployment, ID: id}
}

// DeployCapacity deploys clearance capacity. Without a deployment_id the ID is
// derived from the command ID.
type DeployCapacity struct {
	DeploymentID                uuid.UUID              `json:"deployment_id"`
	Operator                    string                 `json:"operator"`
	Province                    string                 `json:"province"`
	Method                      events.ClearanceMethod `json:"method"`
	Deminers                    int                    `json:"deminers"`
	From                        events.Date            `json:"from"`
	To                          events.Date            `json:"to"`
	Women                       int                    `json:"women,omitempty"`
	ProductivityM2PerDeminerDay float64                `json:"productivity_m2_per_deminer_day,omitempty"`
	WorkingDaysPerYear          int                    `json:"working_days_per_year,omitempty"`
	AnnualCostUSD               int64                  `json:"annual_cost_usd,omitempty"`
}

func (DeployCapacity) CommandName() string { return "DeployCapacity" }
func (c DeployCapacity) Validate(p *Problems) {
	required(p, "operator", c.Operator)
	required(p, "province", c.Province)
	oneOf(p, "method", string(c.Method), events.ClearanceMethodValues, true)
	count(p, "deminers", c.Deminers, 1, MaxDeminers)
	requiredDate(p, "from", c.From)
	validDate(p, "to", c.To)
	if !c.To.IsZero() && !c.From.IsZero() && c.To.Before(c.From) {
		p.Add("to", "%s is before from (%s)", c.To, c.From)
	}
	if c.Women < 0 || c.Women > c.Deminers {
		p.Add("women", "must be between 0 and deminers (%d), got %d", c.Deminers, c.Women)
	}
	validFloat(p, "productivity_m2_per_deminer_day", c.ProductivityM2PerDeminerDay, 0, MaxProductivityM2PerDeminerDay)
	count(p, "working_days_per_year", c.WorkingDaysPerYear, 0, MaxWorkingDaysPerYear)
	usd(p, "annual_cost_usd", c.AnnualCostUSD, 0)
}
func (c DeployCapacity) id(ctx Context) uuid.UUID {
	if c.DeploymentID != uuid.Nil {
		return c.DeploymentID
	}
	return events.DerivedID(ctx.CommandID, "deployment", 0, ctx.Now)
}
func (c DeployCapacity) Target(ctx Context) events.Ref { return deploymentRef(ctx, c.id(ctx)) }
func (DeployCapacity) Reads(Context) []events.Ref      { return nil }
func (c DeployCapacity) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	if s.Exists() {
		return nil, Errorf(ErrConflict, "deployment_id", "deployment %s already exists", c.id(ctx))
	}
	if err := knownProvince(ctx, "province", c.Province); err != nil {
		return nil, err
	}
	return []events.Event{events.CapacityDeployed{
		DeploymentID: c.id(ctx), Operator: c.Operator, Province: c.Province, Method: c.Method,
		Deminers: c.Deminers, Women: c.Women, From: c.From, To: c.To,
		ProductivityM2PerDeminerDay: c.ProductivityM2PerDeminerDay, WorkingDaysPerYear: c.WorkingDaysPerYear,
		AnnualCostUSD: c.AnnualCostUSD,
	}}, nil
}

// WithdrawCapacity ends an active deployment.
type WithdrawCapacity struct {
	DeploymentID uuid.UUID   `json:"deployment_id"`
	On           events.Date `json:"on"`
	Reason       string      `json:"reason,omitempty"`
}

func (WithdrawCapacity) CommandName() string { return "WithdrawCapacity" }
func (c WithdrawCapacity) Validate(p *Problems) {
	requiredID(p, "deployment_id", c.DeploymentID)
	requiredDate(p, "on", c.On)
}
func (c WithdrawCapacity) Target(ctx Context) events.Ref { return deploymentRef(ctx, c.DeploymentID) }
func (WithdrawCapacity) Reads(Context) []events.Ref      { return nil }
func (c WithdrawCapacity) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	d, _ := s.(Deployment)
	switch {
	case !d.Deployed:
		return nil, Errorf(ErrNotFound, "deployment_id", "no deployment with this ID")
	case d.Withdrawn:
		return nil, Errorf(ErrInvalid, "deployment_id", "deployment %s was already withdrawn on %s", d.ID, d.To)
	case c.On.Before(d.From):
		return nil, Errorf(ErrInvalid, "on", "%s is before the deployment started (%s)", c.On, d.From)
	}
	return []events.Event{events.CapacityWithdrawn{DeploymentID: d.ID, On: c.On, Reason: c.Reason}}, nil
}

// AssignTask tasks an active deployment of the same province to an open area.
// The event belongs to the area; the deployment is only read.
type AssignTask struct {
	AreaID       uuid.UUID   `json:"area_id"`
	DeploymentID uuid.UUID   `json:"deployment_id"`
	On           events.Date `json:"on"`
	Task         events.Task `json:"task"`
}

func (AssignTask) CommandName() string { return "AssignTask" }
func (c AssignTask) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredID(p, "deployment_id", c.DeploymentID)
	requiredDate(p, "on", c.On)
	oneOf(p, "task", string(c.Task), events.TaskValues, true)
}
func (c AssignTask) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (c AssignTask) Reads(ctx Context) []events.Ref {
	return []events.Ref{deploymentRef(ctx, c.DeploymentID)}
}
func (c AssignTask) Decide(ctx Context, s State, reads Reads) ([]events.Event, error) {
	a, err := openArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	d, _ := reads[deploymentRef(ctx, c.DeploymentID)].(Deployment)
	switch {
	case !d.Deployed:
		return nil, Errorf(ErrNotFound, "deployment_id", "no deployment with this ID")
	case d.Withdrawn:
		return nil, Errorf(ErrInvalid, "deployment_id", "deployment %s was withdrawn on %s", d.ID, d.To)
	case d.Province != a.Province:
		return nil, Errorf(ErrInvalid, "deployment_id", "deployment %s works in %s, the area is in %s", d.ID, d.Province, a.Province)
	case c.On.Before(d.From):
		return nil, Errorf(ErrInvalid, "on", "%s is before the deployment starts (%s)", c.On, d.From)
	}
	if err := onTheGround(a, c.On, "a task order ("+string(c.Task)+")"); err != nil {
		return nil, err
	}
	return []events.Event{events.TaskAssigned{AreaID: a.ID, DeploymentID: d.ID, On: c.On, Task: c.Task, Operator: d.Operator}}, nil
}
