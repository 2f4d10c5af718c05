package domain_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

func deployment() domain.DeployCapacity {
	return domain.DeployCapacity{
		DeploymentID: deploymentID, Operator: "HALO", Province: "Battambang", Method: "MANUAL", Deminers: 120, Women: 40,
		From: date("2020-01-01"), To: date("2025-12-31"), ProductivityM2PerDeminerDay: 70, WorkingDaysPerYear: 200, AnnualCostUSD: 1_200_000,
	}
}

func TestDeployCapacity(t *testing.T) {
	with := func(f func(*domain.DeployCapacity)) domain.DeployCapacity {
		c := deployment()
		f(&c)
		return c
	}
	runStories(t, []story{
		{
			name: "an operator deploys deminers in a province",
			when: deployment(),
			then: []events.Event{events.CapacityDeployed{
				DeploymentID: deploymentID, Operator: "HALO", Province: "Battambang", Method: "MANUAL", Deminers: 120, Women: 40,
				From: date("2020-01-01"), To: date("2025-12-31"), ProductivityM2PerDeminerDay: 70, WorkingDaysPerYear: 200, AnnualCostUSD: 1_200_000,
			}},
			state: func(t *testing.T, s domain.State) {
				if d := s.(domain.Deployment); !d.Active() || d.Deminers != 120 {
					t.Errorf("deployment %+v: want active with 120 deminers", d)
				}
			},
		},
		{
			name: "a planned deployment (from a future date) is a plan, not a fact: accepted",
			when: with(func(c *domain.DeployCapacity) { c.From, c.To = date("2025-01-01"), events.Date{} }),
			then: []events.Event{events.CapacityDeployed{
				DeploymentID: deploymentID, Operator: "HALO", Province: "Battambang", Method: "MANUAL", Deminers: 120, Women: 40,
				From: date("2025-01-01"), ProductivityM2PerDeminerDay: 70, WorkingDaysPerYear: 200, AnnualCostUSD: 1_200_000,
			}},
		},
		{
			name:    "deploying the same deployment twice is a conflict",
			given:   []events.Event{deployed("Battambang")},
			when:    deployment(),
			refused: refused(domain.ErrConflict, "deployment_id"),
		},
		{
			name:    "a province outside the gazetteer is refused",
			when:    with(func(c *domain.DeployCapacity) { c.Province = "Battambong" }),
			refused: refused(domain.ErrInvalid, "province"),
		},
		{
			name:    "a deployment needs deminers",
			when:    with(func(c *domain.DeployCapacity) { c.Deminers, c.Women = 0, 0 }),
			refused: refused(domain.ErrInvalid, "deminers"),
		},
		{
			name:    "there cannot be more women than deminers",
			when:    with(func(c *domain.DeployCapacity) { c.Women = 121 }),
			refused: refused(domain.ErrInvalid, "women"),
		},
		{
			name:    "a deployment cannot end before it starts",
			when:    with(func(c *domain.DeployCapacity) { c.To = date("2019-12-31") }),
			refused: refused(domain.ErrInvalid, "to"),
		},
		{
			name:    "an unknown method is refused",
			when:    with(func(c *domain.DeployCapacity) { c.Method = "MAGIC" }),
			refused: refused(domain.ErrInvalid, "method"),
		},
		{
			name:    "a productivity beyond reason is refused",
			when:    with(func(c *domain.DeployCapacity) { c.ProductivityM2PerDeminerDay = 50_000 }),
			refused: refused(domain.ErrInvalid, "productivity_m2_per_deminer_day"),
		},
		{
			name:    "more working days than a year has are refused",
			when:    with(func(c *domain.DeployCapacity) { c.WorkingDaysPerYear = 400 }),
			refused: refused(domain.ErrInvalid, "working_days_per_year"),
		},
		{
			name:    "a negative cost is refused",
			when:    with(func(c *domain.DeployCapacity) { c.AnnualCostUSD = -1 }),
			refused: refused(domain.ErrInvalid, "annual_cost_usd"),
		},
		{
			name:    "an operator is required",
			when:    with(func(c *domain.DeployCapacity) { c.Operator = "" }),
			refused: refused(domain.ErrInvalid, "operator"),
		},
	})
}

func TestDeployWithoutIDDerivesItFromTheCommandID(t *testing.T) {
	c := deployment()
	c.DeploymentID = uuid.Nil
	want := events.DerivedID(commandID, "deployment", 0, now)
	if got := c.Target(ctx); got.ID != want || got.Kind != events.KindDeployment {
		t.Errorf("Target = %v, want deployment %s", got, want)
	}
	_, evs, err := decide(nil, nil, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[0].(events.CapacityDeployed).DeploymentID; got != want {
		t.Errorf("deployed %s, want %s", got, want)
	}
}

func TestWithdrawCapacity(t *testing.T) {
	runStories(t, []story{
		{
			name:  "an active deployment is withdrawn",
			given: []events.Event{deployed("Battambang")},
			when:  domain.WithdrawCapacity{DeploymentID: deploymentID, On: date("2022-03-31"), Reason: "funding ended"},
			then:  []events.Event{events.CapacityWithdrawn{DeploymentID: deploymentID, On: date("2022-03-31"), Reason: "funding ended"}},
			state: func(t *testing.T, s domain.State) {
				if d := s.(domain.Deployment); d.Active() || !d.Withdrawn || d.To != date("2022-03-31") {
					t.Errorf("deployment %+v: want withdrawn on 2022-03-31", d)
				}
			},
		},
		{
			name:    "a deployment is withdrawn only once",
			given:   []events.Event{deployed("Battambang"), events.CapacityWithdrawn{DeploymentID: deploymentID, On: date("2022-03-31")}},
			when:    domain.WithdrawCapacity{DeploymentID: deploymentID, On: date("2022-04-30")},
			refused: refused(domain.ErrInvalid, "deployment_id"),
		},
		{
			name:    "a withdrawal before the deployment started is refused",
			given:   []events.Event{deployed("Battambang")},
			when:    domain.WithdrawCapacity{DeploymentID: deploymentID, On: date("2019-12-31")},
			refused: refused(domain.ErrInvalid, "on"),
		},
		{
			name:    "withdrawing an unknown deployment: not found",
			when:    domain.WithdrawCapacity{DeploymentID: deploymentID, On: date("2022-03-31")},
			refused: refused(domain.ErrNotFound, "deployment_id"),
		},
		{
			name:    "a withdrawal needs its date",
			given:   []events.Event{deployed("Battambang")},
			when:    domain.WithdrawCapacity{DeploymentID: deploymentID},
			refused: refused(domain.ErrInvalid, "on"),
		},
	})
}

func TestAssignTask(t *testing.T) {
	on := date("2021-02-01")
	task := domain.AssignTask{AreaID: areaID, DeploymentID: deploymentID, On: on, Task: "CLEARANCE"}
	active := map[events.Ref][]events.Event{deploymentRef(): {deployed("Battambang")}}
	runStories(t, []story{
		{
			name:  "an active deployment of the area's province is tasked to it",
			given: []events.Event{registeredCHA(100_000)},
			reads: active,
			when:  task,
			then:  []events.Event{events.TaskAssigned{AreaID: areaID, DeploymentID: deploymentID, On: on, Task: "CLEARANCE", Operator: "HALO"}},
			state: func(t *testing.T, s domain.State) {
				if a := area(t, s); len(a.Deployments) != 1 || a.Deployments[0] != deploymentID {
					t.Errorf("area deployments %v, want [%s]", a.Deployments, deploymentID)
				}
			},
		},
		{
			name:  "tasking the same deployment again is recorded but the area lists it once",
			given: []events.Event{registeredCHA(100_000), events.TaskAssigned{AreaID: areaID, DeploymentID: deploymentID, On: on, Task: "TS"}},
			reads: active,
			when:  task,
			then:  []events.Event{events.TaskAssigned{AreaID: areaID, DeploymentID: deploymentID, On: on, Task: "CLEARANCE", Operator: "HALO"}},
			state: func(t *testing.T, s domain.State) {
				if a := area(t, s); len(a.Deployments) != 1 {
					t.Errorf("area deployments %v, want one", a.Deployments)
				}
			},
		},
		{
			name:  "a withdrawn deployment cannot be tasked",
			given: []events.Event{registeredCHA(100_000)},
			reads: map[events.Ref][]events.Event{deploymentRef(): {deployed("Battambang"),
				events.CapacityWithdrawn{DeploymentID: deploymentID, On: date("2020-12-31")}}},
			when:    task,
			refused: refused(domain.ErrInvalid, "deployment_id"),
		},
		{
			name:    "a deployment in another province cannot be tasked",
			given:   []events.Event{registeredCHA(100_000)},
			reads:   map[events.Ref][]events.Event{deploymentRef(): {deployed("Pailin")}},
			when:    task,
			refused: refused(domain.ErrInvalid, "deployment_id"),
		},
		{
			name:    "an unknown deployment: not found",
			given:   []events.Event{registeredCHA(100_000)},
			when:    task,
			refused: refused(domain.ErrNotFound, "deployment_id"),
		},
		{
			name:  "a task before the deployment starts is refused",
			given: []events.Event{registeredCHA(100_000)},
			reads: map[events.Ref][]events.Event{deploymentRef(): {func() events.Event {
				d := deployed("Battambang")
				d.From = date("2022-01-01")
				return d
			}()}},
			when:    task,
			refused: refused(domain.ErrInvalid, "on"),
		},
		{
			name:    "a released area takes no task",
			given:   released(),
			reads:   active,
			when:    task,
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "tasking an unknown area: not found",
			reads:   active,
			when:    task,
			refused: refused(domain.ErrNotFound, "area_id"),
		},
		{
			name:    "the task must be NTS, TS or CLEARANCE",
			given:   []events.Event{registeredCHA(100_000)},
			reads:   active,
			when:    domain.AssignTask{AreaID: areaID, DeploymentID: deploymentID, On: on, Task: "PAINTING"},
			refused: refused(domain.ErrInvalid, "task"),
		},
	})
}

func TestAssignTaskReadsTheDeploymentAndWritesTheArea(t *testing.T) {
	task := domain.AssignTask{AreaID: areaID, DeploymentID: deploymentID, On: date("2021-02-01"), Task: "TS"}
	if got := task.Target(ctx); got != areaRef(areaID) {
		t.Errorf("Target = %v, want the area", got)
	}
	if got := task.Reads(ctx); len(got) != 1 || got[0] != deploymentRef() {
		t.Errorf("Reads = %v, want the deployment", got)
	}
}
