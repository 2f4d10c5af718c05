package projections

import (
	"math"
	"sort"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// Criteria rank open areas for a MAPU work plan. Each area's score is the
// sum of the weighted factors; higher first. Documented in docs/workplan.md;
// defaults in scenarios/criteria.yaml.
type Criteria struct {
	Casualties       float64            `yaml:"casualties" json:"casualties"`               // per casualty in the last 5 years
	CommunityRequest float64            `yaml:"community_request" json:"community_request"` // if the community asked
	DirectEvidence   float64            `yaml:"direct_evidence" json:"direct_evidence"`     // if contamination is confirmed by direct evidence
	LandUse          map[string]float64 `yaml:"land_use" json:"land_use"`                   // by land use
	CostPerM2        float64            `yaml:"cost_per_m2" json:"cost_per_m2"`             // per US$ per m² (use a negative weight)
	HazardCost       map[string]float64 `yaml:"hazard_cost" json:"hazard_cost"`             // cost factor by hazard (1 if absent)
}

// DefaultCriteria are the shipped weights (see scenarios/criteria.yaml).
func DefaultCriteria() Criteria {
	return Criteria{Casualties: 10, CommunityRequest: 8, DirectEvidence: 5, CostPerM2: -20,
		LandUse:    map[string]float64{"RESIDENTIAL": 10, "AGRICULTURE": 8, "INFRASTRUCTURE": 6, "FOREST": 1, "OTHER": 2},
		HazardCost: map[string]float64{"AP": 1, "AT": 1.5, "MIXED": 1.3, "CMR": 1.2, "ERW": 0.8}}
}

// PlannedArea is one area of a plan.
type PlannedArea struct {
	Rank          int       `json:"rank"`
	AreaID        uuid.UUID `json:"area_id"`
	District      string    `json:"district"`
	Village       string    `json:"village"`
	Class         string    `json:"classification"`
	Hazard        string    `json:"hazard"`
	LandUse       string    `json:"land_use"`
	RemainingM2   int64     `json:"remaining_m2"`
	ToClearM2     int64     `json:"to_clear_m2"` // remaining × (1 − TS reduce share)
	Score         float64   `json:"score"`
	Casualties    int       `json:"casualties_last_5y"`
	Community     bool      `json:"community_request"`
	EvidenceCount int       `json:"evidence_count"`
	Operator      string    `json:"operator"`
	DeploymentID  uuid.UUID `json:"deployment_id"`
	Method        string    `json:"method"`
	CostUSD       int64     `json:"cost_usd"`
}

// OperatorTotal sums a plan per operator and method.
type OperatorTotal struct {
	Operator   string `json:"operator"`
	Method     string `json:"method"`
	Areas      int    `json:"areas"`
	ToClearM2  int64  `json:"to_clear_m2"`
	CapacityM2 int64  `json:"capacity_m2"`
	CostUSD    int64  `json:"cost_usd"`
}

// PlanResult is a proposed MAPU annual work plan.
type PlanResult struct {
	Province          string          `json:"province"`
	Year              int             `json:"year"`
	CapacityM2        int64           `json:"capacity_m2"` // the province's clearance capacity that year, after shortfalls and the achieved factor
	PlannedM2         int64           `json:"planned_to_clear_m2"`
	CapacityUsed      float64         `json:"capacity_used"` // PlannedM2 / CapacityM2
	CostUSD           int64           `json:"cost_usd"`
	FundingUSD        int64           `json:"funding_usd"` // pledged for the province that year
	ShortfallUSD      int64           `json:"shortfall_usd"`
	ReduceShare       float64         `json:"ts_reduce_share"`
	Areas             []PlannedArea   `json:"areas"`
	ForNTS            []PlannedArea   `json:"proposed_for_nts"` // open areas with no recorded evidence: survey first, maybe cancel
	NotPlanned        int             `json:"open_areas_not_planned"`
	ByOperator        []OperatorTotal `json:"by_operator"`
	Criteria          Criteria        `json:"criteria"`
	ApprovedRevision  int             `json:"approved_revision,omitempty"`
	ApprovedStatus    string          `json:"approved_status,omitempty"`
	ApprovedAreaCount int             `json:"approved_areas,omitempty"`
}

type slot struct {
	d       *DeploymentRow
	free    float64
	cap     float64
	costM2  float64
	total   *OperatorTotal
	planned bool
}

// PlanWorkPlan proposes the province's work plan for a year: open areas of
// the province ranked by the criteria, filled into the capacity the
// province's deployments have that year (never beyond it); areas with no
// recorded evidence are listed apart, for non-technical survey first.
func PlanWorkPlan(n *National, province string, year int, crit Criteria, fc ForecastConfig) PlanResult {
	fc.fill()
	asOf := events.NewDate(year, 1, 1)
	rates := EstimateRates(n, fc, asOf)
	res := PlanResult{Province: province, Year: year, ReduceShare: rates.ReduceShare, Criteria: crit,
		Areas: []PlannedArea{}, ForNTS: []PlannedArea{}, ByOperator: []OperatorTotal{}}
	sf := shortfallShares(n, year)
	var slots []*slot
	for _, d := range deploymentsInOrder(n) {
		if d.Province != province {
			continue
		}
		share := activeShareYear(d, year)
		if share == 0 {
			continue
		}
		c := fc.deploymentYearCapacity(d) * share * (1 - sf[d]) * rates.ProductivityFactor
		if c <= 0 {
			continue
		}
		s := &slot{d: d, free: c, cap: c, costM2: deploymentCost(d) / (fc.deploymentYearCapacity(d) * rates.ProductivityFactor)}
		slots = append(slots, s)
		res.CapacityM2 += int64(c)
	}
	sort.Slice(slots, func(i, j int) bool {
		if slots[i].cap != slots[j].cap {
			return slots[i].cap > slots[j].cap
		}
		return slots[i].d.ID.String() < slots[j].d.ID.String()
	})
	var avgCostM2 float64
	for _, s := range slots {
		avgCostM2 += s.costM2 * s.cap
	}
	if res.CapacityM2 > 0 {
		avgCostM2 /= float64(res.CapacityM2)
	}
	var cands []PlannedArea
	for _, a := range n.Areas {
		if a.Province != province || a.RemainingM2 <= 0 {
			continue
		}
		p := PlannedArea{AreaID: a.ID, District: a.District, Village: a.Village, Class: a.Classification, Hazard: a.Hazard,
			LandUse: a.LandUse, RemainingM2: a.RemainingM2, Casualties: a.CasualtiesLast5y, Community: a.CommunityRequest,
			EvidenceCount: a.EvidenceCount}
		p.ToClearM2 = int64(math.Ceil(float64(a.RemainingM2) * (1 - rates.ReduceShare)))
		hc := 1.0
		if f, ok := crit.HazardCost[a.Hazard]; ok {
			hc = f
		}
		p.Score = crit.Casualties*float64(a.CasualtiesLast5y) + crit.LandUse[a.LandUse] + crit.CostPerM2*avgCostM2*hc
		if a.CommunityRequest {
			p.Score += crit.CommunityRequest
		}
		if a.DirectEvidence > 0 {
			p.Score += crit.DirectEvidence
		}
		if a.EvidenceCount == 0 {
			res.ForNTS = append(res.ForNTS, p)
			continue
		}
		cands = append(cands, p)
	}
	byScore := func(s []PlannedArea) {
		sort.Slice(s, func(i, j int) bool {
			if s[i].Score != s[j].Score {
				return s[i].Score > s[j].Score
			}
			if s[i].RemainingM2 != s[j].RemainingM2 {
				return s[i].RemainingM2 < s[j].RemainingM2
			}
			return s[i].AreaID.String() < s[j].AreaID.String()
		})
	}
	byScore(cands)
	byScore(res.ForNTS)
	for i := range res.ForNTS {
		res.ForNTS[i].Rank = i + 1
	}
	totals := map[[2]string]*OperatorTotal{}
	for _, s := range slots {
		k := [2]string{s.d.Operator, s.d.Method}
		if totals[k] == nil {
			totals[k] = &OperatorTotal{Operator: s.d.Operator, Method: s.d.Method}
		}
		s.total = totals[k]
		s.total.CapacityM2 += int64(s.cap)
	}
	for _, p := range cands {
		// The deployment with the most free capacity takes the area, if it fits.
		var best *slot
		for _, s := range slots {
			if float64(p.ToClearM2) <= s.free && (best == nil || s.free > best.free) {
				best = s
			}
		}
		if best == nil {
			res.NotPlanned++
			continue
		}
		best.free -= float64(p.ToClearM2)
		p.Rank = len(res.Areas) + 1
		p.Operator, p.DeploymentID, p.Method = best.d.Operator, best.d.ID, best.d.Method
		p.CostUSD = int64(math.Round(float64(p.ToClearM2) * best.costM2))
		best.total.Areas++
		best.total.ToClearM2 += p.ToClearM2
		best.total.CostUSD += p.CostUSD
		res.PlannedM2 += p.ToClearM2
		res.CostUSD += p.CostUSD
		res.Areas = append(res.Areas, p)
	}
	for _, t := range totals {
		res.ByOperator = append(res.ByOperator, *t)
	}
	sort.Slice(res.ByOperator, func(i, j int) bool {
		a, b := res.ByOperator[i], res.ByOperator[j]
		if a.Operator != b.Operator {
			return a.Operator < b.Operator
		}
		return a.Method < b.Method
	})
	if res.CapacityM2 > 0 {
		res.CapacityUsed = float64(res.PlannedM2) / float64(res.CapacityM2)
	}
	for _, p := range n.Pledges {
		if p.Year == year && p.Province == province {
			res.FundingUSD += p.AmountUSD
		}
	}
	for _, s := range n.Shortfalls {
		if s.Year == year && (s.Province == "" || s.Province == province) {
			res.ShortfallUSD += s.AmountUSD
		}
	}
	if w := n.WorkPlans[WorkPlanKey{province, year}]; w != nil {
		res.ApprovedRevision, res.ApprovedStatus, res.ApprovedAreaCount = w.Revision, w.Status, len(w.AreaIDs)
	}
	return res
}
