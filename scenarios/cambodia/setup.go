package cambodia

import (
	"math"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// deadline emits an Article 5 deadline.
func (g *gen) deadline(d Deadline) {
	ms := make([]events.Milestone, len(d.Milestones))
	for i, m := range d.Milestones {
		ms[i] = events.Milestone{Year: m.Year, ReleaseM2: m.ReleaseM2}
	}
	g.try(domain.SetArticle5Deadline{Country: g.spec.Country, Deadline: d.Deadline.Date, Reason: d.Reason, Milestones: ms}, "cmaa")
}

// change returns the spec's change for an operator in a province, if any.
func (g *gen) change(op, province string) (Change, bool) {
	for _, c := range g.spec.Changes {
		if c.Operator == op && c.Province == province {
			return c, true
		}
	}
	return Change{}, false
}

// planDeployments lays out every deployment of the history: one per operator
// and province from history.from (or the change's start), the operator's
// deminers split over its provinces by their contamination, and the
// redeployments of the changes. None is emitted yet.
func (g *gen) planDeployments() {
	for i := range g.spec.Operators {
		op := &g.spec.Operators[i]
		weights := make([]float64, len(op.Provinces))
		for j, p := range op.Provinces {
			weights[j] = g.provs[p].TotalKm2
		}
		split := apportion(op.Deminers, weights)
		for j, p := range op.Provinces {
			d := &deployment{op: op, province: p, deminers: split[j], from: g.spec.History.From.Date}
			c, ok := g.change(op.Name, p)
			if ok && !c.Start.IsZero() {
				d.from = c.Start.Date
			}
			if ok && !c.Withdraw.IsZero() {
				d.to = c.Withdraw.Date
			}
			g.deps = append(g.deps, d)
			if ok && !c.Redeploy.IsZero() {
				n := c.Deminers
				if n == 0 {
					n = d.deminers
				}
				g.deps = append(g.deps, &deployment{op: op, province: p, deminers: n, from: c.Redeploy.Date, redeployed: true})
			}
		}
	}
}

// deployAll emits the deployments of the start of the history.
func (g *gen) deployAll() {
	for _, d := range g.deps {
		if !d.redeployed {
			g.deploy(d)
		}
	}
}

// redeploy emits the redeployments that start in year y.
func (g *gen) redeploy(y int) {
	for _, d := range g.deps {
		if d.redeployed && d.from.Year() == y {
			g.deploy(d)
		}
	}
}

// deploy emits a deployment.
func (g *gen) deploy(d *deployment) {
	op := d.op
	cmd := domain.DeployCapacity{
		Operator: op.Name, Province: d.province, Method: events.ClearanceMethod(op.Method),
		Deminers: d.deminers, From: d.from, Women: int(math.Round(float64(d.deminers) * op.WomenShare)),
		ProductivityM2PerDeminerDay: op.Productivity, WorkingDaysPerYear: g.spec.Behaviour.WorkingDays,
		AnnualCostUSD: int64(d.deminers) * op.CostPerDeminerYearUS,
	}
	if ref, ok := g.try(cmd, operator(op.Name)); ok {
		d.id = ref.ID
	}
}

// withdraw emits the withdrawals dated in year y, after the year's work.
func (g *gen) withdraw(y int) {
	for _, d := range g.deps {
		if d.id == uuid.Nil || d.to.IsZero() || d.to.Year() != y || g.deploymentState(d).Withdrawn {
			continue
		}
		reason := ""
		if c, ok := g.change(d.op.Name, d.province); ok {
			reason = c.Reason
		}
		g.try(domain.WithdrawCapacity{DeploymentID: d.id, On: d.to, Reason: reason}, operator(d.op.Name))
	}
}

// pledges emits the year's pledges.
func (g *gen) pledges(y int) {
	for _, p := range g.spec.Funding.Pledges {
		if amt := p.AmountUSD[y]; amt > 0 {
			g.try(domain.PledgeFunding{Donor: p.Donor, Year: y, AmountUSD: amt, Operator: p.Operator, Province: p.Province}, "cmaa")
		}
	}
}

// shortfalls emits the year's shortfalls: a share of the operator's pledges.
func (g *gen) shortfalls(y int) {
	for _, sf := range g.spec.Funding.Shortfalls {
		if sf.Year != y {
			continue
		}
		amt := int64(math.Round(float64(g.spec.pledged(sf.Operator, y)) * sf.Share))
		if amt > 0 {
			g.try(domain.RecordFundingShortfall{Year: y, AmountUSD: amt, Reason: sf.Reason, Operator: sf.Operator}, "cmaa")
		}
	}
}

// activeDays is how many days of year y the deployment works.
func (d *deployment) activeDays(y int) int {
	lo, hi := maxDate(jan1(y), d.from), dec31(y)
	if !d.to.IsZero() {
		hi = minDate(hi, d.to)
	}
	return max(0, daysBetween(lo, hi)+1)
}

// capacity is the area the deployment clears in year y, in m²: deminers ×
// stated productivity × working days, for the part of the year it is
// deployed, reduced by its operator's funding shortfall, times the share of
// the stated productivity the year's tasks let the deminers achieve.
func (g *gen) capacity(d *deployment, y int) float64 {
	f, ok := g.factor[opYear{d.op.Name, y}]
	if !ok {
		f = 1
	}
	py, _ := g.spec.Year(y)
	frac := float64(d.activeDays(y)) / float64(daysBetween(jan1(y), dec31(y))+1)
	return float64(d.deminers) * d.op.Productivity * float64(g.spec.Behaviour.WorkingDays) * frac * f * py.Productivity
}

// apportion splits n into whole parts proportional to weights, each at least
// 1 (largest remainders).
func apportion(n int, weights []float64) []int {
	out := make([]int, len(weights))
	if len(weights) == 0 {
		return out
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	rest := n - len(weights)
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		exact := float64(rest) * w / sum
		out[i] = 1 + int(math.Floor(exact))
		given += out[i]
		rems[i] = rem{i, exact - math.Floor(exact)}
	}
	for k := 0; given < n; k++ {
		best := -1
		for i, r := range rems {
			if r.r >= 0 && (best < 0 || r.r > rems[best].r) {
				best = i
			}
		}
		out[rems[best].i]++
		rems[best].r = -1
		given++
	}
	return out
}
