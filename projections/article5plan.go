package projections

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/landrelease/landrelease/events"
)

// The extension-request work plan (Oslo Action Plan Action 23): the
// forecast's own deterministic run, read month by month and province by
// province, summed by calendar year. It is not a second model: RunArticle5Plan
// runs the forecast (runForecast) and records what that very run does, so the
// plan's yearly totals are the forecast's trajectory, release and cost.
// docs/article5-plan.md describes it.

// monthFlows is one simulated month per province: what was found,
// cancelled, reduced and cleared, the capacity that worked there (after
// redeployment) and where each province's deployments worked (dest).
type monthFlows struct {
	y          int
	open       bool // the nation had not completed at the start of the month: its cost counts
	st         []area
	found5     []float64
	foundO     []float64
	cancelled5 []float64
	cancelledO []float64
	reduced5   []float64
	cleared5   []float64
	reducedO   []float64
	clearedO   []float64
	capacity   []float64 // m² of clearance capacity working in the province (after φ, shortfalls, redeployment)
	unused     []float64 // of which found no work
	dest       []int     // where province p's deployments worked this month (p itself, or where they were redeployed)
	costFactor float64   // the month's cost ÷ the cost of every active deployment (fixed part + variable part of the capacity that worked)
	all        [nFlows][]float64
}

// The flows simulate adds to (monthFlows.add).
const (
	flFound5 = iota
	flFoundO
	flCancelled5
	flCancelledO
	flReduced5
	flCleared5
	flReducedO
	flClearedO
	flCapacity
	flUnused
	nFlows
)

func newMonthFlows(np int) *monthFlows {
	fl := &monthFlows{dest: make([]int, np)}
	for k := range fl.all {
		fl.all[k] = make([]float64, np)
	}
	fl.found5, fl.foundO, fl.cancelled5, fl.cancelledO = fl.all[flFound5], fl.all[flFoundO], fl.all[flCancelled5], fl.all[flCancelledO]
	fl.reduced5, fl.cleared5, fl.reducedO, fl.clearedO = fl.all[flReduced5], fl.all[flCleared5], fl.all[flReducedO], fl.all[flClearedO]
	fl.capacity, fl.unused = fl.all[flCapacity], fl.all[flUnused]
	return fl
}

// reset starts a month; a nil fl (no plan recorded) does nothing.
func (fl *monthFlows) reset(y int, open bool, st []area) {
	if fl == nil {
		return
	}
	fl.y, fl.open, fl.st, fl.costFactor = y, open, st, 1
	for _, s := range fl.all {
		clear(s)
	}
	for p := range fl.dest {
		fl.dest[p] = p
	}
}

// add adds v to flow k of province p; a nil fl (no plan recorded) does nothing.
func (fl *monthFlows) add(k, p int, v float64) {
	if fl != nil {
		fl.all[k][p] += v
	}
}

// Article5Plan is the costed multi-year work plan of an Article 5 extension
// request: year by year to completion, by province and by method, with
// deminers, deployments, cost, pledged funding and the gap, and the
// assumptions and risks of the model. Its JSON is the document of
// `article5-plan --format json`.
type Article5Plan struct {
	AsOf                    events.Date        `json:"as_of"`    // the first day planned (the forecast's)
	Deadline                *events.Date       `json:"deadline"` // the Article 5 deadline in force, if recorded
	DeterministicCompletion *events.Date       `json:"completion"`
	OnTrack                 bool               `json:"on_track"`
	RemainingM2             int64              `json:"remaining_m2"` // Article 5 area on the first day
	RemainingSHAM2          int64              `json:"remaining_sha_m2"`
	RemainingCHAM2          int64              `json:"remaining_cha_m2"`
	RemainingAtDeadlineM2   *int64             `json:"remaining_at_deadline_m2"`
	CostToCompletionUSD     int64              `json:"cost_to_completion_usd"`
	PledgedUSD              int64              `json:"pledged_usd"` // pledged for the plan's years
	GapUSD                  int64              `json:"gap_usd"`     // Σ of the years' gaps
	Years                   []Article5PlanYear `json:"years"`
	Assumptions             Article5Assumption `json:"assumptions"`
	Risks                   []string           `json:"risks"`
}

// Article5PlanYear is one calendar year of the plan, nationally, with its
// provinces. Remaining areas are at the year's end (the forecast's
// trajectory); release is by method; ReleasedM2 is every hazard's release
// (the forecast's release per year), of which OtherReleasedM2 is AT/ERW-only.
type Article5PlanYear struct {
	Year              int                    `json:"year"`
	StartM2           int64                  `json:"start_m2"` // Article 5 area at the start of the year (or of the plan)
	FoundM2           int64                  `json:"found_m2"` // Article 5 area expected to be found in provinces not yet complete
	CancelledM2       int64                  `json:"nts_cancelled_m2"`
	ReducedM2         int64                  `json:"ts_reduced_m2"`
	ClearedM2         int64                  `json:"cleared_m2"`
	EndM2             int64                  `json:"end_m2"` // Article 5 area left at the year's end
	OtherReleasedM2   int64                  `json:"other_released_m2"`
	OtherEndM2        int64                  `json:"other_end_m2"`
	ReleasedM2        int64                  `json:"released_m2"`
	MilestoneM2       *int64                 `json:"milestone_release_m2"` // the recorded milestone for the year, if any
	Deminers          float64                `json:"deminers"`             // average deployed over the months planned (to completion)
	Teams             int                    `json:"deployments"`          // most deployments active in one month
	CapacityM2        int64                  `json:"clearance_capacity_m2"`
	CostUSD           int64                  `json:"cost_usd"`
	PledgedUSD        int64                  `json:"pledged_usd"`
	UnattributedUSD   int64                  `json:"pledged_unattributed_usd"` // pledged to no province and no deployed operator
	GapUSD            int64                  `json:"gap_usd"`
	CompletedProvince []string               `json:"provinces_completed"` // provinces whose Article 5 area is released this year
	Provinces         []Article5ProvinceYear `json:"provinces"`
}

// Article5ProvinceYear is a province's part of a year.
type Article5ProvinceYear struct {
	Province        string  `json:"province"`
	StartM2         int64   `json:"start_m2"`
	FoundM2         int64   `json:"found_m2"`
	CancelledM2     int64   `json:"nts_cancelled_m2"`
	ReducedM2       int64   `json:"ts_reduced_m2"`
	ClearedM2       int64   `json:"cleared_m2"`
	EndM2           int64   `json:"end_m2"`
	EndSHAM2        int64   `json:"end_sha_m2"`
	EndCHAM2        int64   `json:"end_cha_m2"`
	OtherReleasedM2 int64   `json:"other_released_m2"`
	Deminers        float64 `json:"deminers"`
	Teams           int     `json:"deployments"`
	CapacityM2      int64   `json:"clearance_capacity_m2"`
	CostUSD         int64   `json:"cost_usd"`
	PledgedUSD      int64   `json:"pledged_usd"`
	GapUSD          int64   `json:"gap_usd"`
	Completes       bool    `json:"completes"`
}

// Article5Assumption is what the plan assumed: the rates learned from the
// record, their spreads, the redeployment policy and the funding setting.
type Article5Assumption struct {
	Rates               Rates       `json:"rates"`
	Spread              Spread      `json:"spread"`
	NoEvidence          NoEvidence  `json:"no_evidence"`
	Redeploy            string      `json:"redeploy"`
	RedeployMeans       string      `json:"redeploy_means"`
	Funding             string      `json:"funding_after_pledges"`
	FundingMeans        string      `json:"funding_means"`
	FixedCostShare      float64     `json:"fixed_cost_share"`
	DiscoveryYears      int         `json:"discovery_years"`
	WindowYears         int         `json:"window_years"`
	DefaultProductivity float64     `json:"default_productivity_m2_per_deminer_day"`
	DefaultWorkingDays  int         `json:"default_working_days"`
	Horizon             events.Date `json:"horizon"`
}

// ErrNothingToPlan: the history holds no hazard area.
var ErrNothingToPlan = errors.New("the history holds no hazard area to plan")

var redeployMeans = map[string]string{
	RedeployNone:    "a province's clearance capacity stays there when its Article 5 area is released: it works the AT/ERW-only area, then stands idle (stranded)",
	RedeployNearest: "a province's clearance capacity moves, when its Article 5 area is released, to the nearest province (by provincial capital) with Article 5 area left",
	RedeployLargest: "a province's clearance capacity moves, when its Article 5 area is released, to the province with the most Article 5 area left",
	RedeployPool:    "one national pool: all capacity works wherever Article 5 area is left (provinces are not planned apart)",
}

var fundingMeans = map[string]string{
	FundingRenewed: "funding is renewed: every deployment goes on to its planned end, pledged or not",
	FundingEnds:    "a deployment stops after the last year its operator (or, if it has none, anyone) has a pledge for",
}

// RunArticle5Plan builds the extension-request work plan from the same
// deterministic run as RunForecast with cfg (its Trials are not used).
func RunArticle5Plan(n *National, cfg ForecastConfig) (Article5Plan, error) {
	if cfg.Redeploy != "" && !slices.Contains(RedeployPolicies, cfg.Redeploy) {
		return Article5Plan{}, &PlanInputError{"redeploy", fmt.Sprintf("%q is not one of %v", cfg.Redeploy, RedeployPolicies)}
	}
	if cfg.Funding != "" && !slices.Contains(FundingPolicies, cfg.Funding) {
		return Article5Plan{}, &PlanInputError{"funding", fmt.Sprintf("%q is not one of %v", cfg.Funding, FundingPolicies)}
	}
	if !cfg.AsOf.IsZero() && !cfg.Horizon.IsZero() && cfg.AsOf.After(cfg.Horizon) {
		return Article5Plan{}, &PlanInputError{"as_of", fmt.Sprintf("the plan would start on %s, after the horizon %s", cfg.AsOf, cfg.Horizon)}
	}
	if len(n.Areas) == 0 {
		return Article5Plan{}, ErrNothingToPlan
	}
	cfg.Trials = 0
	cfg.fill()
	rec := &planRecorder{}
	f := runForecast(n, cfg, rec.watch)
	plan := Article5Plan{AsOf: f.AsOf, Deadline: f.Deadline, DeterministicCompletion: f.DeterministicCompletion, OnTrack: f.OnTrack,
		RemainingM2: f.RemainingM2, RemainingSHAM2: f.RemainingSHAM2, RemainingCHAM2: f.RemainingCHAM2, RemainingAtDeadlineM2: f.RemainingAtDeadlineM2,
		CostToCompletionUSD: f.CostToCompletionUSD, Years: []Article5PlanYear{}, Risks: []string{},
		Assumptions: Article5Assumption{Rates: f.Rates, Spread: f.Spread, NoEvidence: f.NoEvidence, Redeploy: f.Redeploy, RedeployMeans: redeployMeans[f.Redeploy],
			Funding: f.Funding, FundingMeans: fundingMeans[f.Funding], FixedCostShare: cfg.FixedCostShare, DiscoveryYears: cfg.DiscoveryYears,
			WindowYears: cfg.WindowYears, DefaultProductivity: cfg.DefaultProductivity, DefaultWorkingDays: cfg.DefaultWorkingDays, Horizon: cfg.Horizon}}
	milestones := map[int]int64{}
	for _, m := range f.Milestones {
		milestones[m.Year] = m.PlannedReleaseM2
	}
	trajectory := map[int]YearRemaining{}
	for _, t := range f.Trajectory {
		trajectory[t.Year] = t
	}
	md := rec.md
	pledges := attributePledges(n, md)
	start := make([]float64, len(md.provs))
	for p := range md.provs {
		start[p] = md.provs[p].start.sha5 + md.provs[p].start.cha5
	}
	national := float64(f.RemainingM2)
	for _, g := range f.FundingGap { // the years to completion (or the horizon)
		y := g.Year
		ry := rec.years[y]
		if ry == nil {
			continue
		}
		t := trajectory[y]
		py := Article5PlanYear{Year: y, StartM2: int64(math.Round(national)), EndM2: t.RemainingM2, OtherEndM2: t.OtherM2,
			CostUSD: g.CostUSD, PledgedUSD: g.PledgedUSD, GapUSD: g.GapUSD, Deminers: round1(ry.nationalDeminers()), Teams: int(ry.nationalTeams()),
			CompletedProvince: []string{}, Provinces: []Article5ProvinceYear{}}
		if v, ok := milestones[y]; ok {
			py.MilestoneM2 = &v
		}
		var found, cancelled, reduced, cleared, other, capacity float64
		var attributed int64
		for p, pr := range md.provs {
			pp := Article5ProvinceYear{Province: pr.name, StartM2: int64(math.Round(start[p])), FoundM2: rnd(ry.found5[p]), CancelledM2: rnd(ry.cancelled5[p]),
				ReducedM2: rnd(ry.reduced5[p]), ClearedM2: rnd(ry.cleared5[p]), EndSHAM2: rnd(ry.end[p].sha5), EndCHAM2: rnd(ry.end[p].cha5),
				OtherReleasedM2: rnd(ry.cancelledO[p] + ry.reducedO[p] + ry.clearedO[p]), Deminers: round1(ry.deminers(p)), Teams: int(ry.teamsPeak[p]),
				CapacityM2: rnd(ry.capacity[p]), CostUSD: rnd(ry.cost[p]), PledgedUSD: pledges.byProvince[y][pr.name]}
			pp.EndM2 = rnd(ry.end[p].sha5 + ry.end[p].cha5)
			pp.GapUSD = pp.CostUSD - pp.PledgedUSD
			done := rec.done(p)
			pp.Completes = done >= 0 && md.months[done].y == y
			if pp.Completes {
				py.CompletedProvince = append(py.CompletedProvince, pr.name)
			}
			found += ry.found5[p]
			cancelled += ry.cancelled5[p]
			reduced += ry.reduced5[p]
			cleared += ry.cleared5[p]
			other += ry.cancelledO[p] + ry.reducedO[p] + ry.clearedO[p]
			capacity += ry.capacity[p]
			attributed += pp.PledgedUSD
			start[p] = ry.end[p].sha5 + ry.end[p].cha5
			if pp.StartM2 == 0 && pp.EndM2 == 0 && pp.CancelledM2+pp.ReducedM2+pp.ClearedM2+pp.OtherReleasedM2 == 0 && pp.Deminers == 0 && pp.CostUSD == 0 && pp.PledgedUSD == 0 {
				continue // nothing in this province this year
			}
			py.Provinces = append(py.Provinces, pp)
		}
		py.FoundM2, py.CancelledM2, py.ReducedM2, py.ClearedM2 = rnd(found), rnd(cancelled), rnd(reduced), rnd(cleared)
		py.OtherReleasedM2, py.CapacityM2 = rnd(other), rnd(capacity)
		r := f.Release[y]
		py.ReleasedM2 = rnd(r[0] + r[1] + r[2])
		py.UnattributedUSD = py.PledgedUSD - attributed
		national = ry.endNational()
		plan.PledgedUSD += py.PledgedUSD
		plan.GapUSD += py.GapUSD
		plan.Years = append(plan.Years, py)
	}
	plan.Risks = planRisks(f, plan, md)
	return plan, nil
}

func rnd(v float64) int64 { return int64(math.Round(v)) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// planYear accumulates a calendar year of the run, per province.
type planYear struct {
	found5, cancelled5, reduced5, cleared5, cancelledO, reducedO, clearedO []float64
	capacity, cost, demMonths, teamsPeak                                   []float64
	end                                                                    []area
	months                                                                 float64 // months planned (open), each weighted by its share
	natDem, natTeams                                                       float64
}

func (ry *planYear) deminers(p int) float64 {
	if ry.months == 0 {
		return 0
	}
	return ry.demMonths[p] / ry.months
}

func (ry *planYear) nationalDeminers() float64 {
	if ry.months == 0 {
		return 0
	}
	return ry.natDem / ry.months
}

func (ry *planYear) nationalTeams() float64 { return ry.natTeams }

func (ry *planYear) endNational() float64 {
	var v float64
	for _, a := range ry.end {
		v += a.sha5 + a.cha5
	}
	return v
}

// planRecorder receives the deterministic run's months.
type planRecorder struct {
	md       *model
	years    map[int]*planYear
	doneAt   []int // per province, the month its Article 5 area was released (-1: before the plan, or never)
	demMonth []float64
	teamM    []float64
	costM    []float64
}

// usedShare is the share of the capacity working in province q this month
// that found work (1 when none worked there, as the forecast counts it).
func usedShare(fl *monthFlows, q int) float64 {
	if fl.capacity[q] <= 0 {
		return 1
	}
	return math.Max(0, 1-fl.unused[q]/fl.capacity[q])
}

func (r *planRecorder) done(p int) int { return r.doneAt[p] }

func (r *planRecorder) watch(md *model) func(i int, fl *monthFlows) {
	r.md, r.years = md, map[int]*planYear{}
	np := len(md.provs)
	r.doneAt = make([]int, np)
	for p := range r.doneAt {
		r.doneAt[p] = -1
	}
	r.demMonth, r.teamM, r.costM = make([]float64, np), make([]float64, np), make([]float64, np)
	return func(i int, fl *monthFlows) {
		ry := r.years[fl.y]
		if ry == nil {
			mk := func() []float64 { return make([]float64, np) }
			ry = &planYear{found5: mk(), cancelled5: mk(), reduced5: mk(), cleared5: mk(), cancelledO: mk(), reducedO: mk(), clearedO: mk(),
				capacity: mk(), cost: mk(), demMonths: mk(), teamsPeak: mk(), end: make([]area, np)}
			r.years[fl.y] = ry
		}
		for p := range np {
			ry.found5[p] += fl.found5[p]
			ry.cancelled5[p] += fl.cancelled5[p]
			ry.reduced5[p] += fl.reduced5[p]
			ry.cleared5[p] += fl.cleared5[p]
			ry.cancelledO[p] += fl.cancelledO[p]
			ry.reducedO[p] += fl.reducedO[p]
			ry.clearedO[p] += fl.clearedO[p]
			if r.doneAt[p] < 0 && fl.st[p].sha5+fl.st[p].cha5 < 0.5 && md.provs[p].start.sha5+md.provs[p].start.cha5 >= 0.5 {
				r.doneAt[p] = i
			}
		}
		copy(ry.end, fl.st)
		if !fl.open { // after national completion: no cost, no deployment planned
			return
		}
		share := md.share[i]
		clear(r.demMonth)
		clear(r.teamM)
		// Cost: the month's national cost (the forecast's), split over the
		// provinces where the deployments worked, each deployment weighing
		// its fixed part and the variable part of its capacity that found
		// work there; scaled to the national figure (the same when cost is
		// proportional to capacity).
		var national, split float64
		for p := range np {
			national += md.provs[p].cost[i] * fl.costFactor
			r.costM[p] = md.provs[p].cost[i] * (md.fixedShare + (1-md.fixedShare)*usedShare(fl, fl.dest[p]))
			split += r.costM[p]
		}
		scale := 1.0
		if split > 0 {
			scale = national / split
		}
		var natTeams float64
		for p := range np {
			q := fl.dest[p]
			ry.capacity[p] += fl.capacity[p] // recorded where it worked (after redeployment)
			ry.cost[q] += r.costM[p] * scale
			r.demMonth[q] += md.provs[p].deminers[i]
			r.teamM[q] += md.provs[p].teams[i]
			natTeams += md.provs[p].teams[i]
		}
		for p := range np {
			ry.demMonths[p] += r.demMonth[p] * share
			ry.natDem += r.demMonth[p] * share
			ry.teamsPeak[p] = math.Max(ry.teamsPeak[p], r.teamM[p])
		}
		ry.natTeams = math.Max(ry.natTeams, natTeams)
		ry.months += share
	}
}

// pledgeSplit is each year's pledges by province.
type pledgeSplit struct {
	byProvince map[int]map[string]int64
}

// attributePledges places each pledge in a province: the one it names; or,
// naming only an operator, that operator's deployments active in the year,
// in proportion to their annual cost (largest remainder, so the parts add
// up to the pledge); otherwise it stays national (unattributed).
func attributePledges(n *National, md *model) pledgeSplit {
	out := pledgeSplit{byProvince: map[int]map[string]int64{}}
	key := func(p string) string {
		if md.policy == RedeployPool {
			return "national pool"
		}
		return p
	}
	put := func(y int, p string, v int64) {
		if out.byProvince[y] == nil {
			out.byProvince[y] = map[string]int64{}
		}
		out.byProvince[y][key(p)] += v
	}
	for _, pl := range n.Pledges {
		if pl.Province != "" {
			put(pl.Year, pl.Province, pl.AmountUSD)
			continue
		}
		if pl.Operator == "" {
			continue
		}
		type part struct {
			province string
			w        float64
		}
		var parts []part
		var total float64
		for _, d := range deploymentsInOrder(n) {
			if d.Operator != pl.Operator {
				continue
			}
			if s := activeShareYear(d, pl.Year); s > 0 {
				w := deploymentCost(d) * s
				parts = append(parts, part{d.Province, w})
				total += w
			}
		}
		if total == 0 {
			continue
		}
		shares := make([]int64, len(parts))
		var given int64
		rems := make([]int, len(parts))
		for i, pt := range parts {
			exact := float64(pl.AmountUSD) * pt.w / total
			shares[i] = int64(math.Floor(exact))
			given += shares[i]
			rems[i] = i
		}
		sort.SliceStable(rems, func(a, b int) bool {
			fa := float64(pl.AmountUSD)*parts[rems[a]].w/total - float64(shares[rems[a]])
			fb := float64(pl.AmountUSD)*parts[rems[b]].w/total - float64(shares[rems[b]])
			return fa > fb
		})
		for k := 0; given < pl.AmountUSD; k = (k + 1) % len(rems) {
			shares[rems[k]]++
			given++
		}
		for i, pt := range parts {
			put(pl.Year, pt.province, shares[i])
		}
	}
	return out
}

// planRisks names what the plan depends on, from the run's own figures.
func planRisks(f Forecast, plan Article5Plan, md *model) []string {
	var out []string
	km2 := func(v float64) string { return fmt.Sprintf("%.1f km²", v/1e6) }
	usd := func(v int64) string { return fmt.Sprintf("US$ %.1fM", float64(v)/1e6) }
	switch {
	case f.DeterministicCompletion == nil:
		out = append(out, fmt.Sprintf("Completion: at the rates assumed the Article 5 area is not released by the horizon (%s).", f.Horizon))
	case f.Deadline != nil && !f.OnTrack:
		left := "some area"
		if f.RemainingAtDeadlineM2 != nil {
			left = km2(float64(*f.RemainingAtDeadlineM2))
		}
		out = append(out, fmt.Sprintf("Completion: forecast %s, after the deadline %s; %s would be left at the end of %d.", f.DeterministicCompletion, f.Deadline, left, f.Deadline.Year()))
	case f.Deadline != nil:
		out = append(out, fmt.Sprintf("Completion: forecast %s, by the deadline %s, if every assumption below holds.", f.DeterministicCompletion, f.Deadline))
	}
	var unfunded int
	for _, y := range plan.Years {
		if y.GapUSD > 0 {
			unfunded++
		}
	}
	if plan.GapUSD > 0 {
		assume := "the plan assumes every deployment is paid for to its planned end (funding renewed): the gap must be found or the plan slips"
		if f.Funding == FundingEnds {
			assume = "the plan already stops each deployment after the last year pledged to its operator (funding ends)"
		}
		out = append(out, fmt.Sprintf("Funding: %s pledged against %s of cost to completion; %d of %d years have a gap (%s in all); %s.",
			usd(plan.PledgedUSD), usd(plan.CostToCompletionUSD), unfunded, len(plan.Years), usd(plan.GapUSD), assume))
	}
	r := f.Rates
	out = append(out, fmt.Sprintf("Survey: non-technical survey is assumed to cancel %.0f%% of the SHA it surveys (year-to-year spread %.0f%%); %.0f%% of the remaining SHA has no recorded evidence, and %d of %d such areas surveyed were cancelled in full. Less cancellation means more area to clear.",
		100*r.CancelShare, 100*f.Spread.CancelShare, 100*f.NoEvidence.RemainingShare, f.NoEvidence.Cancelled, f.NoEvidence.Surveyed))
	out = append(out, fmt.Sprintf("Technical survey is assumed to release %.0f%% of the CHA worked (spread %.0f%%); clearance achieves %.0f%% of stated capacity (spread %.0f%%).",
		100*r.ReduceShare, 100*f.Spread.ReduceShare, 100*r.ProductivityFactor, 100*f.Spread.Productivity))
	if r.DiscoveryM2PerYear > 0 {
		out = append(out, fmt.Sprintf("New contamination: %s a year is assumed to be found for %d years (%.0f%% with AP mines, spread %.0f%%).",
			km2(r.DiscoveryM2PerYear), f.DiscoveryYears, 100*r.Article5Discovery, 100*f.Spread.Discovery))
	}
	var borrowed []string
	for _, p := range md.provs {
		if p.start.sha5+p.start.cha5 >= 0.5 && (len(p.capacity) == 0 || p.capacity[0] == 0) {
			borrowed = append(borrowed, p.name)
		}
	}
	if len(borrowed) > 0 && f.Redeploy != RedeployPool {
		if f.Redeploy == RedeployNone {
			out = append(out, fmt.Sprintf("Capacity: %d province(s) with Article 5 area have no clearance capacity deployed and none is redeployed (%v).", len(borrowed), borrowed))
		} else {
			out = append(out, fmt.Sprintf("Capacity: %d province(s) with Article 5 area have no clearance capacity deployed on the first day and rely on redeployment (%s) or new deployments (%v).", len(borrowed), f.Redeploy, borrowed))
		}
	}
	if f.StrandedM2 > 0 {
		out = append(out, fmt.Sprintf("Stranded capacity: %s of clearance capacity finds no work before national completion.", km2(float64(f.StrandedM2))))
	}
	return out
}
