package projections

import (
	"math"

	"github.com/landrelease/landrelease/events"
)

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
		for _, d := range deploymentsInOrder(n) {
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
	for _, d := range deploymentsInOrder(n) {
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
	per := map[int]*yearRecord{}
	for _, k := range statKeysInOrder(n) {
		s := n.Stats[k]
		wt := w.vol[k.Year]
		if wt == 0 {
			continue
		}
		yr := per[k.Year]
		if yr == nil {
			yr = &yearRecord{}
			per[k.Year] = yr
		}
		v := wt * float64(s.AreaM2)
		switch k.Method {
		case MethodNTS, MethodDeskAnalysis:
			cancelled += v
			yr.cancelled += float64(s.AreaM2)
		case MethodConfirmed:
			confirmed += v
			yr.confirmed += float64(s.AreaM2)
		case MethodTS:
			reduced += v
			yr.reduced += float64(s.AreaM2)
		case MethodClearance:
			cleared += v
			yr.cleared += float64(s.AreaM2)
		case MethodRegistered:
			if k.Year != first { // the first year is the database being migrated in, not discovery
				registered += v
				yr.registered += float64(s.AreaM2)
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
		for _, d := range deploymentsInOrder(n) {
			c := w.capacity(cfg, d, y)
			capY += c * (1 - sf[d])
			lostY += c * sf[d]
		}
		stated += capY
		if yr := per[y]; yr != nil && w.vol[y] > 0 {
			yr.stated = capY / w.vol[y]
		}
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
	for _, d := range deploymentsInOrder(n) {
		if activeDays(d, asOf, asOf) > 0 {
			now += cfg.deploymentYearCapacity(d)
		}
	}
	prior := cfg.ProductivityPriorYears * now
	r.ProductivityFactor = 1
	if stated > 0 && cleared > 0 {
		r.ProductivityFactor = (cleared + prior) / (stated + prior)
	}
	r.Spread, r.SpreadYears = learnSpread(per, w, first, cfg.Spread)
	r.NoEvidence = noEvidenceRecord(n)
	return r
}

// yearRecord is one calendar year's recorded volumes in the window (the
// current year's so far).
type yearRecord struct{ cancelled, confirmed, reduced, cleared, registered, stated float64 }

// learnSpread measures the year-to-year variation of each rate: its
// coefficient of variation over the window's years that are at least half
// inside it. With fewer than three such years the floor applies (each rate
// at least its floor's value). A zero floor (Spread{}) means no randomness.
func learnSpread(per map[int]*yearRecord, w rateWindow, first int, floor Spread) (Spread, int) {
	if floor == (Spread{}) {
		return Spread{}, 0
	}
	var prod, cancel, reduce, survey, disc []float64
	years := 0
	for y := w.from; y <= w.to; y++ {
		yr, d := per[y], w.dur[y]
		if yr == nil || d < 0.5 {
			continue
		}
		years++
		if s := yr.cancelled + yr.confirmed; s > 0 {
			cancel = append(cancel, yr.cancelled/s)
			survey = append(survey, s/d)
		}
		if s := yr.reduced + yr.cleared; s > 0 {
			reduce = append(reduce, yr.reduced/s)
		}
		if yr.stated > 0 && yr.cleared > 0 {
			prod = append(prod, yr.cleared/yr.stated)
		}
		if y != first {
			disc = append(disc, yr.registered/d)
		}
	}
	pick := func(xs []float64, fl float64) float64 {
		v := cv(xs)
		if len(xs) < 3 {
			v = math.Max(v, fl)
		}
		return v
	}
	return Spread{Productivity: pick(prod, floor.Productivity), CancelShare: pick(cancel, floor.CancelShare),
		ReduceShare: pick(reduce, floor.ReduceShare), SurveyRate: pick(survey, floor.SurveyRate),
		Discovery: pick(disc, floor.Discovery), Shortfall: floor.Shortfall}, years
}

// cv is the coefficient of variation (sample standard deviation ÷ mean) of
// xs; 0 for fewer than two values or a zero mean.
func cv(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	if m <= 0 {
		return 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss/float64(len(xs)-1)) / m
}

// NoEvidence is the record of areas registered without any evidence: how
// many of those already surveyed were cancelled in full, and the share of
// the remaining SHA that has no evidence. A Monte Carlo trial draws the
// cancellation rate of that SHA from this record (the baseline's largest
// uncertainty: area on the register that may not be contaminated at all).
type NoEvidence struct {
	Surveyed       int     `json:"surveyed_areas"`      // areas without evidence no longer SHA
	Cancelled      int     `json:"cancelled_areas"`     // of which cancelled in full
	RemainingShare float64 `json:"remaining_sha_share"` // share of remaining SHA m² without evidence
}

func noEvidenceRecord(n *National) NoEvidence {
	var ne NoEvidence
	var sha, shaNone float64
	for _, a := range n.Areas {
		if a.EvidenceCount > 0 {
			continue
		}
		if a.Status == "SHA" {
			continue
		}
		if a.CancelledNTSM2+a.CancelledDeskM2 > 0 || a.Classification == "SHA" || a.Reclassifications > 0 {
			ne.Surveyed++
			if a.CancelledNTSM2+a.CancelledDeskM2 >= a.SizeM2 {
				ne.Cancelled++
			}
		}
	}
	for _, a := range n.Areas {
		if a.RemainingM2 > 0 && a.Status == "SHA" {
			sha += float64(a.RemainingM2)
			if a.EvidenceCount == 0 {
				shaNone += float64(a.RemainingM2)
			}
		}
	}
	if sha > 0 {
		ne.RemainingShare = shaNone / sha
	}
	return ne
}
