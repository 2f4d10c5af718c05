package projections

import (
	"math"
	"slices"

	"github.com/landrelease/landrelease/events"
)

// area is a province's remaining area: Article 5 (AP mines) and other
// (AT/ERW only), each suspected (SHA) or confirmed (CHA).
type area struct{ sha5, cha5, shaO, chaO float64 }

// prov is one province of the model.
type prov struct {
	name         string
	start        area
	disc5, discO float64   // its share of the national discovery, Article 5 and other
	capacity     []float64 // stated clearance capacity per month of its deployments, prorated, after recorded shortfalls, before φ
	cost         []float64 // US$ per month of its deployments
	deminers     []float64 // deminers deployed per month (Σ deminers × active share), for the extension-request plan
	teams        []float64 // deployments active per month, for the extension-request plan
	near         []int     // the other provinces, nearest first; nil without a centroid
	// held is the part of start that is access-restricted on the forecast
	// date: it counts as remaining but no survey or clearance works it
	// until its month (the month of the expected opening date; never()
	// when no date is recorded). See docs/forecast.md.
	held []heldPart
}

// heldPart is access-restricted area that becomes workable in month at.
type heldPart struct {
	at    int
	until events.Date // zero: no expected date
	a     area
}

// model is everything the monthly simulation needs, computed once.
type model struct {
	start      month
	months     []month
	share      []float64 // share of each month forecast: the first starts on the forecast date, the others are whole
	disc       []float64 // share of each month within the discovery period (DiscoveryYears from the forecast date)
	recordedSF []bool    // whether the month's year has a recorded shortfall
	provs      []prov
	rates      Rates
	policy     string
	fixedShare float64 // of a deployment's cost, paid whether it finds work or not
}

func buildModel(n *National, cfg ForecastConfig, asOf events.Date) model {
	md := model{start: monthOf(asOf), rates: EstimateRates(n, cfg, asOf), policy: cfg.Redeploy, fixedShare: cfg.FixedCostShare}
	if !slices.Contains(RedeployPolicies, md.policy) {
		md.policy = RedeployNearest
	}
	discEnd := events.NewDate(asOf.Year()+cfg.DiscoveryYears, asOf.Time().Month(), asOf.Time().Day()).AddDays(-1)
	if cfg.SurveyM2PerYear > 0 {
		md.rates.SurveyM2PerYear = cfg.SurveyM2PerYear
	}
	if cfg.SurveyFactor > 0 {
		md.rates.SurveyM2PerYear *= cfg.SurveyFactor
	}
	if c := cfg.CancelShare; c != nil && *c >= 0 && *c <= 1 {
		md.rates.CancelShare = *c
	}
	key := func(p string) string {
		if md.policy == RedeployPool {
			return "national pool"
		}
		return p
	}
	idx := map[string]int{}
	at := func(p string) *prov {
		p = key(p)
		i, ok := idx[p]
		if !ok {
			i = len(md.provs)
			idx[p] = i
			md.provs = append(md.provs, prov{name: p})
		}
		return &md.provs[i]
	}
	for _, p := range provincesInOrder(n) {
		at(p) // provinces in a fixed order, whatever the maps' order
	}
	for _, a := range n.Areas {
		if a.RemainingM2 <= 0 {
			continue
		}
		p, v := at(a.Province), float64(a.RemainingM2)
		var part area
		switch {
		case Article5Hazard(a.Hazard) && a.Classification == "CHA":
			part.cha5 = v
		case Article5Hazard(a.Hazard):
			part.sha5 = v
		case a.Classification == "CHA":
			part.chaO = v
		default:
			part.shaO = v
		}
		p.start.add(part, 1)
		// Access-restricted on the forecast date (restricted on or before
		// it, and its expected opening after it): held out of the work.
		if a.Restricted() && !a.RestrictedSince.After(asOf) && (a.RestrictedUntil.IsZero() || a.RestrictedUntil.After(asOf)) {
			p.held = append(p.held, heldPart{until: a.RestrictedUntil, a: part})
		}
	}
	for _, d := range deploymentsInOrder(n) {
		at(d.Province)
	}
	// Discovery falls where it was found in the window, by hazard.
	w := newRateWindow(n, cfg.WindowYears, asOf.AddDays(-1))
	first := historyStart(n)
	var disc5, discO float64
	for _, a := range n.Areas {
		y := a.RegisteredOn.Year()
		if y == first || w.vol[y] == 0 {
			continue
		}
		v := w.vol[y] * float64(a.SizeM2)
		if Article5Hazard(a.Hazard) {
			at(a.Province).disc5 += v
			disc5 += v
		} else {
			at(a.Province).discO += v
			discO += v
		}
	}
	if total := disc5 + discO; total > 0 {
		md.rates.Article5Discovery = disc5 / total
		for i := range md.provs {
			md.provs[i].disc5 /= total
			md.provs[i].discO /= total
		}
	}
	slices.SortFunc(md.provs, func(a, b prov) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	for i := range md.provs {
		idx[md.provs[i].name] = i
	}
	md.placeProvinces(cfg.Centroids)

	funded := fundedUntil(n, cfg.Funding)
	end := monthOf(cfg.Horizon)
	sfByYear := map[int]map[*DeploymentRow]float64{}
	for m := md.start; m.y < end.y || (m.y == end.y && m.m <= end.m); m = m.next() {
		sf, ok := sfByYear[m.y]
		if !ok {
			sf = shortfallShares(n, m.y)
			sfByYear[m.y] = sf
		}
		from, last := m.first(), m.last()
		if m == md.start {
			from = asOf
		}
		monthDays := float64(last.Time().Day())
		for i := range md.provs {
			md.provs[i].capacity = append(md.provs[i].capacity, 0)
			md.provs[i].cost = append(md.provs[i].cost, 0)
			md.provs[i].deminers = append(md.provs[i].deminers, 0)
			md.provs[i].teams = append(md.provs[i].teams, 0)
		}
		k := len(md.months)
		for _, d := range deploymentsInOrder(n) {
			share := activeDays(d, from, last) / monthDays
			if share == 0 || m.y > funded(d) {
				continue
			}
			p := &md.provs[idx[key(d.Province)]]
			p.capacity[k] += cfg.deploymentYearCapacity(d) / 12 * share * (1 - sf[d])
			p.cost[k] += deploymentCost(d) / 12 * share * (1 - sf[d])
			p.deminers[k] += float64(d.Deminers) * share
			p.teams[k]++
		}
		md.months = append(md.months, m)
		md.share = append(md.share, daysBetween(from, last)/monthDays)
		md.disc = append(md.disc, daysBetween(from, minDate(last, discEnd))/monthDays)
		md.recordedSF = append(md.recordedSF, hasShortfall(n, m.y))
	}
	// Each held part opens in the month of its expected date (never, when
	// none is recorded or it falls after the horizon).
	for i := range md.provs {
		for j := range md.provs[i].held {
			h := &md.provs[i].held[j]
			h.at = md.never()
			if !h.until.IsZero() {
				if k := slices.IndexFunc(md.months, func(m month) bool { return !m.last().Before(h.until) }); k >= 0 {
					h.at = k
				}
			}
		}
	}
	if len(md.months) > 0 && md.share[0] > 0 {
		var c float64
		for _, p := range md.provs {
			c += p.capacity[0]
		}
		md.rates.CapacityAtAsOfM2Year = c / md.share[0] * 12 * md.rates.ProductivityFactor
	}
	return md
}

// fundedUntil returns, per deployment, the last year it has capacity:
// always (math.MaxInt) when funding is renewed or no pledge is recorded at
// all; otherwise the last year pledged to its operator, or to anyone when
// its operator has no pledge of its own.
func fundedUntil(n *National, policy string) func(d *DeploymentRow) int {
	if policy != FundingEnds || len(n.Pledges) == 0 {
		return func(*DeploymentRow) int { return math.MaxInt }
	}
	last, byOp := 0, map[string]int{}
	for _, p := range n.Pledges {
		last = max(last, p.Year)
		if p.Operator != "" {
			byOp[p.Operator] = max(byOp[p.Operator], p.Year)
		}
	}
	return func(d *DeploymentRow) int {
		if y, ok := byOp[d.Operator]; ok {
			return y
		}
		return last
	}
}

// placeProvinces orders, for each province with a centroid, the others with
// one by distance (great circle; ties by name).
func (md *model) placeProvinces(centroids map[string][2]float64) {
	for i := range md.provs {
		ci, ok := centroids[md.provs[i].name]
		if !ok {
			continue
		}
		type cand struct {
			j int
			d float64
		}
		var cs []cand
		for j := range md.provs {
			if cj, ok := centroids[md.provs[j].name]; ok && j != i {
				cs = append(cs, cand{j, distanceKm(ci, cj)})
			}
		}
		slices.SortStableFunc(cs, func(a, b cand) int {
			switch {
			case a.d < b.d:
				return -1
			case a.d > b.d:
				return 1
			}
			return a.j - b.j
		})
		md.provs[i].near = make([]int, len(cs))
		for k, c := range cs {
			md.provs[i].near[k] = c.j
		}
	}
}

// distanceKm is the great-circle distance between two (latitude, longitude)
// points.
func distanceKm(a, b [2]float64) float64 {
	rad := math.Pi / 180
	la1, la2 := a[0]*rad, b[0]*rad
	dla, dlo := la2-la1, (b[1]-a[1])*rad
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * 6371 * math.Asin(math.Min(1, math.Sqrt(h)))
}

// trial are the rates one simulation runs with: the trial's own values and,
// per simulated year, multipliers of productivity, cancellation share,
// reduction share, survey rate and discovery (nil: the values every year).
type trial struct {
	prod, cancel, reduce, survey, discovery, shortfall float64
	yearly                                             [][5]float64
}

// in returns the rates of the trial in year index j.
func (t *trial) in(j int) (prod, cancel, reduce, survey, discovery float64) {
	if t.yearly == nil {
		return t.prod, t.cancel, t.reduce, t.survey, t.discovery
	}
	f := t.yearly[j]
	return t.prod * f[0], clamp01(t.cancel * f[1]), math.Min(0.95, clamp01(t.reduce*f[2])), t.survey * f[3], t.discovery * f[4]
}

func (md *model) baseTrial() trial {
	r := md.rates
	return trial{prod: r.ProductivityFactor, cancel: r.CancelShare, reduce: r.ReduceShare, survey: r.SurveyM2PerYear, discovery: r.DiscoveryM2PerYear}
}

// never is the month index of "not within the horizon".
func (md *model) never() int { return len(md.months) }

// date is the last day of month index i: nil for never; for a province done
// before the forecast (-1), nil too.
func (md *model) date(i int) *events.Date {
	if i < 0 || i >= md.never() {
		return nil
	}
	d := md.months[i].last()
	return &d
}

// observer receives what a deterministic run reports; nil funcs are skipped.
type observer struct {
	full     bool // go on after national completion (the other line, residual discovery)
	yearEnd  func(y int, article5, other float64)
	release  func(y int, cancelled, reduced, cleared float64)
	residual func(y int, m2 float64)
	stranded func(p int, m2, usd float64)
	cost     func(y int, usd float64)
	// month receives each month's figures per province (the extension-request
	// plan, article5plan.go); fl is reused from month to month.
	month func(i int, fl *monthFlows)
}

// simResult is a run's outcome: month indices (never() for "not within the
// horizon"; -1 for a province with nothing to do from the start).
type simResult struct {
	done     []int // per province, Article 5 completion
	national int   // the last province's
	other    int   // AT/ERW-only area of every province released
	cost     float64
}

// simulate steps month by month: discovery, survey (a national pool, Article
// 5 SHA first), redeployment, clearance (each province's own capacity,
// Article 5 CHA first), completion.
func (md *model) simulate(t trial, ob *observer) simResult {
	if ob == nil {
		ob = &observer{}
	}
	np, never := len(md.provs), md.never()
	st := make([]area, np)
	lock := make([]area, np) // of st, access-restricted area not yet workable
	res := simResult{done: make([]int, np), national: never, other: never}
	var other0 float64
	for p := range md.provs {
		st[p] = md.provs[p].start
		for _, h := range md.provs[p].held {
			lock[p].add(h.a, 1)
		}
		res.done[p] = never
		if st[p].sha5+st[p].cha5 < 0.5 {
			res.done[p] = -1
		}
		other0 += st[p].shaO + st[p].chaO
	}
	if other0 < 0.5 {
		res.other = -1
	}
	left := 0 // provinces with Article 5 area left
	for p := range res.done {
		if res.done[p] == never {
			left++
		}
	}
	if left == 0 {
		res.national = -1
	}
	k := make([]float64, np)
	var fl *monthFlows
	if ob.month != nil {
		fl = newMonthFlows(np)
	}
	var a5, oth float64
	for i, m := range md.months {
		part := md.share[i]
		prod, cancel, reduce, survey, discovery := t.in(m.y - md.start.y)
		var cancelledM, reducedM, clearedM float64
		fl.reset(m.y, res.national == never, st)
		// 0. Access opens on held area whose expected date falls in the month.
		for p := range md.provs {
			for _, h := range md.provs[p].held {
				if h.at == i {
					lock[p].add(h.a, -1)
				}
			}
		}
		// 1. Discovery: Article 5 area found in a province already complete
		// is residual contamination, not a gate.
		if dsh := md.disc[i]; dsh > 0 && discovery > 0 {
			for p := range md.provs {
				d5 := discovery * md.provs[p].disc5 * dsh / 12
				if res.done[p] < i && res.done[p] != never {
					if ob.residual != nil && d5 > 0 {
						ob.residual(m.y, d5)
					}
				} else {
					st[p].sha5 += d5
					fl.add(flFound5, p, d5)
				}
				st[p].shaO += discovery * md.provs[p].discO * dsh / 12
				fl.add(flFoundO, p, discovery*md.provs[p].discO*dsh/12)
			}
		}
		// 2. Survey: a national pool, Article 5 SHA first, in proportion
		// to each province's SHA.
		var sha5, shaO float64
		for p := range st {
			sha5 += free(st[p].sha5, lock[p].sha5)
			shaO += free(st[p].shaO, lock[p].shaO)
		}
		sv := math.Inf(1)
		if survey > 0 {
			sv = survey / 12 * part
		}
		if sha5 > 0 {
			f := math.Min(1, sv/sha5)
			for p := range st {
				x := free(st[p].sha5, lock[p].sha5) * f
				st[p].sha5 -= x
				st[p].cha5 += (1 - cancel) * x
				cancelledM += cancel * x
				fl.add(flCancelled5, p, cancel*x)
			}
			sv -= f * sha5
		}
		if shaO > 0 && sv > 0 {
			f := math.Min(1, sv/shaO)
			for p := range st {
				x := free(st[p].shaO, lock[p].shaO) * f
				st[p].shaO -= x
				st[p].chaO += (1 - cancel) * x
				cancelledM += cancel * x
				fl.add(flCancelledO, p, cancel*x)
			}
		}
		// 3. Capacity, and redeployment of the capacity of provinces whose
		// Article 5 area is released.
		var costM, capM float64
		sfUnrecorded := 1.0
		if !md.recordedSF[i] {
			sfUnrecorded = 1 - t.shortfall
		}
		for p := range md.provs {
			k[p] = md.provs[p].capacity[i] * prod * sfUnrecorded
			capM += k[p]
			costM += md.provs[p].cost[i]
		}
		if md.policy == RedeployNearest || md.policy == RedeployLargest {
			for p := range md.provs {
				if k[p] == 0 || res.done[p] >= i || res.done[p] == never {
					continue
				}
				if q := md.target(p, st, res.done); q >= 0 {
					k[q] += k[p]
					k[p] = 0
					if fl != nil {
						fl.dest[p] = q
					}
				}
			}
		}
		// 4. Clearance: Article 5 CHA first, then the other CHA; what is
		// left finds no work.
		var used float64
		for p := range st {
			kk := k[p]
			used += kk
			w := workable(free(st[p].cha5, lock[p].cha5), kk, reduce)
			st[p].cha5 -= w
			kk = math.Max(0, kk-(1-reduce)*w)
			reducedM, clearedM = reducedM+reduce*w, clearedM+(1-reduce)*w
			fl.add(flReduced5, p, reduce*w)
			fl.add(flCleared5, p, (1-reduce)*w)
			w = workable(free(st[p].chaO, lock[p].chaO), kk, reduce)
			st[p].chaO -= w
			kk = math.Max(0, kk-(1-reduce)*w)
			reducedM, clearedM = reducedM+reduce*w, clearedM+(1-reduce)*w
			fl.add(flReducedO, p, reduce*w)
			fl.add(flClearedO, p, (1-reduce)*w)
			fl.add(flCapacity, p, k[p])
			used -= kk
			fl.add(flUnused, p, kk)
			if kk > 1e-6 && res.national == never && ob.stranded != nil {
				ob.stranded(p, kk, costM*kk/capM)
			}
		}
		// Cost: the fixed part of every active deployment's cost, and the
		// variable part in proportion to the capacity that found work.
		if capM > 0 {
			if fl != nil && costM > 0 {
				fl.costFactor = md.fixedShare + (1-md.fixedShare)*used/capM
			}
			costM = md.fixedShare*costM + (1-md.fixedShare)*costM*used/capM
		}
		if ob.cost != nil && res.national == never {
			ob.cost(m.y, costM)
		}
		if ob.release != nil {
			ob.release(m.y, cancelledM, reducedM, clearedM)
		}
		if res.national == never {
			res.cost += costM
		}
		// 5. Completion.
		a5, oth = 0, 0
		for p := range st {
			r5 := st[p].sha5 + st[p].cha5
			if res.done[p] == never && r5 < 0.5 {
				res.done[p] = i
				left--
			}
			a5 += r5
			oth += st[p].shaO + st[p].chaO
		}
		if res.national == never && left == 0 {
			res.national = i
		}
		if res.other == never && oth < 0.5 {
			res.other = i
		}
		if fl != nil {
			ob.month(i, fl)
		}
		finished := res.national != never && (!ob.full || (res.other != never && (discovery == 0 || i+1 == len(md.months) || md.disc[i+1] == 0)))
		if ob.yearEnd != nil && (m.m == 12 || finished) {
			ob.yearEnd(m.y, a5, oth)
		}
		if finished {
			break
		}
	}
	return res
}

// add adds f × b to a.
func (a *area) add(b area, f float64) {
	a.sha5, a.cha5, a.shaO, a.chaO = a.sha5+f*b.sha5, a.cha5+f*b.cha5, a.shaO+f*b.shaO, a.chaO+f*b.chaO
}

// free is the part of v not held by access restrictions.
func free(v, held float64) float64 { return math.Max(0, v-held) }

// workable is the CHA area capacity k works in a month: clearance removes
// (1 − ρ) of it, technical survey the rest.
func workable(cha, k, reduce float64) float64 {
	if cha <= 0 {
		return 0
	}
	if reduce >= 1 || k/(1-reduce) >= cha {
		return cha
	}
	return k / (1 - reduce)
}

// target is where the capacity of province p, whose Article 5 area is
// released, goes: the nearest province with Article 5 area left, or the
// one with the most left (RedeployLargest, or p has no centroid); -1 when
// none has any left.
func (md *model) target(p int, st []area, done []int) int {
	never := md.never()
	if md.policy == RedeployNearest && md.provs[p].near != nil {
		for _, q := range md.provs[p].near {
			if done[q] == never {
				return q
			}
		}
	}
	best, most := -1, 0.0
	for q := range st {
		if r := st[q].sha5 + st[q].cha5; done[q] == never && r > most {
			best, most = q, r
		}
	}
	return best
}
