package projections

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/landrelease/landrelease/events"
)

// draw returns v·X with X lognormal of mean 1 and coefficient of variation cv.
func draw(rng *rand.Rand, v, cv float64) float64 {
	if cv <= 0 || v == 0 {
		return v
	}
	s2 := math.Log(1 + cv*cv)
	return v * math.Exp(rng.NormFloat64()*math.Sqrt(s2)-s2/2)
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// mcResult is what the Monte Carlo trials give.
type mcResult struct {
	national            Completion
	probability         float64
	band                []YearBand
	provinces           []Completion
	provinceProbability []float64
}

func (md *model) monteCarlo(cfg ForecastConfig, deadline events.Date) mcResult {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5deece66d))
	base := md.baseTrial()
	sp := md.rates.Spread
	random := sp != (Spread{})
	never := md.never()
	// The uncertainty of each rate's mean: its year-to-year variation over
	// the square root of the years it was learned from.
	sqn := math.Sqrt(math.Max(1, float64(md.rates.SpreadYears)))
	years := 0
	if len(md.months) > 0 {
		years = md.months[len(md.months)-1].y - md.start.y + 1
	}
	yearly := make([][5]float64, years)
	ne := md.rates.NoEvidence
	neMean := (float64(ne.Cancelled) + 1) / (float64(ne.Surveyed) + 2)
	neSD := math.Sqrt(neMean * (1 - neMean) / (float64(ne.Surveyed) + 3))
	nat := make([]int, cfg.Trials)
	byProv := make([][]int, len(md.provs))
	for p := range byProv {
		byProv[p] = make([]int, cfg.Trials)
	}
	// remaining[y] collects each trial's Article 5 area at the end of year
	// y; a trial that finished earlier counts as zero in the later years.
	remaining := map[int][]float64{}
	ob := &observer{yearEnd: func(y int, a5, _ float64) { remaining[y] = append(remaining[y], a5) }}
	for i := range nat {
		t := base
		if random {
			t = trial{
				prod:      draw(rng, base.prod, sp.Productivity/sqn),
				cancel:    clamp01(draw(rng, base.cancel, sp.CancelShare/sqn)),
				reduce:    math.Min(0.95, clamp01(draw(rng, base.reduce, sp.ReduceShare/sqn))),
				survey:    draw(rng, base.survey, sp.SurveyRate/sqn),
				discovery: draw(rng, base.discovery, sp.Discovery/sqn),
				shortfall: clamp01(draw(rng, md.rates.ShortfallShare, sp.Shortfall)),
			}
			// The baseline: SHA without evidence is cancelled at a rate
			// drawn from the record of such areas (the posterior
			// Beta(k+1, n−k+1), by its normal approximation).
			if ne.RemainingShare > 0 {
				t.cancel = clamp01(t.cancel + ne.RemainingShare*(neMean+neSD*rng.NormFloat64()-neMean))
			}
			for j := range yearly {
				yearly[j] = [5]float64{draw(rng, 1, sp.Productivity), draw(rng, 1, sp.CancelShare), draw(rng, 1, sp.ReduceShare),
					draw(rng, 1, sp.SurveyRate), draw(rng, 1, sp.Discovery)}
			}
			t.yearly = yearly
		}
		r := md.simulate(t, ob)
		nat[i] = r.national
		for p := range byProv {
			byProv[p][i] = r.done[p]
		}
	}
	met := func(ks []int) float64 {
		n := 0
		for _, k := range ks {
			if k < 0 || (k < never && !deadline.IsZero() && !md.months[k].last().After(deadline)) {
				n++
			}
		}
		return float64(n) / float64(len(ks))
	}
	pct := func(ks []int) Completion {
		s := append([]int(nil), ks...)
		sort.Ints(s)
		at := func(p float64) *events.Date {
			k := s[int(math.Min(float64(len(s)-1), math.Floor(p*float64(len(s)))))]
			if k < 0 {
				k = 0
			}
			return md.date(k)
		}
		return Completion{P10: at(0.10), P50: at(0.50), P90: at(0.90)}
	}
	out := mcResult{national: pct(nat), probability: met(nat)}
	if deadline.IsZero() {
		out.probability = 0
	}
	for p := range byProv {
		out.provinces = append(out.provinces, pct(byProv[p]))
		if byProv[p][0] < 0 { // nothing to do from the start, in every trial
			out.provinces[p] = Completion{}
		}
		pr := met(byProv[p])
		if deadline.IsZero() {
			pr = 0
		}
		out.provinceProbability = append(out.provinceProbability, pr)
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
	out.band = band
	return out
}
