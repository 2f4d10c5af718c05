package projections_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// randomRegister is a province's register: SHAs and CHAs of random size,
// land use and evidence, some partly surveyed or released in 2019, and one
// to three deployments.
func randomRegister(rng *rand.Rand) *projections.National {
	var evs []events.Event
	uses := events.LandUseValues
	for i, k := 0, 5+rng.IntN(40); i < k; i++ {
		class := []string{"SHA", "CHA"}[rng.IntN(2)]
		reg := events.AreaRegistered{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP", Classification: events.Classification(class),
			SizeM2: int64(500 + rng.IntN(400_000)), RegisteredOn: events.MustDate("2018-02-01"), Source: "BLS",
			LandUse: events.LandUse(uses[rng.IntN(len(uses))]), CasualtiesLast5y: rng.IntN(3), CommunityRequest: rng.IntN(3) == 0}
		if class == "CHA" || rng.IntN(2) == 0 {
			reg.Evidence = []events.Evidence{{Kind: "WITNESS", ObservedOn: reg.RegisteredOn}}
		}
		evs = append(evs, reg)
		switch rng.IntN(6) {
		case 0:
			evs = append(evs, events.AreaCancelled{AreaID: reg.AreaID, On: events.MustDate("2019-06-01"), Method: "NTS", Reason: "no evidence", SizeM2: reg.SizeM2})
		case 1:
			if class == "SHA" {
				evs = append(evs, events.AreaCancelled{AreaID: reg.AreaID, On: events.MustDate("2019-05-01"), Method: "NTS", Reason: "part", SizeM2: reg.SizeM2 / 2, RemainingM2: reg.SizeM2 - reg.SizeM2/2})
			}
		}
	}
	for i, k := 0, 1+rng.IntN(3); i < k; i++ {
		d := deploy(5+rng.IntN(60), float64(10+rng.IntN(40)), 200, "2018-01-01")
		d.Operator = []string{"CMAC", "HALO", "MAG"}[rng.IntN(3)]
		evs = append(evs, d)
	}
	evs = append(evs, events.AreaRegistered{AreaID: uuid.New(), Province: "Battambang", Hazard: "AP", Classification: "CHA",
		SizeM2: 1000, RegisteredOn: events.MustDate("2020-03-01"), Source: "BLS"})
	return history(evs...)
}

// firstFitTotal is the priority total of the rule the plan replaced: every
// area of a stage by score, highest first, whole if it fits what is left.
func firstFitTotal(rows []projections.PlannedArea, capacity, weight float64) float64 {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Score != rows[j].Score {
			return rows[i].Score > rows[j].Score
		}
		return rows[i].RemainingM2 < rows[j].RemainingM2
	})
	var v float64
	for _, r := range rows {
		if w := weight * float64(r.RemainingM2); w <= capacity {
			capacity -= w
			v += r.Score * float64(r.RemainingM2) / 10_000
		}
	}
	return v
}

func TestWorkPlanLandReleaseOrderOnRandomRegisters(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	crits := []projections.Criteria{projections.DefaultCriteria(),
		{Casualties: 3, LandUse: map[string]float64{"FOREST": 9}, CostPerM2: -50, SizePerHa: -0.5}, {DirectEvidence: 1, SizePerHa: 2}}
	splits := 0
	for trial := 0; trial < 300; trial++ {
		n := randomRegister(rng)
		crit := crits[trial%len(crits)]
		p, err := projections.WorkPlanFor(n, "Pailin", 2020, crit, projections.DefaultForecastConfig())
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		open := map[uuid.UUID]*projections.AreaRow{}
		for id, a := range n.Areas {
			if a.Province == "Pailin" && a.RemainingM2 > 0 {
				open[id] = a
			}
		}
		surveyed := map[uuid.UUID]bool{}
		seen := map[uuid.UUID]bool{}
		var surveyM2, clearM2 int64
		var total float64
		var shaRows, chaRows []projections.PlannedArea
		check := func(list string, a projections.PlannedArea) {
			row := open[a.AreaID]
			if row == nil || seen[a.AreaID] {
				t.Fatalf("trial %d: %s lists area %s (open %v, seen %v)", trial, list, a.AreaID, row != nil, seen[a.AreaID])
			}
			seen[a.AreaID] = true
			if (row.Status == "SHA") != (a.Stage == projections.StageNTS) {
				t.Fatalf("trial %d: %s area %s status %s at stage %s", trial, list, a.AreaID, row.Status, a.Stage)
			}
			if a.Stage == projections.StageNTS {
				shaRows = append(shaRows, a)
			} else {
				chaRows = append(chaRows, a)
			}
		}
		for _, a := range p.ForNTS {
			check("NTS", a)
			surveyed[a.AreaID] = true
			surveyM2 += a.PlannedM2
			total += a.Score * float64(a.PlannedM2) / 10_000
			if a.PlannedM2+a.CarriedM2 != a.RemainingM2 || a.PlannedM2 <= 0 || a.ExpectCancel+a.ExpectCHA != a.PlannedM2 {
				t.Fatalf("trial %d: NTS row %+v does not add up", trial, a)
			}
		}
		for _, a := range p.Areas {
			check("clearance", a)
			if n.Areas[a.AreaID].Status == "SHA" && !surveyed[a.AreaID] {
				t.Fatalf("trial %d: SHA %s planned for clearance without survey in the plan", trial, a.AreaID)
			}
			clearM2 += a.ToClearM2
			total += a.Score * float64(a.PlannedM2) / 10_000
			if a.PlannedM2+a.CarriedM2 != a.RemainingM2 || a.PlannedM2 <= 0 {
				t.Fatalf("trial %d: clearance row %+v does not add up", trial, a)
			}
			if a.CarriedM2 > 0 {
				splits++
			}
		}
		for _, a := range p.LeftOut {
			check("left out", a)
			if a.Reason == "" || a.PlannedM2 != 0 {
				t.Fatalf("trial %d: left-out area %s has no reason or is planned (%+v)", trial, a.AreaID, a)
			}
		}
		if len(seen) != len(open) {
			t.Fatalf("trial %d: %d open areas, %d in the plan's lists", trial, len(open), len(seen))
		}
		if surveyM2 != p.SurveyPlannedM2 || surveyM2 > p.SurveyCapacityM2 {
			t.Fatalf("trial %d: survey planned %d (reported %d) over capacity %d", trial, surveyM2, p.SurveyPlannedM2, p.SurveyCapacityM2)
		}
		if clearM2 != p.PlannedM2 || clearM2 > p.CapacityM2 {
			t.Fatalf("trial %d: clearance planned %d (reported %d) over capacity %d", trial, clearM2, p.PlannedM2, p.CapacityM2)
		}
		for _, o := range p.ByOperator {
			if o.ToClearM2 > o.CapacityM2 {
				t.Fatalf("trial %d: %s %s plans %d m² over its capacity %d", trial, o.Operator, o.Method, o.ToClearM2, o.CapacityM2)
			}
		}
		ff := firstFitTotal(shaRows, float64(p.SurveyCapacityM2), 1) + firstFitTotal(chaRows, float64(p.CapacityM2), 1-p.ReduceShare)
		if total < ff-1e-6 || math.Abs(total-p.PriorityTotal) > 1e-6*math.Max(1, math.Abs(total)) {
			t.Fatalf("trial %d: priority total %.4f (reported %.4f) below first-fit %.4f", trial, total, p.PriorityTotal, ff)
		}
	}
	if splits == 0 {
		t.Fatal("no random register split an area: the test does not reach splitting")
	}
}

// An SHA goes through survey, within the survey capacity the province's
// history shows; a CHA larger than the clearance capacity is split and the
// rest carried to the next year; the high-score big CHA is not skipped.
func TestWorkPlanSurveysFirstAndSplits(t *testing.T) {
	surveyedBefore := area("Pailin", "AP", "SHA", 300_000, "2018-01-01")
	big := area("Pailin", "AP", "CHA", 2_000_000, "2018-01-01")
	bigReg := big
	bigReg.LandUse, bigReg.CasualtiesLast5y = "AGRICULTURE", 2
	bigReg.Evidence = []events.Evidence{{Kind: "ACCIDENT", ObservedOn: bigReg.RegisteredOn}}
	small := area("Pailin", "AP", "CHA", 50_000, "2018-01-01")
	sha := area("Pailin", "AP", "SHA", 900_000, "2018-01-01")
	sid := surveyedBefore.AreaID
	n := history(surveyedBefore, bigReg, small, sha,
		events.AreaCancelled{AreaID: sid, On: events.MustDate("2019-03-01"), Method: "NTS", Reason: "no evidence", SizeM2: 200_000, RemainingM2: 100_000},
		deploy(80, 40, 200, "2018-01-01")) // 640,000 m² a year
	p, err := projections.WorkPlanFor(n, "Pailin", 2020, projections.DefaultCriteria(), projections.DefaultForecastConfig())
	if err != nil {
		t.Fatal(err)
	}
	if p.SurveyCapacityM2 <= 0 || p.SurveyCapacityM2 >= 900_000 || !strings.Contains(p.SurveyCapacityBy, "province") {
		t.Fatalf("survey capacity %d (%s): want the province's surveyed area per year", p.SurveyCapacityM2, p.SurveyCapacityBy)
	}
	if len(p.ForNTS) == 0 || p.SurveyPlannedM2 > p.SurveyCapacityM2 || p.ExpectCancelM2+p.ExpectCHAM2 != p.SurveyPlannedM2 {
		t.Fatalf("NTS stage %+v", p.ForNTS)
	}
	if len(p.Areas) == 0 || p.Areas[0].AreaID != bigReg.AreaID || p.Areas[0].CarriedM2 == 0 || p.Areas[0].PlannedM2+p.Areas[0].CarriedM2 != 2_000_000 {
		t.Fatalf("the high-score 2 km² CHA is not planned first and split: %+v", p.Areas)
	}
	if p.PlannedM2 > p.CapacityM2 || p.PlannedM2 < p.CapacityM2-1 {
		t.Fatalf("planned %d of capacity %d: want it all used by the split", p.PlannedM2, p.CapacityM2)
	}
	if len(p.LeftOut) == 0 || !strings.Contains(p.LeftOut[len(p.LeftOut)-1].Reason, "capacity") {
		t.Fatalf("left out %+v: want the small CHA with its reason", p.LeftOut)
	}
}

// A pledge to an operator reaches its deployments' provinces in proportion
// to their cost; a pledge naming a province counts in full there.
func TestWorkPlanFundingAttributedByCost(t *testing.T) {
	halo1 := deployIn("Pailin", 30, 40, 200, "2018-01-01")
	halo1.Operator, halo1.AnnualCostUSD = "HALO", 300_000
	halo2 := deployIn("Battambang", 90, 40, 200, "2018-01-01")
	halo2.Operator, halo2.AnnualCostUSD = "HALO", 900_000
	cmac := deploy(10, 40, 200, "2018-01-01")
	cmac.AnnualCostUSD = 100_000
	n := history(cha(100_000, "2019-06-01"), halo1, halo2, cmac,
		events.FundingPledged{FundingID: uuid.New(), Donor: "US", Year: 2020, AmountUSD: 400_000, Operator: "HALO"},
		events.FundingPledged{FundingID: uuid.New(), Donor: "JP", Year: 2020, AmountUSD: 50_000, Province: "Pailin"},
		events.FundingPledged{FundingID: uuid.New(), Donor: "UK", Year: 2021, AmountUSD: 7_000_000, Operator: "HALO"})
	p, err := projections.WorkPlanFor(n, "Pailin", 2020, projections.DefaultCriteria(), projections.DefaultForecastConfig())
	if err != nil {
		t.Fatal(err)
	}
	// 400,000 × 300,000 / 1,200,000 + 50,000
	if p.FundingUSD != 150_000 {
		t.Fatalf("pledged for Pailin %d, want 150,000", p.FundingUSD)
	}
	if want := max(0, p.CostUSD-p.FundingUSD); p.GapUSD != want || p.CostUSD == 0 {
		t.Fatalf("cost %d, pledged %d, gap %d: want gap %d", p.CostUSD, p.FundingUSD, p.GapUSD, want)
	}
	if got := projections.ProvincePledged(n, "Battambang", 2020); got != 300_000 {
		t.Fatalf("pledged for Battambang %g, want 300,000", got)
	}
}

func TestWorkPlanRefusesBadInputsNamingTheField(t *testing.T) {
	n := history(cha(100_000, "2019-01-01"), deploy(10, 40, 200, "2019-01-01"))
	for _, c := range []struct {
		province string
		year     int
		field    string
	}{{"Nowhere", 2020, "province"}, {"Pailin", 2017, "year"}, {"Pailin", 2031, "year"}} {
		_, err := projections.WorkPlanFor(n, c.province, c.year, projections.DefaultCriteria(), projections.DefaultForecastConfig())
		var pe *projections.PlanInputError
		if !errors.As(err, &pe) || pe.Field != c.field || !strings.Contains(err.Error(), fmt.Sprint(c.year)) && c.field == "year" {
			t.Fatalf("%s %d: got %v, want an error naming %s", c.province, c.year, err, c.field)
		}
	}
	if _, err := projections.WorkPlanFor(n, "Pailin", 2020, projections.DefaultCriteria(), projections.DefaultForecastConfig()); err != nil {
		t.Fatalf("the year after the history: %v", err)
	}
}
