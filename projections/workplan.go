package projections

import (
	"fmt"
	"math"
	"sort"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// Criteria rank open areas for a MAPU work plan. Each area's priority
// score is the sum of the weighted factors; see docs/workplan.md. Defaults
// in scenarios/criteria.yaml. Only factors the register records are
// criteria (AreaRow): beneficiaries, distance to the nearest village and
// contamination density are not recorded, so they are not criteria.
type Criteria struct {
	Casualties       float64            `yaml:"casualties" json:"casualties"`               // per casualty in the last 5 years
	CommunityRequest float64            `yaml:"community_request" json:"community_request"` // if the community asked
	DirectEvidence   float64            `yaml:"direct_evidence" json:"direct_evidence"`     // if contamination is confirmed by direct evidence
	LandUse          map[string]float64 `yaml:"land_use" json:"land_use"`                   // by land use
	CostPerM2        float64            `yaml:"cost_per_m2" json:"cost_per_m2"`             // per expected US$ of clearance per m² of the area, by method (use a negative weight)
	SizePerHa        float64            `yaml:"size_per_ha" json:"size_per_ha"`             // per hectare of remaining area (negative: smaller first)
}

// DefaultCriteria are the shipped weights (see scenarios/criteria.yaml).
func DefaultCriteria() Criteria {
	return Criteria{Casualties: 10, CommunityRequest: 8, DirectEvidence: 5, CostPerM2: -20,
		LandUse: map[string]float64{"RESIDENTIAL": 10, "AGRICULTURE": 8, "INFRASTRUCTURE": 6, "FOREST": 1, "OTHER": 2}}
}

// Stages of a work plan, in land-release order (IMAS 07.11).
const (
	StageNTS       = "NTS"          // an SHA surveyed first: cancelled, or confirmed as CHA
	StageClearance = "TS_CLEARANCE" // a CHA reduced by technical survey and cleared
)

// PlannedArea is one area of a plan (or one left out of it, with Reason).
type PlannedArea struct {
	Rank          int       `json:"rank"`
	AreaID        uuid.UUID `json:"area_id"`
	District      string    `json:"district"`
	Village       string    `json:"village"`
	Class         string    `json:"classification"`
	Hazard        string    `json:"hazard"`
	LandUse       string    `json:"land_use"`
	Stage         string    `json:"stage"` // NTS for an SHA, TS_CLEARANCE for a CHA
	RemainingM2   int64     `json:"remaining_m2"`
	PlannedM2     int64     `json:"planned_m2"`              // of RemainingM2, worked this year (less when split)
	CarriedM2     int64     `json:"carried_to_next_year_m2"` // the rest of a split area, carried to the next year
	ToClearM2     int64     `json:"to_clear_m2"`             // TS_CLEARANCE: PlannedM2 × (1 − TS reduce share)
	ExpectCancel  int64     `json:"expected_cancelled_m2"`   // NTS: PlannedM2 × NTS cancel share
	ExpectCHA     int64     `json:"expected_cha_m2"`         // NTS: the rest, confirmed as CHA for a later year's TS and clearance
	Score         float64   `json:"score"`                   // the priority score (docs/workplan.md)
	Casualties    int       `json:"casualties_last_5y"`
	Community     bool      `json:"community_request"`
	EvidenceCount int       `json:"evidence_count"`
	Operator      string    `json:"operator"`      // TS_CLEARANCE: the deployment taking most of it
	DeploymentID  uuid.UUID `json:"deployment_id"` // (uuid.Nil for NTS)
	Method        string    `json:"method"`
	CostUSD       int64     `json:"cost_usd"`         // clearance cost of ToClearM2 at each deployment's cost per m²
	Reason        string    `json:"reason,omitempty"` // why a left-out area is not in the plan
	// Restricted: left out because access is restricted (RestrictAccess).
	Restricted bool `json:"access_restricted,omitempty"`
}

// OperatorTotal sums a plan per operator and method.
type OperatorTotal struct {
	Operator   string `json:"operator"`
	Method     string `json:"method"`
	Areas      int    `json:"areas"`
	ToClearM2  int64  `json:"to_clear_m2"`
	CapacityM2 int64  `json:"capacity_m2"`
	CostUSD    int64  `json:"cost_usd"`

	toClear, capacity, cost float64 // summed unrounded, rounded once
}

// PlanResult is a proposed MAPU annual work plan.
type PlanResult struct {
	Province string `json:"province"`
	Year     int    `json:"year"`
	// Survey stage: SHAs planned for non-technical survey first.
	SurveyCapacityM2 int64   `json:"survey_capacity_m2"`    // SHA area the province can survey in the year
	SurveyCapacityBy string  `json:"survey_capacity_basis"` // how SurveyCapacityM2 was derived
	SurveyPlannedM2  int64   `json:"survey_planned_m2"`     // SHA area planned for NTS
	ExpectCancelM2   int64   `json:"expected_cancelled_m2"` // of it, expected to be cancelled
	ExpectCHAM2      int64   `json:"expected_cha_m2"`       // of it, expected to be confirmed as CHA (for the next year)
	CancelShare      float64 `json:"nts_cancel_share"`      // from the history (EstimateRates)
	// Clearance stage: CHAs planned for technical survey and clearance.
	CapacityM2    int64   `json:"capacity_m2"` // the province's clearance capacity that year, after shortfalls and the achieved factor
	PlannedM2     int64   `json:"planned_to_clear_m2"`
	CapacityUsed  float64 `json:"capacity_used"` // PlannedM2 / CapacityM2
	ReduceShare   float64 `json:"ts_reduce_share"`
	CostUSD       int64   `json:"cost_usd"`    // planned clearance cost
	FundingUSD    int64   `json:"funding_usd"` // pledged for the province that year, operator pledges attributed by cost
	GapUSD        int64   `json:"gap_usd"`     // CostUSD − FundingUSD when positive
	ShortfallUSD  int64   `json:"shortfall_usd"`
	Selection     string  `json:"selection"`      // which selection won (greedy-split or first-fit), per stage
	PriorityTotal float64 `json:"priority_total"` // Σ score × planned m² / 10,000 over both stages
	FirstFitTotal float64 `json:"first_fit_total"`
	// The lists.
	Areas             []PlannedArea   `json:"areas"`            // TS_CLEARANCE, in plan order
	ForNTS            []PlannedArea   `json:"proposed_for_nts"` // NTS, in plan order
	LeftOut           []PlannedArea   `json:"left_out"`         // open areas not planned, highest score first, each with its reason
	NotPlanned        int             `json:"open_areas_not_planned"`
	ByOperator        []OperatorTotal `json:"by_operator"`
	Criteria          Criteria        `json:"criteria"`
	ApprovedRevision  int             `json:"approved_revision,omitempty"`
	ApprovedStatus    string          `json:"approved_status,omitempty"`
	ApprovedAreaCount int             `json:"approved_areas,omitempty"`
}

// PlanInputError refuses an input of a plan (a work plan, the Article 5
// extension-request plan), naming the field.
type PlanInputError struct{ Field, Reason string }

func (e *PlanInputError) Error() string { return e.Field + ": " + e.Reason }

// WorkPlanFor checks the inputs and plans: the province must be recorded in
// the register (an area or a deployment), and the year must lie between the
// register's first year and the year after its last event.
func WorkPlanFor(n *National, province string, year int, crit Criteria, fc ForecastConfig) (PlanResult, error) {
	known := false
	for _, a := range n.Areas {
		if a.Province == province {
			known = true
			break
		}
	}
	for _, d := range n.Deployments {
		if known {
			break
		}
		known = d.Province == province
	}
	if !known {
		return PlanResult{}, &PlanInputError{"province", fmt.Sprintf("%q: no area or deployment recorded in it", province)}
	}
	first, last := historyStart(n), LastDate(n).Year()
	if first == math.MaxInt || year < first || year > last+1 {
		return PlanResult{}, &PlanInputError{"year", fmt.Sprintf("%d: outside the history (%d to %d, or the year after it)", year, first, last)}
	}
	return PlanWorkPlan(n, province, year, crit, fc), nil
}

type slot struct {
	d      *DeploymentRow
	free   float64
	cap    float64
	costM2 float64
	total  *OperatorTotal
}

// cand is one area in selection: its weight (m² of capacity it takes per
// m² of area) and its score.
type cand struct {
	p      PlannedArea
	weight float64 // capacity m² per m² of area
}

// PlanWorkPlan plans without checking the inputs (see WorkPlanFor): SHAs
// for NTS within the province's survey capacity, then CHAs for TS and
// clearance within its clearance capacity, each stage selected by
// selectStage; docs/workplan.md.
func PlanWorkPlan(n *National, province string, year int, crit Criteria, fc ForecastConfig) PlanResult {
	fc.fill()
	asOf := events.NewDate(year, 1, 1)
	rates := EstimateRates(n, fc, asOf)
	res := PlanResult{Province: province, Year: year, ReduceShare: rates.ReduceShare, CancelShare: rates.CancelShare, Criteria: crit,
		Areas: []PlannedArea{}, ForNTS: []PlannedArea{}, LeftOut: []PlannedArea{}, ByOperator: []OperatorTotal{}}
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
	// Cost per m² cleared, by method: the capacity-weighted mean of the
	// province's deployments (the national mean when it has none).
	avgCostM2 := meanCostM2(slots)
	if avgCostM2 == 0 {
		var all []*slot
		for _, d := range deploymentsInOrder(n) {
			if activeShareYear(d, year) > 0 && fc.deploymentYearCapacity(d)*rates.ProductivityFactor > 0 {
				c := fc.deploymentYearCapacity(d) * rates.ProductivityFactor
				all = append(all, &slot{d: d, cap: c, costM2: deploymentCost(d) / c})
			}
		}
		avgCostM2 = meanCostM2(all)
	}
	res.SurveyCapacityM2, res.SurveyCapacityBy = provinceSurveyCapacity(n, fc, asOf, province, rates)
	var shas, chas []cand
	var restricted []PlannedArea
	for _, a := range n.Areas {
		if a.Province != province || a.RemainingM2 <= 0 || a.Status == "RELEASED" {
			continue
		}
		p := PlannedArea{AreaID: a.ID, District: a.District, Village: a.Village, Class: a.Status, Hazard: a.Hazard,
			LandUse: a.LandUse, RemainingM2: a.RemainingM2, Casualties: a.CasualtiesLast5y, Community: a.CommunityRequest,
			EvidenceCount: a.EvidenceCount}
		// Expected clearance cost per m² of the area: what survey leaves
		// to clear, at the method mix's cost per m² cleared.
		clearShare := 1 - rates.ReduceShare
		if a.Status == "SHA" {
			clearShare *= 1 - rates.CancelShare
		}
		p.Score = crit.Casualties*float64(a.CasualtiesLast5y) + crit.LandUse[a.LandUse] + crit.CostPerM2*avgCostM2*clearShare +
			crit.SizePerHa*float64(a.RemainingM2)/10_000
		if a.CommunityRequest {
			p.Score += crit.CommunityRequest
		}
		if a.DirectEvidence > 0 {
			p.Score += crit.DirectEvidence
		}
		p.Score = math.Round(p.Score*1e6) / 1e6 // stable across summation orders
		p.Stage = StageClearance
		if a.Status == "SHA" {
			p.Stage = StageNTS
		}
		if a.Restricted() {
			// Access-restricted land is never planned, whatever its
			// expected opening date: the plan is a commitment, and the
			// restriction must be lifted (LiftAccessRestriction) first.
			p.Reason, p.Restricted = restrictedReason(a), true
			restricted = append(restricted, p)
			continue
		}
		if a.Status == "SHA" {
			shas = append(shas, cand{p: p, weight: 1})
		} else {
			p.Stage = StageClearance
			chas = append(chas, cand{p: p, weight: 1 - rates.ReduceShare})
		}
	}
	nts, ntsOut, selN, valN, ffN := selectStage(shas, float64(res.SurveyCapacityM2))
	cl, clOut, selC, valC, ffC := selectStage(chas, float64(res.CapacityM2))
	res.Selection = "NTS: " + selN + "; TS_CLEARANCE: " + selC
	res.PriorityTotal, res.FirstFitTotal = valN+valC, ffN+ffC
	for i, p := range nts {
		p.Rank = i + 1
		p.ExpectCancel = int64(math.Round(float64(p.PlannedM2) * rates.CancelShare))
		p.ExpectCHA = p.PlannedM2 - p.ExpectCancel
		p.Method = StageNTS
		res.SurveyPlannedM2 += p.PlannedM2
		res.ExpectCancelM2 += p.ExpectCancel
		res.ExpectCHAM2 += p.ExpectCHA
		res.ForNTS = append(res.ForNTS, p)
	}
	totals := map[[2]string]*OperatorTotal{}
	for _, s := range slots {
		k := [2]string{s.d.Operator, s.d.Method}
		if totals[k] == nil {
			totals[k] = &OperatorTotal{Operator: s.d.Operator, Method: s.d.Method}
		}
		s.total = totals[k]
		s.total.capacity += s.cap
	}
	for i, p := range cl {
		p.Rank = i + 1
		p.ToClearM2 = int64(math.Floor(float64(p.PlannedM2) * (1 - rates.ReduceShare)))
		assign(&p, slots)
		res.PlannedM2 += p.ToClearM2
		res.CostUSD += p.CostUSD
		res.Areas = append(res.Areas, p)
	}
	res.LeftOut = append(append(ntsOut, clOut...), restricted...)
	sort.SliceStable(res.LeftOut, func(i, j int) bool { return res.LeftOut[i].Score > res.LeftOut[j].Score })
	res.NotPlanned = len(res.LeftOut)
	for _, t := range totals {
		// Floors, so that no total shows more to clear than its capacity.
		t.CapacityM2, t.ToClearM2, t.CostUSD = int64(t.capacity), int64(t.toClear+1e-6), int64(math.Round(t.cost))
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
	res.FundingUSD = int64(math.Round(ProvincePledged(n, province, year)))
	if res.CostUSD > res.FundingUSD {
		res.GapUSD = res.CostUSD - res.FundingUSD
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

// restrictedReason says why an access-restricted area is left out.
func restrictedReason(a *AreaRow) string {
	until := "no expected date"
	if !a.RestrictedUntil.IsZero() {
		until = a.RestrictedUntil.String()
	}
	r := "access restricted until " + until + " (since " + a.RestrictedSince.String()
	if a.RestrictionReason != "" {
		r += ": " + a.RestrictionReason
	}
	return r + ")"
}

func meanCostM2(slots []*slot) float64 {
	var c, w float64
	for _, s := range slots {
		c += s.costM2 * s.cap
		w += s.cap
	}
	if w == 0 {
		return 0
	}
	return c / w
}

// assign spreads an area's m² to clear over the deployments with the most
// free capacity (never beyond it); the row names the deployment taking the
// most, and its cost is the sum at each deployment's cost per m².
func assign(p *PlannedArea, slots []*slot) {
	left := float64(p.ToClearM2)
	var cost, most float64
	reached := map[*OperatorTotal]bool{}
	for left > 0 {
		var best *slot
		for _, s := range slots {
			if s.free > 0 && (best == nil || s.free > best.free) {
				best = s
			}
		}
		if best == nil {
			break
		}
		take := math.Min(left, best.free)
		best.free -= take
		left -= take
		cost += take * best.costM2
		best.total.toClear += take
		best.total.cost += take * best.costM2
		if !reached[best.total] {
			reached[best.total] = true
			best.total.Areas++
		}
		if take > most {
			most = take
			p.Operator, p.DeploymentID, p.Method = best.d.Operator, best.d.ID, best.d.Method
		}
	}
	p.CostUSD = int64(math.Round(cost))
}

// selectStage picks the areas of one stage within capacity (capacity m²;
// each area takes weight × m²). Two selections are made and the one with
// the larger priority total Σ score × planned m² / 10,000 is kept:
//
//   - greedy-split: the areas with a positive score by score, highest
//     first; each is taken whole while it fits, and the first that does not
//     fit is split: the capacity left goes to part of it and the rest is
//     carried to the next year (the fractional knapsack, optimal for the
//     priority total; score × m² is its value and m² its size, so score is
//     its density). Areas with a score ≤ 0 then fill what is left, whole,
//     first-fit by score.
//   - first-fit: every area by score, highest first, taken whole if it fits
//     what is left (the previous work plan's rule).
//
// Keeping the better of the two makes the plan never worse than first-fit
// by construction; the greedy is also optimal whenever splitting is allowed.
// Ties keep greedy-split. Areas left out get a reason.
func selectStage(cs []cand, capacity float64) (planned, out []PlannedArea, name string, val, ffVal float64) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i].p, cs[j].p
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.RemainingM2 != b.RemainingM2 {
			return a.RemainingM2 < b.RemainingM2
		}
		return a.AreaID.String() < b.AreaID.String()
	})
	ffPlan, ffOut, ffVal := firstFit(cs, capacity)
	gPlan, gOut, gVal := greedySplit(cs, capacity)
	if gVal >= ffVal {
		return gPlan, gOut, "greedy-split", gVal, ffVal
	}
	return ffPlan, ffOut, "first-fit", ffVal, ffVal
}

// priority is an area's contribution to the priority total.
func priority(p PlannedArea) float64 { return p.Score * float64(p.PlannedM2) / 10_000 }

func need(c cand, m2 int64) float64 { return c.weight * float64(m2) }

func firstFit(cs []cand, capacity float64) (planned, out []PlannedArea, val float64) {
	left := capacity
	for _, c := range cs {
		p := c.p
		if w := need(c, p.RemainingM2); w <= left {
			left -= w
			p.PlannedM2 = p.RemainingM2
			val += priority(p)
			planned = append(planned, p)
			continue
		}
		p.Reason = fmt.Sprintf("does not fit the %.0f m² of capacity left after higher-score areas", left)
		out = append(out, p)
	}
	return planned, out, val
}

func greedySplit(cs []cand, capacity float64) (planned, out []PlannedArea, val float64) {
	left := capacity
	var rest []cand
	for _, c := range cs {
		p := c.p
		if p.Score <= 0 {
			rest = append(rest, c)
			continue
		}
		switch w := need(c, p.RemainingM2); {
		case w <= left:
			left -= w
			p.PlannedM2 = p.RemainingM2
		case c.weight > 0 && int64(left/c.weight) >= 1:
			p.PlannedM2 = int64(left / c.weight)
			p.CarriedM2 = p.RemainingM2 - p.PlannedM2
			left -= need(c, p.PlannedM2)
		default:
			p.Reason = fmt.Sprintf("the stage's capacity (%.0f m²) is used up by areas of higher score", capacity)
			out = append(out, p)
			continue
		}
		val += priority(p)
		planned = append(planned, p)
	}
	fp, fo, fv := firstFit(rest, left)
	for i := range fo {
		fo[i].Reason = "score ≤ 0 under the criteria, and " + fo[i].Reason
	}
	return append(planned, fp...), append(out, fo...), val + fv
}

// provinceSurveyCapacity is the SHA area the province can survey in the
// year: the area its history surveyed (cancelled by NTS or desk analysis,
// or confirmed as CHA) per year over the forecast's rate window; when the
// province has no survey in the window, the national survey rate
// (Rates.SurveyM2PerYear) times the province's share of the open SHA area;
// when the programme has no survey history at all, the province's whole
// open SHA area (no limit known).
func provinceSurveyCapacity(n *National, fc ForecastConfig, asOf events.Date, province string, rates Rates) (int64, string) {
	w := newRateWindow(n, fc.WindowYears, asOf.AddDays(-1))
	var surveyed float64
	for k, s := range n.Stats {
		if k.Province != province {
			continue
		}
		switch k.Method {
		case MethodNTS, MethodDeskAnalysis, MethodConfirmed:
			surveyed += w.vol[k.Year] * float64(s.AreaM2)
		}
	}
	years := w.years()
	if years <= 0 {
		years = 1
	}
	if surveyed > 0 {
		return int64(surveyed / years), fmt.Sprintf("the province's surveyed SHA area per year, %d–%d", w.from, w.to)
	}
	var provSHA, allSHA float64
	for _, a := range n.Areas {
		if a.Status != "SHA" || a.RemainingM2 <= 0 {
			continue
		}
		allSHA += float64(a.RemainingM2)
		if a.Province == province {
			provSHA += float64(a.RemainingM2)
		}
	}
	if rates.SurveyM2PerYear > 0 && allSHA > 0 {
		return int64(rates.SurveyM2PerYear * provSHA / allSHA), "the national survey rate × the province's share of open SHA area (no survey in the province's history)"
	}
	return int64(provSHA), "no survey in the history: the province's open SHA area"
}

// ProvincePledged is the funding pledged for a province's work in a year:
// pledges naming the province count in full; pledges naming only an
// operator are attributed to that operator's deployments active in the
// year in proportion to their cost (prorated by the share of the year
// each is deployed); pledges naming neither are attributed to every
// deployment active in the year the same way. A pledge whose operator has
// no deployment that year reaches no province.
func ProvincePledged(n *National, province string, year int) float64 {
	var total float64
	for _, p := range n.Pledges {
		if p.Year != year {
			continue
		}
		if p.Province != "" {
			if p.Province == province {
				total += float64(p.AmountUSD)
			}
			continue
		}
		var all, here float64
		for _, d := range deploymentsInOrder(n) {
			if p.Operator != "" && d.Operator != p.Operator {
				continue
			}
			c := deploymentCost(d) * activeShareYear(d, year)
			all += c
			if d.Province == province {
				here += c
			}
		}
		if all > 0 {
			total += float64(p.AmountUSD) * here / all
		}
	}
	return total
}
