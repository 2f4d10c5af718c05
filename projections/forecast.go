package projections

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/landrelease/landrelease/events"
)

// Redeployment policies: what happens to a province's clearance capacity
// once its Article 5 area is released.
const (
	RedeployNone    = "none"    // it stays: it works the province's other (AT/ERW) area, then stands idle (stranded)
	RedeployNearest = "nearest" // it moves to the nearest province (by centroid) with Article 5 area left
	RedeployLargest = "largest" // it moves to the province with the most Article 5 area left
	RedeployPool    = "pool"    // one national pool: capacity works wherever area remains (the old model, for comparison)
)

// What happens to capacity after the last pledged year.
const (
	FundingRenewed = "renewed" // funding is renewed: deployments go on to their planned end
	FundingEnds    = "ends"    // a deployment stops after the last year its operator (or, if it has none, anyone) has a pledge for
)

// FundingPolicies lists the funding settings.
var FundingPolicies = []string{FundingRenewed, FundingEnds}

// RedeployPolicies lists the redeployment policies.
var RedeployPolicies = []string{RedeployNone, RedeployNearest, RedeployLargest, RedeployPool}

// ForecastConfig configures an Article 5 completion forecast. The model and
// its assumptions are documented in docs/forecast.md.
type ForecastConfig struct {
	AsOf                events.Date // first day forecast (the day after the last day known); zero: ForecastStart
	Horizon             events.Date // the simulation stops here; completion beyond is "never" (null)
	Trials              int         // Monte Carlo trials; 0 gives the deterministic forecast only
	Seed                uint64      // Monte Carlo seed: the same seed gives the same result
	WindowYears         int         // years of history the rates are estimated from
	DiscoveryYears      int         // years from AsOf during which new contamination keeps being found
	DefaultProductivity float64     // m² per deminer per day for a deployment that states none
	DefaultWorkingDays  int         // working days per year for a deployment that states none
	Spread              Spread      // floor of each rate's learned spread when the window has fewer than three years; all zero: no randomness
	SurveyFactor        float64     // multiplies the learned survey rate (a scenario of faster NTS); 0 means 1
	// SurveyM2PerYear replaces the survey (NTS) rate learned from the
	// history with a stated capacity (NTS teams × m² per team-year);
	// 0 means the learned rate. SurveyFactor multiplies either.
	SurveyM2PerYear float64
	// CancelShare, when set, replaces the NTS cancellation share c learned
	// from the history (0..1); nil means the learned share.
	CancelShare *float64
	// ProductivityPriorYears is the weight, in years of the capacity deployed
	// on the first day forecast, of the prior "achieved = stated" in the
	// achieved productivity factor (see EstimateRates).
	ProductivityPriorYears float64
	// Redeploy is the redeployment policy (RedeployPolicies); "" means
	// RedeployNearest.
	Redeploy string
	// Funding is what happens to a deployment's capacity after the last
	// year with a funding pledge (FundingRenewed or FundingEnds); "" means
	// FundingRenewed.
	Funding string
	// FixedCostShare is the part of a deployment's annual cost paid whether
	// or not it finds work (salaries, vehicles, offices); the rest is spent
	// in proportion to the capacity that works. Negative means the default.
	FixedCostShare float64
	// Centroids places provinces for RedeployNearest (latitude, longitude);
	// nil means DefaultCentroids. A province without one sends its capacity
	// to the province with the most area left.
	Centroids map[string][2]float64
}

// Spread is the coefficient of variation of each uncertain rate. All zero:
// every trial equals the deterministic forecast.
type Spread struct {
	Productivity float64 `json:"productivity"`
	CancelShare  float64 `json:"nts_cancel_share"`
	ReduceShare  float64 `json:"ts_reduce_share"`
	SurveyRate   float64 `json:"survey_rate"`
	Discovery    float64 `json:"discovery"`
	Shortfall    float64 `json:"shortfall"`
}

// DefaultForecastConfig returns the documented defaults.
func DefaultForecastConfig() ForecastConfig {
	return ForecastConfig{
		Horizon: events.MustDate("2040-12-31"), Trials: 0, Seed: 1, WindowYears: 3, DiscoveryYears: 5,
		DefaultProductivity: 50, DefaultWorkingDays: 200, ProductivityPriorYears: 0.25, Redeploy: RedeployNearest, FixedCostShare: 0.6,
		Spread: Spread{Productivity: 0.15, CancelShare: 0.10, ReduceShare: 0.10, SurveyRate: 0.15, Discovery: 0.30, Shortfall: 0.5},
	}
}

func (cfg *ForecastConfig) fill() {
	d := DefaultForecastConfig()
	if cfg.Horizon.IsZero() {
		cfg.Horizon = d.Horizon
	}
	if cfg.WindowYears <= 0 {
		cfg.WindowYears = d.WindowYears
	}
	if cfg.DiscoveryYears < 0 {
		cfg.DiscoveryYears = 0
	}
	if cfg.DefaultProductivity <= 0 {
		cfg.DefaultProductivity = d.DefaultProductivity
	}
	if cfg.DefaultWorkingDays <= 0 {
		cfg.DefaultWorkingDays = d.DefaultWorkingDays
	}
	if cfg.ProductivityPriorYears < 0 {
		cfg.ProductivityPriorYears = 0
	}
	if cfg.Redeploy == "" {
		cfg.Redeploy = d.Redeploy
	}
	if cfg.FixedCostShare < 0 || cfg.FixedCostShare > 1 {
		cfg.FixedCostShare = d.FixedCostShare
	}
	if cfg.Funding == "" {
		cfg.Funding = FundingRenewed
	}
	if cfg.Centroids == nil {
		cfg.Centroids = DefaultCentroids
	}
}

// Rates are what the forecast learned from the recorded history.
type Rates struct {
	WindowFrom           int     `json:"window_from_year"`
	WindowTo             int     `json:"window_to_year"`
	WindowYears          float64 `json:"window_years"`                   // the window's length in years (shorter when the history is)
	CancelShare          float64 `json:"nts_cancel_share"`               // share of surveyed SHA area cancelled (the rest is confirmed)
	ReduceShare          float64 `json:"ts_reduce_share"`                // share of worked CHA area reduced by technical survey (the rest is cleared)
	SurveyM2PerYear      float64 `json:"survey_m2_per_year"`             // SHA area surveyed per year; 0 means no survey history (no limit)
	DiscoveryM2PerYear   float64 `json:"discovery_m2_per_year"`          // new contamination registered per year (every hazard)
	Article5Discovery    float64 `json:"article5_discovery_share"`       // share of it with AP mines
	ProductivityFactor   float64 `json:"achieved_productivity_factor"`   // cleared m² ÷ stated clearance capacity in the window
	ShortfallShare       float64 `json:"expected_shortfall_share"`       // mean share of capacity lost to shortfalls per year
	ClearedM2PerYear     float64 `json:"cleared_m2_per_year"`            // observed
	StatedCapacityM2Year float64 `json:"stated_capacity_m2_per_year"`    // deployments × productivity × days in the window, after shortfalls
	CapacityAtAsOfM2Year float64 `json:"clearance_capacity_m2_per_year"` // at the start of the forecast, after the factor
	// Spread is the coefficient of variation of each rate from year to year
	// in the window (SpreadYears years at least half inside it; below three,
	// the configured floor applies).
	// (Both are in the Forecast document as spread and no_evidence.)
	Spread      Spread     `json:"-"`
	SpreadYears int        `json:"spread_years"`
	NoEvidence  NoEvidence `json:"-"`
}

// Completion holds the percentiles of the Monte Carlo completion dates.
type Completion struct {
	P10 *events.Date `json:"p10"`
	P50 *events.Date `json:"p50"`
	P90 *events.Date `json:"p90"`
}

// YearRemaining is the remaining area at a year's end: Article 5 area
// (RemainingM2) and the AT/ERW-only area (OtherM2).
type YearRemaining struct {
	Year        int   `json:"year"`
	RemainingM2 int64 `json:"remaining_m2"`
	OtherM2     int64 `json:"other_m2"`
}

// YearValue is an area per calendar year.
type YearValue struct {
	Year int   `json:"year"`
	M2   int64 `json:"m2"`
}

// YearFunding is a year's forecast cost (deterministic, until completion)
// against the funding pledged for it; GapUSD = CostUSD − PledgedUSD
// (negative: a surplus).
type YearFunding struct {
	Year       int   `json:"year"`
	CostUSD    int64 `json:"cost_usd"`
	PledgedUSD int64 `json:"pledged_usd"`
	GapUSD     int64 `json:"gap_usd"`
}

// MilestoneCheck compares a recorded milestone with what was or will be released.
type MilestoneCheck struct {
	Year             int    `json:"year"`
	PlannedReleaseM2 int64  `json:"planned_release_m2"`
	ReleasedM2       int64  `json:"released_m2"` // recorded (past years) or forecast (deterministic)
	Basis            string `json:"basis"`       // "recorded" or "forecast"
	Met              bool   `json:"met"`
}

// ProvinceForecast is one province's part of the forecast.
type ProvinceForecast struct {
	Province         string `json:"province"`
	RemainingM2      int64  `json:"remaining_m2"` // Article 5 area (SHA + CHA with AP mines)
	RemainingSHAM2   int64  `json:"remaining_sha_m2"`
	RemainingCHAM2   int64  `json:"remaining_cha_m2"`
	OtherRemainingM2 int64  `json:"other_remaining_m2"` // AT/ERW-only area
	// ClearanceWorkM2 is the Article 5 area left to clear at the learned
	// rates, (CHA + (1 − c)·SHA)·(1 − ρ): with CapacityM2PerYear, the years
	// of its own capacity the province's work takes.
	ClearanceWorkM2         int64        `json:"clearance_work_m2"`
	CapacityM2PerYear       int64        `json:"clearance_capacity_m2_per_year"` // deployed in the province on the first day, after φ
	DeterministicCompletion *events.Date `json:"deterministic_completion"`       // null: never, or nothing to do (see Done)
	Done                    bool         `json:"done"`                           // no Article 5 area left on the forecast date
	Completion              Completion   `json:"completion"`
	ProbabilityByDeadline   float64      `json:"probability_by_deadline"`
	// StrandedM2 is the clearance capacity (m², after the productivity
	// factor) that found no work in the province before national completion
	// (or the horizon), and StrandedCostUSD what it cost.
	StrandedM2      int64 `json:"stranded_capacity_m2"`
	StrandedCostUSD int64 `json:"stranded_cost_usd"`
}

// Forecast is the answer of RunForecast; its JSON is the docs/contract.md
// document of `forecast --json`. Remaining areas, completion and the
// deadline verdict are about the Article 5 area (areas with AP mines: hazard
// AP or MIXED); the AT/ERW-only area has its own line (Other…).
type Forecast struct {
	AsOf                    events.Date        `json:"as_of"`
	Deadline                *events.Date       `json:"deadline"`
	Redeploy                string             `json:"redeploy"`
	Funding                 string             `json:"funding_after_pledges"`
	RemainingM2             int64              `json:"remaining_m2"`
	RemainingSHAM2          int64              `json:"remaining_sha_m2"`
	RemainingCHAM2          int64              `json:"remaining_cha_m2"`
	OtherRemainingM2        int64              `json:"other_remaining_m2"`
	OtherCompletion         *events.Date       `json:"other_completion"` // deterministic, when the AT/ERW-only area is released
	DeterministicCompletion *events.Date       `json:"deterministic_completion"`
	Completion              Completion         `json:"completion"`
	ProbabilityByDeadline   float64            `json:"probability_by_deadline"`
	OnTrack                 bool               `json:"on_track"`
	Trajectory              []YearRemaining    `json:"trajectory"`
	Band                    []YearBand         `json:"band"` // Monte Carlo spread of the trajectory; empty without trials
	RemainingAtDeadlineM2   *int64             `json:"remaining_at_deadline_m2"`
	ResidualM2PerYear       []YearValue        `json:"residual_m2_per_year"` // Article 5 area expected to be found after its province completed
	StrandedM2              int64              `json:"stranded_capacity_m2"`
	CostToCompletionUSD     int64              `json:"cost_to_completion_usd"`
	FundingGap              []YearFunding      `json:"funding_gap"` // per year until completion: forecast cost against pledges
	Provinces               []ProvinceForecast `json:"provinces"`
	Milestones              []MilestoneCheck   `json:"milestones"`
	// Access-restricted area on the forecast date (RestrictAccess), part of
	// the remaining areas above but held out of survey and clearance until
	// its expected opening date; the undated part (no expected date, or one
	// after the horizon) stays out for the whole horizon. Restrictions
	// says so in words; empty when nothing is restricted. docs/forecast.md.
	RestrictedM2        int64       `json:"restricted_m2"`         // Article 5 area
	RestrictedOtherM2   int64       `json:"restricted_other_m2"`   // AT/ERW-only area
	RestrictedUndatedM2 int64       `json:"restricted_undated_m2"` // of both, out for the whole horizon
	Restrictions        string      `json:"restrictions,omitempty"`
	Rates               Rates       `json:"rates"`
	Trials              int         `json:"trials"`
	Seed                uint64      `json:"seed"`
	Spread              Spread      `json:"spread"` // learned (rates.spread_years years), or the floor
	NoEvidence          NoEvidence  `json:"no_evidence"`
	DiscoveryYears      int         `json:"discovery_years"`
	Horizon             events.Date `json:"horizon"`
	// Release is the deterministic forecast's release per year: cancelled,
	// reduced and cleared m² (for backtests).
	Release map[int][3]float64 `json:"-"`
}

// YearBand is the Monte Carlo spread of the area remaining at a year's end:
// the 10th, 50th and 90th percentiles over the trials (low is the
// optimistic edge of the burn-down band).
type YearBand struct {
	Year     int   `json:"year"`
	LowM2    int64 `json:"low_m2"`
	MedianM2 int64 `json:"median_m2"`
	HighM2   int64 `json:"high_m2"`
}

// LastDate returns the latest occurred-on date of the fold's register,
// deployments and funding, the default "as of" of a forecast.
func LastDate(n *National) events.Date {
	var d events.Date
	for _, a := range n.Areas {
		if a.LastActivityOn.After(d) {
			d = a.LastActivityOn
		}
	}
	return d
}

// ForecastStart is the first day a forecast of the fold covers by default:
// the first of the month after the last recorded activity. Activity is
// reported by month, so the month of the last recorded activity is taken as
// reported in full: forecasting its remaining days would add a forecast on
// top of a month already on record.
func ForecastStart(n *National) events.Date {
	d := LastDate(n)
	if d.IsZero() {
		return d.AddDays(1)
	}
	return events.NewDate(d.Year(), d.Time().Month()+1, 1)
}

// month is a simulation step: the first day of a calendar month.
type month struct{ y, m int }

func monthOf(d events.Date) month { return month{d.Year(), int(d.Time().Month())} }
func (m month) next() month {
	if m.m == 12 {
		return month{m.y + 1, 1}
	}
	return month{m.y, m.m + 1}
}
func (m month) first() events.Date { return events.NewDate(m.y, time.Month(m.m), 1) }
func (m month) last() events.Date  { return events.NewDate(m.y, time.Month(m.m)+1, 0) }

// Article5Hazard reports whether an area's hazard falls under Article 5 of
// the Mine Ban Treaty: anti-personnel mines, alone or mixed with others.
func Article5Hazard(h string) bool {
	return h == string(events.HazardAP) || h == string(events.HazardMixed)
}

// RunForecast forecasts Article 5 completion from the fold's state.
func RunForecast(n *National, cfg ForecastConfig) Forecast {
	return runForecast(n, cfg, nil)
}

// runForecast is RunForecast; watch, when not nil, is given the model and
// returns what receives the deterministic run's monthly figures per
// province (the extension-request plan reads the same run).
func runForecast(n *National, cfg ForecastConfig, watch func(md *model) func(i int, fl *monthFlows)) Forecast {
	cfg.fill()
	asOf := cfg.AsOf
	if asOf.IsZero() {
		asOf = ForecastStart(n)
	}
	md := buildModel(n, cfg, asOf)
	var month func(i int, fl *monthFlows)
	if watch != nil {
		month = watch(&md)
	}
	f := Forecast{AsOf: asOf, Redeploy: md.policy, Funding: cfg.Funding, Rates: md.rates, Trials: cfg.Trials, Seed: cfg.Seed, Spread: md.rates.Spread, NoEvidence: md.rates.NoEvidence,
		DiscoveryYears: cfg.DiscoveryYears, Horizon: cfg.Horizon, Trajectory: []YearRemaining{}, Milestones: []MilestoneCheck{},
		ResidualM2PerYear: []YearValue{}, Provinces: []ProvinceForecast{}, Release: map[int][3]float64{}}
	var deadline events.Date
	var milestones []events.Milestone
	if len(n.Deadlines) > 0 {
		last := n.Deadlines[len(n.Deadlines)-1]
		deadline, milestones = last.Deadline, last.Milestones
		f.Deadline = &deadline
	}
	forecastRelease := map[int]float64{}
	residual := map[int]float64{}
	costByYear := map[int]float64{}
	stranded := make([]float64, len(md.provs))
	strandedUSD := make([]float64, len(md.provs))
	out := md.simulate(md.baseTrial(), &observer{
		full: true,
		yearEnd: func(y int, a5, other float64) {
			f.Trajectory = append(f.Trajectory, YearRemaining{y, int64(math.Round(a5)), int64(math.Round(other))})
			if !deadline.IsZero() && y == deadline.Year() {
				v := int64(math.Round(a5))
				f.RemainingAtDeadlineM2 = &v
			}
		},
		release: func(y int, cancelled, reduced, cleared float64) {
			forecastRelease[y] += cancelled + reduced + cleared
			r := f.Release[y]
			f.Release[y] = [3]float64{r[0] + cancelled, r[1] + reduced, r[2] + cleared}
		},
		residual: func(y int, m2 float64) { residual[y] += m2 },
		stranded: func(p int, m2, usd float64) { stranded[p] += m2; strandedUSD[p] += usd },
		cost:     func(y int, usd float64) { costByYear[y] += usd },
		month:    month,
	})
	f.CostToCompletionUSD = int64(math.Round(out.cost))
	if d := md.date(max(out.national, 0)); d != nil { // nothing to do: complete in the first month
		f.DeterministicCompletion = d
		if !deadline.IsZero() && f.RemainingAtDeadlineM2 == nil && !d.After(deadline) {
			zero := int64(0)
			f.RemainingAtDeadlineM2 = &zero
		}
	}
	f.OtherCompletion = md.date(out.other)
	f.FundingGap = fundingGap(n, costByYear, md.start.y, f.DeterministicCompletion, cfg.Horizon)
	for y := md.start.y; y <= cfg.Horizon.Year(); y++ {
		if v := residual[y]; v >= 0.5 {
			f.ResidualM2PerYear = append(f.ResidualM2PerYear, YearValue{y, int64(math.Round(v))})
		}
	}
	for i, p := range md.provs {
		pf := ProvinceForecast{Province: p.name, RemainingSHAM2: int64(p.start.sha5), RemainingCHAM2: int64(p.start.cha5),
			OtherRemainingM2: int64(p.start.shaO + p.start.chaO), Done: out.done[i] < 0,
			StrandedM2: int64(stranded[i]), StrandedCostUSD: int64(strandedUSD[i])}
		pf.RemainingM2 = pf.RemainingSHAM2 + pf.RemainingCHAM2
		pf.ClearanceWorkM2 = int64((p.start.cha5 + (1-md.rates.CancelShare)*p.start.sha5) * (1 - md.rates.ReduceShare))
		if len(p.capacity) > 0 && md.share[0] > 0 {
			pf.CapacityM2PerYear = int64(p.capacity[0] / md.share[0] * 12 * md.rates.ProductivityFactor)
		}
		pf.DeterministicCompletion = md.date(out.done[i])
		pf.Completion = Completion{P10: pf.DeterministicCompletion, P50: pf.DeterministicCompletion, P90: pf.DeterministicCompletion}
		if pf.Done || (pf.DeterministicCompletion != nil && !deadline.IsZero() && !pf.DeterministicCompletion.After(deadline)) {
			pf.ProbabilityByDeadline = 1
		}
		f.RemainingSHAM2 += pf.RemainingSHAM2
		f.RemainingCHAM2 += pf.RemainingCHAM2
		f.OtherRemainingM2 += pf.OtherRemainingM2
		f.StrandedM2 += pf.StrandedM2
		f.Provinces = append(f.Provinces, pf)
	}
	f.RemainingM2 = f.RemainingSHAM2 + f.RemainingCHAM2
	f.restrictions(&md)
	f.OnTrack = f.DeterministicCompletion != nil && f.Deadline != nil && !f.DeterministicCompletion.After(deadline)
	f.Milestones = checkMilestones(n, milestones, asOf, forecastRelease)
	f.Band = []YearBand{}
	if cfg.Trials > 0 {
		mc := md.monteCarlo(cfg, deadline)
		f.Completion, f.ProbabilityByDeadline, f.Band = mc.national, mc.probability, mc.band
		for i := range f.Provinces {
			f.Provinces[i].Completion, f.Provinces[i].ProbabilityByDeadline = mc.provinces[i], mc.provinceProbability[i]
		}
	} else {
		f.Completion = Completion{P10: f.DeterministicCompletion, P50: f.DeterministicCompletion, P90: f.DeterministicCompletion}
		if f.OnTrack {
			f.ProbabilityByDeadline = 1
		}
	}
	return f
}

// restrictions sums the access-restricted area held out of the model and
// says what the forecast does with it.
func (f *Forecast) restrictions(md *model) {
	var a5, other, undated float64
	var opens events.Date
	for _, p := range md.provs {
		for _, h := range p.held {
			a5 += h.a.sha5 + h.a.cha5
			other += h.a.shaO + h.a.chaO
			if h.at == md.never() {
				undated += h.a.sha5 + h.a.cha5 + h.a.shaO + h.a.chaO
			} else if h.until.After(opens) {
				opens = h.until
			}
		}
	}
	f.RestrictedM2, f.RestrictedOtherM2, f.RestrictedUndatedM2 = int64(math.Round(a5)), int64(math.Round(other)), int64(math.Round(undated))
	if a5+other < 0.5 {
		return
	}
	f.Restrictions = fmt.Sprintf("%.2f km² of Article 5 area and %.2f km² of other area are access-restricted and held out of survey and clearance until access is expected to open",
		a5/1e6, other/1e6)
	if !opens.IsZero() {
		f.Restrictions += fmt.Sprintf(" (the last expected opening within the horizon: %s)", opens)
	}
	if undated >= 0.5 {
		f.Restrictions += fmt.Sprintf("; %.2f km² have no expected opening date within the horizon and stay out of the work until %s, so the area cannot be completed before their restriction is lifted",
			undated/1e6, f.Horizon)
	}
}

// fundingGap lists, for each year from the first forecast until completion
// (or the horizon), the forecast cost against the pledges for that year.
func fundingGap(n *National, cost map[int]float64, from int, done *events.Date, horizon events.Date) []YearFunding {
	pledged := map[int]int64{}
	for _, p := range n.Pledges {
		pledged[p.Year] += p.AmountUSD
	}
	to := horizon.Year()
	if done != nil {
		to = done.Year()
	}
	out := []YearFunding{}
	for y := from; y <= to; y++ {
		c := int64(math.Round(cost[y]))
		out = append(out, YearFunding{Year: y, CostUSD: c, PledgedUSD: pledged[y], GapUSD: c - pledged[y]})
	}
	return out
}

func checkMilestones(n *National, ms []events.Milestone, asOf events.Date, forecast map[int]float64) []MilestoneCheck {
	recorded := map[int]int64{}
	for k, s := range n.Stats {
		switch k.Method {
		case MethodNTS, MethodDeskAnalysis, MethodTS, MethodClearance:
			recorded[k.Year] += s.AreaM2
		}
	}
	out := []MilestoneCheck{}
	for _, m := range ms {
		c := MilestoneCheck{Year: m.Year, PlannedReleaseM2: m.ReleaseM2}
		if m.Year < asOf.Year() {
			c.ReleasedM2, c.Basis = recorded[m.Year], "recorded"
		} else {
			c.ReleasedM2, c.Basis = recorded[m.Year]+int64(forecast[m.Year]), "forecast"
		}
		c.Met = c.ReleasedM2 >= c.PlannedReleaseM2
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}
