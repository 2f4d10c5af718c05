package projections_test

import (
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

func TestWorkPlanStaysWithinCapacityAndProvince(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	var evs []events.Event
	for i := 0; i < 400; i++ {
		prov := []string{"Pailin", "Battambang"}[rng.IntN(2)]
		reg := events.AreaRegistered{AreaID: uuid.New(), Province: prov, Hazard: "AP", Classification: "CHA",
			SizeM2: int64(1000 + rng.IntN(300_000)), RegisteredOn: events.MustDate("2019-02-01"), Source: "BLS",
			LandUse: "AGRICULTURE", CasualtiesLast5y: rng.IntN(4), CommunityRequest: rng.IntN(3) == 0}
		if rng.IntN(4) != 0 {
			reg.Evidence = []events.Evidence{{Kind: "WITNESS", ObservedOn: reg.RegisteredOn}}
		}
		evs = append(evs, reg)
		if rng.IntN(10) == 0 { // some released areas that must not be planned
			evs = append(evs, events.AreaCancelled{AreaID: reg.AreaID, On: events.MustDate("2019-06-01"), Method: "NTS", Reason: "no evidence", SizeM2: reg.SizeM2})
		}
	}
	dep := deploy(80, 40, 200, "2019-01-01") // 640,000 m² a year in Pailin
	evs = append(evs, dep, events.CapacityDeployed{DeploymentID: uuid.New(), Operator: "HALO", Province: "Battambang", Method: "MANUAL", Deminers: 500, From: events.MustDate("2019-01-01")})
	n := history(evs...)
	p := projections.PlanWorkPlan(n, "Pailin", 2020, projections.DefaultCriteria(), projections.DefaultForecastConfig())
	if p.CapacityM2 != 640_000 || p.PlannedM2 > p.CapacityM2 || p.PlannedM2 < p.CapacityM2*9/10 {
		t.Fatalf("capacity %d, planned %d: want ≤ capacity and most of it used", p.CapacityM2, p.PlannedM2)
	}
	seen := map[uuid.UUID]bool{}
	for i, a := range append(append([]projections.PlannedArea{}, p.Areas...), p.ForNTS...) {
		row := n.Areas[a.AreaID]
		if row.Province != "Pailin" || row.RemainingM2 <= 0 || seen[a.AreaID] {
			t.Fatalf("entry %d: area %s (%s, %d m² remaining, seen %v) does not belong in the plan", i, a.AreaID, row.Province, row.RemainingM2, seen[a.AreaID])
		}
		seen[a.AreaID] = true
	}
	for _, a := range p.ForNTS {
		if n.Areas[a.AreaID].EvidenceCount != 0 {
			t.Fatalf("area %s with evidence proposed for NTS", a.AreaID)
		}
	}
	for i := 1; i < len(p.Areas); i++ {
		if p.Areas[i].Score > p.Areas[i-1].Score {
			t.Fatalf("plan not ranked by score at %d", i)
		}
	}
	if len(p.ByOperator) != 1 || p.ByOperator[0].Operator != "CMAC" || p.ByOperator[0].ToClearM2 != p.PlannedM2 {
		t.Fatalf("totals by operator %+v", p.ByOperator)
	}
}
