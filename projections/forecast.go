package projections

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/landrelease/landrelease/events"
)

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
	Spread              Spread      // relative uncertainty of each rate in Monte Carlo trials
	SurveyFactor        float64     // multiplies the learned survey rate (a scenario of faster NTS); 0 means 1
	// ProductivityPriorYears is the weight, in years of the capacity deployed
	// on the first day forecast, of the prior "achieved = stated" in the
	// achieved productivity factor (see EstimateRates).
	ProductivityPriorYears float64
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
		DefaultProductivity: 50, DefaultWorkingDays: 200, ProductivityPriorYears: 0.25,
		Spread: Spread{Productivity: 0.15, CancelShare: 0.10, ReduceShare: 0.10, SurveyRate: 0.15, Discovery: 0.30, Shortfall: 0.5},
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
	DiscoveryM2PerYear   float64 `json:"discovery_m2_per_year"`          // new contamination registered per year
	ProductivityFactor   float64 `json:"achieved_productivity_factor"`   // cleared m² ÷ stated clearance capacity in the window
	ShortfallShare       float64 `json:"expected_shortfall_share"`       // mean share of capacity lost to shortfalls per year
	ClearedM2PerYear     float64 `json:"cleared_m2_per_year"`            // observed
	StatedCapacityM2Year float64 `json:"stated_capacity_m2_per_year"`    // deployments × productivity × days in the window, after shortfalls
	CapacityAtAsOfM2Year float64 `json:"clearance_capacity_m2_per_year"` // at the start of the forecast, after the factor
}

// Completion holds the percentiles of the Monte Carlo completion dates.
type Completion struct {
	P10 *events.Date `json:"p10"`
	P50 *events.Date `json:"p50"`
	P90 *events.Date `json:"p90"`
}

// YearRemaining is the remaining area at a year's end.
type YearRemaining struct {
	Year        int   `json:"year"`
	RemainingM2 int64 `json:"remaining_m2"`
}

// MilestoneCheck compares a recorded milestone with what was or will be released.
type MilestoneCheck struct {
	Year             int    `json:"year"`
	PlannedReleaseM2 int64  `json:"planned_release_m2"`
	ReleasedM2       int64  `json:"released_m2"` // recorded (past years) or forecast (deterministic)
	Basis            string `json:"basis"`       // "recorded" or "forecast"
	Met              bool   `json:"met"`
}

// Forecast is the answer of RunForecast; its JSON is the docs/contract.md
// document of `forecast --json`.
type Forecast struct {
	AsOf                    events.Date      `json:"as_of"`
	Deadline                *events.Date     `json:"deadline"`
	RemainingM2             int64            `json:"remaining_m2"`
	RemainingSHAM2          int64            `json:"remaining_sha_m2"`
	RemainingCHAM2          int64            `json:"remaining_cha_m2"`
	DeterministicCompletion *events.Date     `json:"deterministic_completion"`
	Completion              Completion       `json:"completion"`
	ProbabilityByDeadline   float64          `json:"probability_by_deadline"`
	OnTrack                 bool             `json:"on_track"`
	Trajectory              []YearRemaining  `json:"trajectory"`
	Band                    []YearBand       `json:"band"` // Monte Carlo spread of the trajectory; empty without trials
	RemainingAtDeadlineM2   *int64           `json:"remaining_at_deadline_m2"`
	CostToCompletionUSD     int64            `json:"cost_to_completion_usd"`
	Milestones              []MilestoneCheck `json:"milestones"`
	Rates                   Rates            `json:"rates"`
	Trials                  int              `json:"trials"`
	Seed                    uint64           `json:"seed"`
	Spread                  Spread           `json:"spread"`
	DiscoveryYears          int              `json:"discovery_years"`
	Horizon                 events.Date      `json:"horizon"`
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

// model is everything the monthly simulation needs, computed once.
type model struct {
	start      month
	months     []month
	share      []float64 // share of each month forecast: the first starts on the forecast date, the others are whole
	capacity   []float64 // stated clearance capacity per month, after recorded shortfalls, before the factor
	cost       []float64 // USD per month of the active deployments
	recordedSF []bool    // whether the month's year has a recorded shortfall
	sha, cha   float64
	rates      Rates
	disc       []float64 // share of each month within the discovery period (DiscoveryYears from the forecast date)
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
}

// deploymentCapacity is the stated m² a deployment clears in [from, to].
func (cfg ForecastConfig) deploymentYearCapacity(d *DeploymentRow) (perYear float64) {
	prod := d.ProductivityM2PerDeminerDay
	if prod <= 0 {
		prod = cfg.DefaultProductivity
	}
	days := d.WorkingDaysPerYear
	if days <= 0 {
		days = cfg.DefaultWorkingDays
	}
	return float64(d.Deminers) * prod * float64(days)
}

// activeShare is the share of month m during which d is deployed.
func activeShare(d *DeploymentRow, m month) float64 {
	first, last := m.first(), m.last()
	if d.From.After(last) || (!d.To.IsZero() && d.To.Before(first)) {
		return 0
	}
	from, to := first, last
	if d.From.After(from) {
		from = d.From
	}
	if !d.To.IsZero() && d.To.Before(to) {
		to = d.To
	}
	days := to.Time().Sub(from.Time()).Hours()/24 + 1
	return days / (last.Time().Sub(first.Time()).Hours()/24 + 1)
}

// shortfallShares returns, per year and deployment, the share of the
// deployment's capacity a recorded shortfall removes: a shortfall naming an
// operator and/or province falls on the deployments that match, in
// proportion to their cost (or size, when no cost is stated).
func shortfallShares(n *National, year int) map[*DeploymentRow]float64 {
	out := map[*DeploymentRow]float64{}
	for _, s := range n.Shortfalls {
		if s.Year != year {
			continue
		}
		var match []*DeploymentRow
		var cost float64
		for _, d := range n.Deployments {
			if activeShareYear(d, year) == 0 || (s.Operator != "" && d.Operator != s.Operator) || (s.Province != "" && d.Province != s.Province) {
				continue
			}
			match = append(match, d)
			cost += deploymentCost(d) * activeShareYear(d, year)
		}
		if cost <= 0 {
			continue
		}
		share := float64(s.AmountUSD) / cost
		for _, d := range match {
			out[d] = math.Min(1, out[d]+share)
		}
	}
	return out
}

// deploymentCost is the annual cost of a deployment, or an assumed cost of
// US$ 8,000 per deminer-year when none is stated (DOMAIN.md 5.3).
func deploymentCost(d *DeploymentRow) float64 {
	if d.AnnualCostUSD > 0 {
		return float64(d.AnnualCostUSD)
	}
	return 8000 * float64(d.Deminers)
}

func activeShareYear(d *DeploymentRow, year int) float64 {
	var s float64
	for m := 1; m <= 12; m++ {
		s += activeShare(d, month{year, m})
	}
	return s / 12
}

// AnnualCost is the cost in US$ of the deployments active in a year (their
// stated annual cost, or US$ 8,000 per deminer-year), prorated by the share
// of the year each is deployed.
func AnnualCost(n *National, year int) float64 {
	var c float64
	for _, d := range n.Deployments {
		c += deploymentCost(d) * activeShareYear(d, year)
	}
	return c
}

func hasShortfall(n *National, year int) bool {
	for _, s := range n.Shortfalls {
		if s.Year == year {
			return true
		}
	}
	return false
}

// rateWindow is the stretch of history the rates are learned from: the
// WindowYears years that end on the last day known (the day before the
// forecast starts). A calendar year's statistics weigh in by the share of it
// inside the window: the current year with what it recorded so far (it is
// still part way through), the oldest by the part of it the window still
// covers, so that moving the last day known by one day moves every rate a
// little, never by a whole year's worth.
type rateWindow struct {
	last     events.Date     // last day known
	from, to int             // calendar years touched
	vol      map[int]float64 // weight of a year's recorded volumes
	dur      map[int]float64 // years of the window that fall in that calendar year
}

func daysInYear(y int) float64 { return float64(events.NewDate(y, 12, 31).Time().YearDay()) }

func newRateWindow(n *National, years int, last events.Date) rateWindow {
	w := rateWindow{last: last, to: last.Year(), vol: map[int]float64{}, dur: map[int]float64{}}
	f := float64(last.Time().YearDay()) / daysInYear(w.to)
	w.from = w.to - years
	first := historyStart(n)
	for y := w.from; y <= w.to; y++ {
		if y < first {
			continue
		}
		switch y {
		case w.to:
			w.vol[y], w.dur[y] = 1, f
		case w.from:
			w.vol[y], w.dur[y] = 1-f, 1-f
		default:
			w.vol[y], w.dur[y] = 1, 1
		}
	}
	for w.from < w.to && w.vol[w.from] == 0 {
		delete(w.vol, w.from)
		delete(w.dur, w.from)
		w.from++
	}
	return w
}

// historyStart is the first year of the register (the year the database was
// migrated in); years before it hold no statistics and do not count.
func historyStart(n *National) int {
	first := math.MaxInt
	for k := range n.Stats {
		if k.Method == MethodRegistered && k.Year < first {
			first = k.Year
		}
	}
	return first
}

func (w rateWindow) years() float64 {
	var s float64
	for _, d := range w.dur {
		s += d
	}
	return s
}

// capacity is the stated clearance capacity of d in year y within the
// window (the current year up to the last day known), and the share of it
// removed by shortfalls.
func (w rateWindow) capacity(cfg ForecastConfig, d *DeploymentRow, y int) float64 {
	from, to := events.NewDate(y, 1, 1), events.NewDate(y, 12, 31)
	weight := w.vol[y]
	if y == w.to {
		to, weight = w.last, 1
	}
	return weight * cfg.deploymentYearCapacity(d) * activeDays(d, from, to) / daysInYear(y)
}

// daysBetween counts the days of [from, to] (0 when to is before from).
func daysBetween(from, to events.Date) float64 {
	if from.After(to) {
		return 0
	}
	return to.Time().Sub(from.Time()).Hours()/24 + 1
}

func minDate(a, b events.Date) events.Date {
	if a.Before(b) {
		return a
	}
	return b
}

// activeDays counts the days of [from, to] during which d is deployed.
func activeDays(d *DeploymentRow, from, to events.Date) float64 {
	if d.From.After(from) {
		from = d.From
	}
	if !d.To.IsZero() && d.To.Before(to) {
		to = d.To
	}
	if from.After(to) {
		return 0
	}
	return to.Time().Sub(from.Time()).Hours()/24 + 1
}

// EstimateRates learns the forecast's rates from the statistics of the
// WindowYears years before asOf (the first day forecast); see rateWindow.
func EstimateRates(n *National, cfg ForecastConfig, asOf events.Date) Rates {
	cfg.fill()
	w := newRateWindow(n, cfg.WindowYears, asOf.AddDays(-1))
	r := Rates{WindowFrom: w.from, WindowTo: w.to, WindowYears: w.years()}
	var cancelled, confirmed, reduced, cleared, registered float64
	first := historyStart(n)
	for k, s := range n.Stats {
		wt := w.vol[k.Year]
		if wt == 0 {
			continue
		}
		v := wt * float64(s.AreaM2)
		switch k.Method {
		case MethodNTS, MethodDeskAnalysis:
			cancelled += v
		case MethodConfirmed:
			confirmed += v
		case MethodTS:
			reduced += v
		case MethodClearance:
			cleared += v
		case MethodRegistered:
			if k.Year != first { // the first year is the database being migrated in, not discovery
				registered += v
			}
		}
	}
	years := w.years()
	if years <= 0 {
		years = 1
	}
	if cancelled+confirmed > 0 {
		r.CancelShare = cancelled / (cancelled + confirmed)
		r.SurveyM2PerYear = (cancelled + confirmed) / years
	}
	if reduced+cleared > 0 {
		r.ReduceShare = reduced / (reduced + cleared)
	}
	// Discovery is counted after the first year (the migration). Less than
	// a year of it is read as one year's worth: a few weeks of registrations
	// are not extrapolated to a yearly rate.
	if registered > 0 {
		r.DiscoveryM2PerYear = registered / math.Max(1, years-w.dur[first])
	}
	r.ClearedM2PerYear = cleared / years
	var stated, sfShare float64
	for y := w.from; y <= w.to; y++ {
		if w.vol[y] == 0 {
			continue
		}
		sf := shortfallShares(n, y)
		var capY, lostY float64
		for _, d := range n.Deployments {
			c := w.capacity(cfg, d, y)
			capY += c * (1 - sf[d])
			lostY += c * sf[d]
		}
		stated += capY
		if capY+lostY > 0 {
			sfShare += w.dur[y] * lostY / (capY + lostY)
		}
	}
	r.StatedCapacityM2Year = stated / years
	r.ShortfallShare = sfShare / years
	// φ = cleared ÷ stated, with a prior of φ = 1 worth PriorYears of the
	// capacity deployed on the first day forecast: a short record (a
	// deployment that started weeks ago) leans on the stated productivity
	// instead of swinging with every day of capacity that has not yet shown
	// up as recorded clearance.
	var now float64
	for _, d := range n.Deployments {
		if activeDays(d, asOf, asOf) > 0 {
			now += cfg.deploymentYearCapacity(d)
		}
	}
	prior := cfg.ProductivityPriorYears * now
	r.ProductivityFactor = 1
	if stated > 0 && cleared > 0 {
		r.ProductivityFactor = (cleared + prior) / (stated + prior)
	}
	return r
}

func buildModel(n *National, cfg ForecastConfig, asOf events.Date) model {
	md := model{start: monthOf(asOf), rates: EstimateRates(n, cfg, asOf)}
	discEnd := events.NewDate(asOf.Year()+cfg.DiscoveryYears, asOf.Time().Month(), asOf.Time().Day()).AddDays(-1)
	if cfg.SurveyFactor > 0 {
		md.rates.SurveyM2PerYear *= cfg.SurveyFactor
	}
	for _, a := range n.Areas {
		if a.RemainingM2 <= 0 {
			continue
		}
		if a.Classification == "CHA" {
			md.cha += float64(a.RemainingM2)
		} else {
			md.sha += float64(a.RemainingM2)
		}
	}
	end := monthOf(cfg.Horizon)
	sfByYear := map[int]map[*DeploymentRow]float64{}
	for m := md.start; m.y < end.y || (m.y == end.y && m.m <= end.m); m = m.next() {
		sf, ok := sfByYear[m.y]
		if !ok {
			sf = shortfallShares(n, m.y)
			sfByYear[m.y] = sf
		}
		var capM, costM float64
		from, last := m.first(), m.last()
		if m == md.start {
			from = asOf
		}
		monthDays := float64(last.Time().Day())
		for _, d := range n.Deployments {
			share := activeDays(d, from, last) / monthDays
			if share == 0 {
				continue
			}
			capM += cfg.deploymentYearCapacity(d) / 12 * share * (1 - sf[d])
			costM += deploymentCost(d) / 12 * share * (1 - sf[d])
		}
		md.months = append(md.months, m)
		md.share = append(md.share, daysBetween(from, last)/monthDays)
		md.disc = append(md.disc, daysBetween(from, minDate(last, discEnd))/monthDays)
		md.capacity = append(md.capacity, capM)
		md.cost = append(md.cost, costM)
		md.recordedSF = append(md.recordedSF, hasShortfall(n, m.y))
	}
	if len(md.capacity) > 0 && md.share[0] > 0 {
		md.rates.CapacityAtAsOfM2Year = md.capacity[0] / md.share[0] * 12 * md.rates.ProductivityFactor
	}
	return md
}

// trial are the rates one simulation runs with.
type trial struct {
	prod, cancel, reduce, survey, discovery, shortfall float64
}

// simulate steps month by month; it returns the index of the completion
// month (-1: not within the horizon), the year-end remaining areas, and the
// cost until completion.
func (md *model) simulate(t trial, trajectory func(year int, remaining float64), release func(year int, m2 float64)) (int, float64) {
	sha, cha := md.sha, md.cha
	var cost float64
	for i, m := range md.months {
		part := md.share[i]
		sha += t.discovery / 12 * md.disc[i]
		surveyed := sha
		if t.survey > 0 {
			surveyed = math.Min(sha, t.survey/12*part)
		}
		sha -= surveyed
		cha += (1 - t.cancel) * surveyed
		capM := md.capacity[i] * t.prod // already prorated to the month's share
		if !md.recordedSF[i] {
			capM *= 1 - t.shortfall
		}
		worked := cha
		if t.reduce < 1 && capM/(1-t.reduce) < cha {
			worked = capM / (1 - t.reduce)
		}
		cha -= worked
		if release != nil {
			release(m.y, t.cancel*surveyed+worked)
		}
		cost += md.cost[i]
		done := sha+cha < 0.5 && (t.discovery == 0 || i+1 == len(md.months) || md.disc[i+1] == 0)
		if trajectory != nil && (m.m == 12 || done) {
			trajectory(m.y, sha+cha)
		}
		if done {
			return i, cost
		}
	}
	return -1, cost
}

func (md *model) baseTrial() trial {
	r := md.rates
	return trial{prod: r.ProductivityFactor, cancel: r.CancelShare, reduce: r.ReduceShare, survey: r.SurveyM2PerYear, discovery: r.DiscoveryM2PerYear}
}

// RunForecast forecasts Article 5 completion from the fold's state.
func RunForecast(n *National, cfg ForecastConfig) Forecast {
	cfg.fill()
	asOf := cfg.AsOf
	if asOf.IsZero() {
		asOf = ForecastStart(n)
	}
	md := buildModel(n, cfg, asOf)
	f := Forecast{AsOf: asOf, Rates: md.rates, Trials: cfg.Trials, Seed: cfg.Seed, Spread: cfg.Spread,
		DiscoveryYears: cfg.DiscoveryYears, Horizon: cfg.Horizon, Trajectory: []YearRemaining{}, Milestones: []MilestoneCheck{}}
	f.RemainingSHAM2, f.RemainingCHAM2 = int64(md.sha), int64(md.cha)
	f.RemainingM2 = f.RemainingSHAM2 + f.RemainingCHAM2
	var deadline events.Date
	var milestones []events.Milestone
	if len(n.Deadlines) > 0 {
		last := n.Deadlines[len(n.Deadlines)-1]
		deadline, milestones = last.Deadline, last.Milestones
		f.Deadline = &deadline
	}
	forecastRelease := map[int]float64{}
	idx, cost := md.simulate(md.baseTrial(), func(y int, rem float64) {
		f.Trajectory = append(f.Trajectory, YearRemaining{y, int64(math.Round(rem))})
		if !deadline.IsZero() && y == deadline.Year() {
			v := int64(math.Round(rem))
			f.RemainingAtDeadlineM2 = &v
		}
	}, func(y int, m2 float64) { forecastRelease[y] += m2 })
	f.CostToCompletionUSD = int64(cost)
	if idx >= 0 {
		d := md.months[idx].last()
		f.DeterministicCompletion = &d
		if !deadline.IsZero() && f.RemainingAtDeadlineM2 == nil && !d.After(deadline) {
			zero := int64(0)
			f.RemainingAtDeadlineM2 = &zero
		}
	}
	f.OnTrack = f.DeterministicCompletion != nil && f.Deadline != nil && !f.DeterministicCompletion.After(deadline)
	f.Milestones = checkMilestones(n, milestones, asOf, forecastRelease)
	f.Band = []YearBand{}
	if cfg.Trials > 0 {
		f.Completion, f.ProbabilityByDeadline, f.Band = md.monteCarlo(cfg, deadline)
	} else {
		f.Completion = Completion{P10: f.DeterministicCompletion, P50: f.DeterministicCompletion, P90: f.DeterministicCompletion}
		if f.OnTrack {
			f.ProbabilityByDeadline = 1
		}
	}
	return f
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

// draw returns v·X with X lognormal of mean 1 and coefficient of variation cv.
func draw(rng *rand.Rand, v, cv float64) float64 {
	if cv <= 0 || v == 0 {
		return v
	}
	s2 := math.Log(1 + cv*cv)
	return v * math.Exp(rng.NormFloat64()*math.Sqrt(s2)-s2/2)
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

func (md *model) monteCarlo(cfg ForecastConfig, deadline events.Date) (Completion, float64, []YearBand) {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5deece66d))
	base := md.baseTrial()
	sp := cfg.Spread
	idx := make([]int, cfg.Trials)
	never := len(md.months) // sorts after every real month
	met := 0
	// remaining[y] collects each trial's remaining area at the end of year y;
	// a trial that finished earlier counts as zero in the later years.
	remaining := map[int][]float64{}
	for i := range idx {
		t := trial{
			prod:      draw(rng, base.prod, sp.Productivity),
			cancel:    clamp01(draw(rng, base.cancel, sp.CancelShare)),
			reduce:    math.Min(0.95, clamp01(draw(rng, base.reduce, sp.ReduceShare))),
			survey:    draw(rng, base.survey, sp.SurveyRate),
			discovery: draw(rng, base.discovery, sp.Discovery),
			shortfall: clamp01(draw(rng, md.rates.ShortfallShare, sp.Shortfall)),
		}
		if sp == (Spread{}) {
			t.shortfall = 0
		}
		k, _ := md.simulate(t, func(y int, rem float64) { remaining[y] = append(remaining[y], rem) }, nil)
		if k < 0 {
			k = never
		}
		idx[i] = k
		if k < never && !deadline.IsZero() && !md.months[k].last().After(deadline) {
			met++
		}
	}
	sort.Ints(idx)
	at := func(p float64) *events.Date {
		k := idx[int(math.Min(float64(len(idx)-1), math.Floor(p*float64(len(idx)))))]
		if k >= never {
			return nil
		}
		d := md.months[k].last()
		return &d
	}
	band := make([]YearBand, 0, len(remaining))
	for y, rs := range remaining {
		for len(rs) < cfg.Trials {
			rs = append(rs, 0)
		}
		sort.Float64s(rs)
		q := func(p float64) int64 {
			return int64(math.Round(rs[int(math.Min(float64(len(rs)-1), math.Floor(p*float64(len(rs)))))]))
		}
		band = append(band, YearBand{Year: y, LowM2: q(0.10), MedianM2: q(0.50), HighM2: q(0.90)})
	}
	sort.Slice(band, func(i, j int) bool { return band[i].Year < band[j].Year })
	return Completion{P10: at(0.10), P50: at(0.50), P90: at(0.90)}, float64(met) / float64(cfg.Trials), band
}
