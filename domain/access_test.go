package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

func TestParseRole(t *testing.T) {
	for in, want := range map[string]string{
		"admin": "admin", "planner": "planner", "analyst": "analyst",
		"mapu:battambang": "mapu:Battambang", "operator:HALO": "operator:HALO",
	} {
		r, err := domain.ParseRole(in, "KH")
		if err != nil || r.String() != want {
			t.Errorf("ParseRole(%q) = %v, %v; want %s", in, r, err, want)
		}
	}
	for _, in := range []string{"", "root", "mapu", "mapu:Atlantis", "operator:", "admin:x"} {
		if _, err := domain.ParseRole(in, "KH"); err == nil {
			t.Errorf("ParseRole(%q) accepted", in)
		}
	}
}

// TestAuthorize walks role × command over a Battambang area tasked to a
// HALO deployment and a Pailin area tasked to nobody.
func TestAuthorize(t *testing.T) {
	halo := domain.Fold(events.KindDeployment, []events.Event{events.CapacityDeployed{
		DeploymentID: deploymentID, Operator: "HALO", Province: "Battambang", Method: "MANUAL", Deminers: 10, From: registeredOn}}).(domain.Deployment)
	deployments := func(id uuid.UUID) (domain.Deployment, error) {
		if id == deploymentID {
			return halo, nil
		}
		return domain.Deployment{}, fmt.Errorf("unknown deployment %s", id)
	}
	battambang := domain.Fold(events.KindArea, []events.Event{
		events.AreaRegistered{AreaID: areaID, Province: "Battambang", Hazard: events.HazardAP, Classification: events.SHA, SizeM2: 10_000, RegisteredOn: registeredOn, Source: "BLS"},
		events.TaskAssigned{AreaID: areaID, DeploymentID: deploymentID, On: registeredOn, Task: "CLEARANCE", Operator: "HALO"},
	})
	pailin := domain.Fold(events.KindArea, []events.Event{
		events.AreaRegistered{AreaID: pailinAreaID, Province: "Pailin", Hazard: events.HazardAP, Classification: events.SHA, SizeM2: 10_000, RegisteredOn: registeredOn, Source: "BLS"},
	})
	none := domain.Fold(events.KindArea, nil)
	principal := func(role string) *domain.Principal {
		r, err := domain.ParseRole(role, "KH")
		if err != nil {
			t.Fatal(err)
		}
		return &domain.Principal{Name: "someone", Role: r}
	}
	register := func(province string) domain.Command {
		return domain.RegisterSuspectedArea{Province: province, Hazard: events.HazardAP, SizeM2: 100, RegisteredOn: today, Source: "BLS"}
	}
	clear := func(id uuid.UUID, operator string) domain.Command {
		return domain.ClearArea{AreaID: id, On: today, SizeM2: 10, Operator: operator}
	}
	cases := []struct {
		role   string
		cmd    domain.Command
		target domain.State
		allow  bool
	}{
		{"admin", clear(pailinAreaID, "MAG"), pailin, true},
		{"analyst", domain.RecordEvidence{AreaID: areaID}, battambang, false},
		{"analyst", register("Battambang"), none, false},
		{"planner", register("Pailin"), none, true},
		{"planner", domain.SetArticle5Deadline{Country: "KH"}, none, true},
		{"planner", clear(areaID, "HALO"), battambang, false},
		{"planner", domain.CancelArea{AreaID: areaID, Method: events.CancelByDeskAnalysis}, battambang, true},
		{"planner", domain.CancelArea{AreaID: areaID, Method: events.CancelByNTS}, battambang, false},
		{"mapu:Battambang", register("Battambang"), none, true},
		{"mapu:Battambang", register("Pailin"), none, false},
		{"mapu:Battambang", clear(areaID, "HALO"), battambang, true},
		{"mapu:Battambang", clear(pailinAreaID, "HALO"), pailin, false},
		{"mapu:Battambang", domain.ApproveWorkPlan{Province: "Battambang", Year: 2024}, none, true},
		{"mapu:Battambang", domain.ApproveWorkPlan{Province: "Pailin", Year: 2024}, none, false},
		{"mapu:Battambang", domain.EndorseWorkPlan{Province: "Battambang", Year: 2024}, none, false},
		{"mapu:Battambang", domain.PledgeFunding{Donor: "X", Year: 2024, AmountUSD: 1}, none, false},
		{"mapu:Battambang", domain.DeployCapacity{Operator: "HALO", Province: "Pailin"}, none, false},
		{"mapu:Battambang", domain.WithdrawCapacity{DeploymentID: deploymentID}, halo, true},
		{"operator:HALO", clear(areaID, "HALO"), battambang, true},
		{"operator:HALO", clear(areaID, "MAG"), battambang, false},
		{"operator:HALO", domain.RecordEvidence{AreaID: areaID}, battambang, true},
		{"operator:HALO", clear(pailinAreaID, "HALO"), pailin, false},
		{"operator:MAG", clear(areaID, "MAG"), battambang, false},
		{"operator:HALO", register("Battambang"), none, false},
		{"operator:HALO", domain.ReclassifyArea{AreaID: areaID}, battambang, false},
	}
	for _, c := range cases {
		err := domain.Authorize(principal(c.role), c.cmd, c.target, deployments)
		if c.allow && err != nil {
			t.Errorf("%s %s: refused: %v", c.role, c.cmd.CommandName(), err)
		}
		if !c.allow && !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s %s: want forbidden, got %v", c.role, c.cmd.CommandName(), err)
		}
	}
	if err := domain.Authorize(nil, clear(pailinAreaID, "MAG"), pailin, deployments); err != nil {
		t.Errorf("a local caller without principal was refused: %v", err)
	}
}
