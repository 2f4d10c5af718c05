package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// A Battambang area tasked to HALO and cleared by it, with a MAG deployment
// tasked too (for QA).
func workedArea(t *testing.T) (domain.State, func(uuid.UUID) (domain.Deployment, error)) {
	t.Helper()
	magID := uuid.MustParse("01900000-0000-7000-8000-0000000d0a99")
	deps := map[uuid.UUID]domain.Deployment{}
	for id, op := range map[uuid.UUID]string{deploymentID: "HALO", magID: "MAG"} {
		deps[id] = domain.Fold(events.KindDeployment, []events.Event{events.CapacityDeployed{
			DeploymentID: id, Operator: op, Province: "Battambang", Method: "MANUAL", Deminers: 10, From: registeredOn}}).(domain.Deployment)
	}
	area := domain.Fold(events.KindArea, []events.Event{
		events.AreaRegistered{AreaID: areaID, Province: "Battambang", Hazard: events.HazardAP, Classification: events.CHA, SizeM2: 10_000, RegisteredOn: registeredOn, Source: "BLS"},
		events.TaskAssigned{AreaID: areaID, DeploymentID: deploymentID, On: registeredOn, Task: "CLEARANCE"}, // no operator: older events
		events.AreaCleared{AreaID: areaID, On: registeredOn, SizeM2: 4_000, Operator: "HALO", RemainingM2: 6_000},
		events.TaskAssigned{AreaID: areaID, DeploymentID: magID, On: registeredOn, Task: "TS", Operator: "MAG"},
	})
	return area, func(id uuid.UUID) (domain.Deployment, error) {
		d, ok := deps[id]
		if !ok {
			return d, fmt.Errorf("unknown deployment %s", id)
		}
		return d, nil
	}
}

func as(t *testing.T, role string) *domain.Principal {
	t.Helper()
	r, err := domain.ParseRole(role, "KH")
	if err != nil {
		t.Fatal(err)
	}
	return &domain.Principal{Name: "someone", Role: r}
}

// A MAPU may credit released land only to an operator the register knows
// on the area (one of its deployments is tasked to it): an operator that
// does not exist, or never worked there, is refused naming the field.
func TestMAPUCreditsOnlyKnownOperators(t *testing.T) {
	area, deps := workedArea(t)
	mapu := as(t, "mapu:Battambang")
	for _, cmd := range []domain.Command{
		domain.ClearArea{AreaID: areaID, On: today, SizeM2: 10, Operator: "Ghost Demining"},
		domain.ReduceArea{AreaID: areaID, On: today, SizeM2: 10, Operator: "Ghost Demining"},
		domain.CancelArea{AreaID: areaID, On: today, Method: events.CancelByNTS, Reason: "x", Operator: "Ghost Demining"},
		domain.RecordQAVisit{AreaID: areaID, On: today, Result: events.QAPass, Operator: "Ghost Demining"},
	} {
		err := domain.Authorize(mapu, cmd, area, deps)
		var de *domain.Error
		if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalid) || de.Field() != "operator" ||
			!strings.Contains(de.Problems[0].Reason, `"Ghost Demining" is not known`) || !strings.Contains(de.Problems[0].Reason, "HALO, MAG") {
			t.Errorf("%s for an unknown operator: want invalid naming operator and the tasked ones, got %v", cmd.CommandName(), err)
		}
	}
	for _, op := range []string{"HALO", "halo", "MAG"} {
		if err := domain.Authorize(mapu, domain.ClearArea{AreaID: areaID, On: today, SizeM2: 10, Operator: op}, area, deps); err != nil {
			t.Errorf("ClearArea by tasked %s: %v", op, err)
		}
	}
	// Admins and the local CLI record migrated history: trusted.
	ghost := domain.ClearArea{AreaID: areaID, On: today, SizeM2: 10, Operator: "Ghost Demining"}
	for _, p := range []*domain.Principal{nil, as(t, "admin")} {
		if err := domain.Authorize(p, ghost, area, deps); err != nil {
			t.Errorf("%v: %v", p, err)
		}
	}
}

// An operator may not record a QA visit on an area whose land it released
// itself; another operator tasked to the area may.
func TestOperatorMayNotQAItsOwnWork(t *testing.T) {
	area, deps := workedArea(t)
	qa := func(op string) domain.Command {
		return domain.RecordQAVisit{AreaID: areaID, On: today, Result: events.QAPass, Operator: op}
	}
	for _, cmd := range []domain.Command{qa("HALO"), qa("")} {
		err := domain.Authorize(as(t, "operator:HALO"), cmd, area, deps)
		if !errors.Is(err, domain.ErrForbidden) || !strings.Contains(err.Error(), "QA visit on its own work") {
			t.Errorf("HALO QA on its own clearance: want forbidden naming the reason, got %v", err)
		}
	}
	if err := domain.Authorize(as(t, "operator:MAG"), qa("MAG"), area, deps); err != nil {
		t.Errorf("MAG QA on HALO's clearance: %v", err)
	}
	if err := domain.Authorize(as(t, "operator:HALO"), domain.ClearArea{AreaID: areaID, On: today, SizeM2: 10, Operator: "HALO"}, area, deps); err != nil {
		t.Errorf("HALO clearing more of its area: %v", err)
	}
	if err := domain.Authorize(as(t, "mapu:Battambang"), qa("HALO"), area, deps); err != nil {
		t.Errorf("the MAPU's QA of HALO's work: %v", err)
	}
}
