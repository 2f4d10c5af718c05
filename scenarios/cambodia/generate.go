package cambodia

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// Generate returns the command history the spec describes, in the order it
// must be applied. It is deterministic: the same spec always gives the same
// commands with the same command IDs (derived from the seed and the index).
// Every command was validated and decided against the state the commands
// before it lead to; a command the domain refuses is left out (the demo's own
// tests require that none is). A spec that does not validate gives a
// *SpecError.
func Generate(spec Spec) ([]domain.CommandEnvelope, error) {
	out, _, err := generate(spec)
	return out, err
}

// generate also returns the commands the domain refused (dropped).
func generate(spec Spec) ([]domain.CommandEnvelope, []string, error) {
	if probs := spec.problems(); len(probs) > 0 {
		return nil, nil, &SpecError{Problems: probs}
	}
	g := newGen(spec)
	g.run()
	return g.out, g.refused, nil
}

// gen holds the state the generated commands lead to.
type gen struct {
	spec    Spec
	now     time.Time // the clock commands are decided with: after the whole history
	rng     *rand.Rand
	idSeed  uuid.UUID
	out     []domain.CommandEnvelope
	refused []string
	states  map[events.Ref]domain.State

	provs     map[string]*Province
	areas     []*area
	byProv    map[string][]*area
	deps      []*deployment
	factor    map[opYear]float64 // capacity left after shortfalls
	found     []discovery        // new contamination, drawn up front
	clearedM2 int64              // cleared so far, for the reopening rate
	fixes     []fix              // registration errors to correct
	caseA     *area              // audit case: cancelled, reopened, cleared
	caseB     *area              // audit case: downgraded, then cancelled
}

type opYear struct {
	op   string
	year int
}

// area is the generator's handle on a registered area.
type area struct {
	ref       events.Ref
	province  string
	place     place
	hazard    events.Hazard
	last      events.Date // the latest date of any command on the area
	reserved  bool        // kept out of the yearly work for an audit case
	planned   int         // the last year the area was in a work plan
	clearedBy string      // the operator that last cleared part of it
}

type place struct{ district, commune, village string }

// deployment is the generator's handle on a deployment.
type deployment struct {
	id         uuid.UUID
	op         *Operator
	province   string
	deminers   int
	from, to   events.Date // to: the withdrawal date, zero if none
	redeployed bool        // deployed again after a withdrawal, in from's year
}

func newGen(spec Spec) *gen {
	g := &gen{
		spec:   spec,
		now:    time.Date(spec.History.To.Year()+1, time.January, 1, 0, 0, 0, 0, time.UTC),
		rng:    rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15)),
		idSeed: events.NameID("cambodia-demo", fmt.Sprint(spec.Seed)),
		states: make(map[events.Ref]domain.State),
		provs:  make(map[string]*Province),
		byProv: make(map[string][]*area),
		factor: make(map[opYear]float64),
	}
	for i := range spec.Provinces {
		g.provs[spec.Provinces[i].Name] = &spec.Provinces[i]
	}
	for _, sf := range spec.Funding.Shortfalls {
		k := opYear{sf.Operator, sf.Year}
		f, ok := g.factor[k]
		if !ok {
			f = 1
		}
		g.factor[k] = math.Max(0, f-sf.Share)
	}
	return g
}

// run emits the whole history.
func (g *gen) run() {
	s := g.spec
	first, last := s.History.From.Year(), s.History.To.Year()
	for _, d := range s.Article5 {
		if d.SetIn == first {
			g.deadline(d)
		}
	}
	g.planDeployments()
	g.deployAll()
	g.drawDiscoveries()
	for y := first; y <= last; y++ {
		g.redeploy(y)
		g.pledges(y)
		if y == first {
			g.migrate()
		}
		g.discover(y)
		if y == s.Resurvey.Year {
			g.resurvey()
		}
		g.correct(y)
		g.reserveAuditCases(y)
		plans := g.plan(y)
		g.approve(y, plans)
		g.work(y, plans)
		g.reclassify(y)
		g.reopen(y)
		g.auditCases(y)
		g.shortfalls(y)
		g.withdraw(y)
		for _, d := range s.Article5 {
			if d.SetIn == y && y != first {
				g.deadline(d)
			}
		}
	}
	g.restrictBorder()
}

// try validates and decides cmd on the generator's state; if it is accepted
// the events are applied and the command emitted. It returns the target.
func (g *gen) try(cmd domain.Command, actor string) (events.Ref, bool) {
	id := events.DerivedID(g.idSeed, "command", len(g.out), g.now)
	c := domain.Context{Country: g.spec.Country, CommandID: id, Now: g.now}
	ref := cmd.Target(c)
	var p domain.Problems
	cmd.Validate(&p)
	if err := p.Err(cmd.CommandName()); err != nil {
		g.refused = append(g.refused, err.Error())
		return ref, false
	}
	s, ok := g.states[ref]
	if !ok {
		s = domain.NewState(ref.Kind)
	}
	var reads domain.Reads
	if rs := cmd.Reads(c); len(rs) > 0 {
		reads = make(domain.Reads, len(rs))
		for _, r := range rs {
			if st, ok := g.states[r]; ok {
				reads[r] = st
			} else {
				reads[r] = domain.NewState(r.Kind)
			}
		}
	}
	evs, err := cmd.Decide(c, s, reads)
	if err != nil {
		g.refused = append(g.refused, fmt.Sprintf("%s: %v", cmd.CommandName(), err))
		return ref, false
	}
	for _, e := range evs {
		s = s.Evolve(e)
	}
	g.states[ref] = s
	g.out = append(g.out, domain.CommandEnvelope{ID: id, Actor: actor, Command: cmd})
	return ref, true
}

// act emits a command on an area dated on, and moves the area's last date.
func (g *gen) act(a *area, on events.Date, cmd domain.Command, actor string) bool {
	_, ok := g.try(cmd, actor)
	if ok && on.After(a.last) {
		a.last = on
	}
	return ok
}

// state returns the domain's state of an area.
func (g *gen) state(a *area) domain.Area {
	s, _ := g.states[a.ref].(domain.Area)
	return s
}

func (g *gen) deploymentState(d *deployment) domain.Deployment {
	s, _ := g.states[events.Ref{Country: g.spec.Country, Kind: events.KindDeployment, ID: d.id}].(domain.Deployment)
	return s
}

func mapu(province string) string { return "mapu:" + province }
func operator(name string) string { return "operator:" + name }

// --- dates and randomness ------------------------------------------------

func jan1(y int) events.Date  { return events.NewDate(y, time.January, 1) }
func dec31(y int) events.Date { return events.NewDate(y, time.December, 31) }

func maxDate(a, b events.Date) events.Date {
	if a.After(b) {
		return a
	}
	return b
}

func minDate(a, b events.Date) events.Date {
	if a.Before(b) {
		return a
	}
	return b
}

// daysBetween is the number of days from a to b (negative if b is earlier).
func daysBetween(a, b events.Date) int {
	return int(math.Round(b.Time().Sub(a.Time()).Hours() / 24))
}

// between returns a uniform date in [lo, hi]; lo when hi is earlier.
func (g *gen) between(lo, hi events.Date) events.Date {
	n := daysBetween(lo, hi)
	if n <= 0 {
		return lo
	}
	return lo.AddDays(g.rng.IntN(n + 1))
}

// dates returns n non-decreasing dates in [lo, hi].
func (g *gen) dates(lo, hi events.Date, n int) []events.Date {
	span := daysBetween(lo, hi)
	offs := make([]int, n)
	for i := range offs {
		if span > 0 {
			offs[i] = g.rng.IntN(span + 1)
		}
	}
	slices.Sort(offs)
	out := make([]events.Date, n)
	for i, o := range offs {
		out[i] = lo.AddDays(o)
	}
	return out
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// pick returns a key of a map of shares, drawn by share, in key order.
func (g *gen) pick(m map[string]float64) string {
	keys := sortedKeys(m)
	u := g.rng.Float64()
	for _, k := range keys {
		u -= m[k]
		if u < 0 {
			return k
		}
	}
	return keys[len(keys)-1]
}

// lognormal draws n sizes with mean about 1 and the spec's spread.
func (g *gen) lognormal(n int) []float64 {
	s := g.spec.Behaviour.SizeSigma
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Exp(s*g.rng.NormFloat64() - s*s/2)
	}
	return out
}

// sizes returns n integer sizes in m², lognormal, summing to about total.
func (g *gen) sizes(n int, total float64) []int64 {
	if n == 0 {
		return nil
	}
	raw := g.lognormal(n)
	sum := 0.0
	for _, r := range raw {
		sum += r
	}
	min := g.spec.Behaviour.MinAreaM2
	out := make([]int64, n)
	var got int64
	big := 0
	for i, r := range raw {
		out[i] = max(min, int64(math.Round(r/sum*total)))
		got += out[i]
		if out[i] > out[big] {
			big = i
		}
	}
	if d := int64(math.Round(total)) - got; out[big]+d >= min {
		out[big] += d
	}
	return out
}

// poisson draws a count with the given mean (normal approximation above 30).
func (g *gen) poisson(mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*g.rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= g.rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// order returns the areas in a weighted random order: heavier first.
func (g *gen) order(as []*area, weight func(*area) float64) []*area {
	type keyed struct {
		a   *area
		key float64
	}
	ks := make([]keyed, len(as))
	for i, a := range as {
		ks[i] = keyed{a, math.Pow(g.rng.Float64(), 1/math.Max(weight(a), 1e-9))}
	}
	slices.SortStableFunc(ks, func(x, y keyed) int { return cmp.Compare(y.key, x.key) })
	out := make([]*area, len(ks))
	for i, k := range ks {
		out[i] = k.a
	}
	return out
}
