package cambodia

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/scenarios/cambodia/boundaries"
)

// checker collects problems under YAML paths.
type checker struct{ probs []SpecProblem }

func (c *checker) add(field, format string, args ...any) {
	c.probs = append(c.probs, SpecProblem{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (c *checker) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.add(field, "required")
	}
}

func (c *checker) share(field string, v float64) {
	if v < 0 || v > 1 || math.IsNaN(v) {
		c.add(field, "must be a share between 0 and 1, got %g", v)
	}
}

func (c *checker) notNegative(field string, v float64) {
	if v < 0 || math.IsNaN(v) {
		c.add(field, "must not be negative, got %g", v)
	}
}

func (c *checker) positive(field string, v float64) {
	if !(v > 0) {
		c.add(field, "must be greater than 0, got %g", v)
	}
}

func (c *checker) oneOf(field, v string, values []string) {
	if !slices.Contains(values, v) {
		c.add(field, "%q is not one of %s", v, strings.Join(values, ", "))
	}
}

// shares checks a map of shares keyed by a closed vocabulary: known keys,
// shares between 0 and 1, summing to 1.
func (c *checker) shares(field string, m map[string]float64, values []string) {
	if len(m) == 0 {
		c.add(field, "required: shares of %s", strings.Join(values, ", "))
		return
	}
	sum := 0.0
	for _, k := range sortedKeys(m) {
		c.oneOf(field+"."+k, k, values)
		c.share(field+"."+k, m[k])
		sum += m[k]
	}
	if math.Abs(sum-1) > 0.001 {
		c.add(field, "shares must sum to 1, got %g", sum)
	}
}

func (c *checker) year(field string, y int, h History) {
	if h.From.IsZero() || h.To.IsZero() {
		return
	}
	if y < h.From.Year() || y > h.To.Year() {
		c.add(field, "year %d is outside the history (%d–%d)", y, h.From.Year(), h.To.Year())
	}
}

func (c *checker) date(field string, d Date, h History) {
	if d.IsZero() || h.From.IsZero() || h.To.IsZero() {
		return
	}
	if d.Before(h.From.Date) || d.After(h.To.Date) {
		c.add(field, "%s is outside the history (%s to %s)", d, h.From, h.To)
	}
}

// problems returns every problem with the spec, with YAML paths as fields.
func (s Spec) problems() []SpecProblem {
	var c checker
	if len(s.Country) != 2 || strings.ToUpper(s.Country) != s.Country {
		c.add("country", "want an ISO 3166-1 alpha-2 code in capitals such as KH, got %q", s.Country)
	}
	gazetteer := domain.Provinces(s.Country)
	if gazetteer == nil {
		c.add("country", "no gazetteer of provinces for %q", s.Country)
	}
	s.checkHistory(&c)
	h := s.History
	for i, a := range s.Article5 {
		f := fmt.Sprintf("article5[%d]", i)
		c.year(f+".set_in", a.SetIn, h)
		if a.Deadline.IsZero() {
			c.add(f+".deadline", "required")
		}
		c.required(f+".reason", a.Reason)
		for j, m := range a.Milestones {
			mf := fmt.Sprintf("%s.milestones[%d]", f, j)
			if !a.Deadline.IsZero() && m.Year > a.Deadline.Year() {
				c.add(mf+".year", "year %d is after the deadline %s", m.Year, a.Deadline)
			}
			if m.Year < 1990 {
				c.add(mf+".year", "must be a year after 1990, got %d", m.Year)
			}
			c.notNegative(mf+".release_m2", float64(m.ReleaseM2))
		}
		if i > 0 && a.SetIn < s.Article5[i-1].SetIn {
			c.add(f+".set_in", "deadlines must be listed in the order they were set")
		}
	}
	s.checkBehaviour(&c)
	c.shares("land_use", s.LandUse, events.LandUseValues)
	r := s.Resurvey
	c.year("resurvey.year", r.Year, h)
	c.notNegative("resurvey.areas", float64(r.Areas))
	c.positive("resurvey.avg_ha", r.AvgHa)
	c.share("resurvey.cha_share", r.CHAShare)
	c.share("resurvey.without_evidence_share", r.WithoutEvidenceShare)

	names := map[string]bool{}
	for i, p := range s.Provinces {
		f := fmt.Sprintf("provinces[%d]", i)
		s.checkProvince(&c, f, p, gazetteer)
		if names[p.Name] {
			c.add(f+".name", "province %q is listed twice", p.Name)
		}
		names[p.Name] = true
	}
	if len(s.Provinces) == 0 {
		c.add("provinces", "required: at least one province")
	}
	known := func(field, name string) {
		if name != "" && !names[name] {
			c.add(field, "province %q is not one of the spec's provinces", name)
		}
	}
	u := s.Corrections.UnitError
	known("corrections.unit_error.province", u.Province)
	c.notNegative("corrections.unit_error.hectares", u.Hectares)
	if u.Hectares > 0 && (u.Hectares != math.Trunc(u.Hectares) || u.Hectares*10000 > math.MaxInt32) {
		c.add("corrections.unit_error.hectares", "must be a whole number of hectares, got %g", u.Hectares)
	}
	c.date("corrections.unit_error.corrected_on", u.CorrectedOn, h)
	if u.Province != "" && !u.CorrectedOn.IsZero() && !h.From.IsZero() && u.CorrectedOn.Year() != h.From.Year() {
		c.add("corrections.unit_error.corrected_on", "must be in the first year of the history (%d)", h.From.Year())
	}
	c.notNegative("corrections.districts", float64(s.Corrections.Districts))
	c.notNegative("corrections.villages", float64(s.Corrections.Villages))
	if s.Corrections.Districts+s.Corrections.Villages > 0 {
		c.year("corrections.year", s.Corrections.Year, h)
	}
	a := s.AuditCases
	known("audit_cases.cancel_reopen_clear.province", a.CancelReopenClear.Province)
	if a.CancelReopenClear.Province != "" {
		c.year("audit_cases.cancel_reopen_clear.cancelled_in", a.CancelReopenClear.CancelledIn, h)
		c.year("audit_cases.cancel_reopen_clear.reopened_in", a.CancelReopenClear.ReopenedIn, h)
		if a.CancelReopenClear.ReopenedIn <= a.CancelReopenClear.CancelledIn {
			c.add("audit_cases.cancel_reopen_clear.reopened_in", "must be after cancelled_in")
		}
	}
	known("audit_cases.downgrade_cancel.province", a.DowngradeCancel.Province)
	if a.DowngradeCancel.Province != "" {
		c.year("audit_cases.downgrade_cancel.downgraded_in", a.DowngradeCancel.DowngradedIn, h)
		c.year("audit_cases.downgrade_cancel.cancelled_in", a.DowngradeCancel.CancelledIn, h)
		if a.DowngradeCancel.CancelledIn <= a.DowngradeCancel.DowngradedIn {
			c.add("audit_cases.downgrade_cancel.cancelled_in", "must be after downgraded_in")
		}
	}

	ops := map[string]Operator{}
	for i, o := range s.Operators {
		f := fmt.Sprintf("operators[%d]", i)
		c.required(f+".name", o.Name)
		if _, dup := ops[o.Name]; dup {
			c.add(f+".name", "operator %q is listed twice", o.Name)
		}
		ops[o.Name] = o
		c.positive(f+".deminers", float64(o.Deminers))
		c.share(f+".women_share", o.WomenShare)
		if !(o.Productivity > 0 && o.Productivity <= 10000) {
			c.add(f+".productivity_m2_per_deminer_day", "must be between 0 and 10000, got %g", o.Productivity)
		}
		c.notNegative(f+".cost_per_deminer_year_usd", float64(o.CostPerDeminerYearUS))
		c.oneOf(f+".method", o.Method, events.ClearanceMethodValues)
		if len(o.Provinces) == 0 {
			c.add(f+".provinces", "required: at least one province")
		}
		if len(o.Provinces) > o.Deminers {
			c.add(f+".deminers", "%d deminers cannot cover %d provinces", o.Deminers, len(o.Provinces))
		}
		for j, p := range o.Provinces {
			known(fmt.Sprintf("%s.provinces[%d]", f, j), p)
		}
	}
	operatorIn := func(field, op, province string) {
		o, ok := ops[op]
		switch {
		case op == "":
		case !ok:
			c.add(field, "operator %q is not one of the spec's operators", op)
		case province != "" && !slices.Contains(o.Provinces, province):
			c.add(field, "operator %q does not work in %s", op, province)
		}
	}
	for i, ch := range s.Changes {
		f := fmt.Sprintf("changes[%d]", i)
		c.required(f+".operator", ch.Operator)
		operatorIn(f+".operator", ch.Operator, ch.Province)
		known(f+".province", ch.Province)
		c.date(f+".start", ch.Start, h)
		c.date(f+".withdraw", ch.Withdraw, h)
		c.date(f+".redeploy", ch.Redeploy, h)
		c.notNegative(f+".deminers", float64(ch.Deminers))
		if ch.Start.IsZero() && ch.Withdraw.IsZero() {
			c.add(f, "give start or withdraw")
		}
		if !ch.Start.IsZero() && !ch.Withdraw.IsZero() && !ch.Start.Before(ch.Withdraw.Date) {
			c.add(f+".withdraw", "must be after start")
		}
		if !ch.Redeploy.IsZero() && (ch.Withdraw.IsZero() || !ch.Withdraw.Before(ch.Redeploy.Date)) {
			c.add(f+".redeploy", "a redeployment follows a withdrawal")
		}
		for j := 0; j < i; j++ {
			if s.Changes[j].Operator == ch.Operator && s.Changes[j].Province == ch.Province {
				c.add(f, "a second change for %s in %s", ch.Operator, ch.Province)
			}
		}
	}
	for i, p := range s.Funding.Pledges {
		f := fmt.Sprintf("funding.pledges[%d]", i)
		c.required(f+".donor", p.Donor)
		operatorIn(f+".operator", p.Operator, p.Province)
		known(f+".province", p.Province)
		if len(p.AmountUSD) == 0 {
			c.add(f+".amount_usd", "required: amounts by year")
		}
		for _, y := range sortedKeys(p.AmountUSD) {
			c.year(fmt.Sprintf("%s.amount_usd.%d", f, y), y, h)
			c.positive(fmt.Sprintf("%s.amount_usd.%d", f, y), float64(p.AmountUSD[y]))
		}
	}
	for i, sf := range s.Funding.Shortfalls {
		f := fmt.Sprintf("funding.shortfalls[%d]", i)
		c.year(f+".year", sf.Year, h)
		c.required(f+".operator", sf.Operator)
		operatorIn(f+".operator", sf.Operator, "")
		if !(sf.Share > 0 && sf.Share <= 1) {
			c.add(f+".share", "must be a share above 0 and at most 1, got %g", sf.Share)
		}
		c.required(f+".reason", sf.Reason)
		if sf.Operator != "" && s.pledged(sf.Operator, sf.Year) == 0 {
			c.add(f+".operator", "%s has no pledge in %d to fall short of", sf.Operator, sf.Year)
		}
	}
	return c.probs
}

func (s Spec) checkHistory(c *checker) {
	h := s.History
	if h.From.IsZero() {
		c.add("history.from", "required")
	}
	if h.To.IsZero() {
		c.add("history.to", "required")
	}
	if h.From.IsZero() || h.To.IsZero() {
		return
	}
	if !h.From.Before(h.To.Date) {
		c.add("history.to", "%s is not after from (%s)", h.To, h.From)
	}
	if h.To.Year()-h.From.Year() > 20 {
		c.add("history.to", "a history of more than 20 years is not a demo")
	}
	so := h.StockOn
	switch {
	case so.IsZero():
		c.add("history.stock_on", "required")
	case so.Time().YearDay() != 1:
		c.add("history.stock_on", "must be the first day of a year, got %s", so)
	case so.Year() <= h.From.Year() || so.Year() > h.To.Year():
		c.add("history.stock_on", "must be a 1 January after the first year and within the history, got %s", so)
	}
}

func (s Spec) checkBehaviour(c *checker) {
	b := s.Behaviour
	s.checkYears(c)
	if !(b.NTSCancelShare > 0 && b.NTSCancelShare < 1) {
		c.add("behaviour.nts_cancel_share", "must be a share strictly between 0 and 1, got %g", b.NTSCancelShare)
	}
	c.share("behaviour.desk_share", b.DeskShare)
	if b.DeskShare >= 1 {
		c.add("behaviour.desk_share", "must be below 1: NTS makes the rest of the cancellations")
	}
	if b.WorkingDays < 1 || b.WorkingDays > 366 {
		c.add("behaviour.working_days", "must be between 1 and 366, got %d", b.WorkingDays)
	}
	if b.SizeSigma < 0 || b.SizeSigma > 3 {
		c.add("behaviour.size_sigma", "must be between 0 and 3, got %g", b.SizeSigma)
	}
	c.positive("behaviour.min_area_m2", float64(b.MinAreaM2))
	c.positive("behaviour.max_worked_ha", b.MaxWorkedHa)
	c.share("behaviour.evidence_share", b.EvidenceShare)
	c.share("behaviour.geometry_share", b.GeometryShare)
	if b.GeometryJitterDeg < 0 || b.GeometryJitterDeg > 1 {
		c.add("behaviour.geometry_jitter_deg", "must be between 0 and 1 degree, got %g", b.GeometryJitterDeg)
	}
	c.share("behaviour.community_request_share", b.CommunityRequestShare)
	c.notNegative("behaviour.discovered_areas_per_year", float64(b.DiscoveredAreasPerYear))
	c.notNegative("behaviour.discovery_km2_per_year", b.DiscoveryKm2PerYear)
	if b.DiscoveredAreasPerYear == 0 && b.DiscoveryKm2PerYear > 0 {
		c.add("behaviour.discovered_areas_per_year", "new contamination needs areas to hold it")
	}
	c.share("behaviour.reopen_share", b.ReopenShare)
	c.share("behaviour.qa_share", b.QAShare)
	c.notNegative("behaviour.reclassify_up_per_year", float64(b.ReclassifyUpPerYear))
	c.notNegative("behaviour.reclassify_down_per_year", float64(b.ReclassifyDownPerYear))
	c.notNegative("behaviour.ap_mines_per_ha", b.APMinesPerHa)
	c.notNegative("behaviour.at_mines_per_ha", b.ATMinesPerHa)
	c.notNegative("behaviour.erw_per_ha", b.ERWPerHa)
	if b.WorkPlansFrom != 0 {
		c.year("behaviour.workplans_from", b.WorkPlansFrom, s.History)
	}
}

// checkYears checks the programme of every year: one entry per year of the
// history, each with its survey, productivity and technical-survey share.
func (s Spec) checkYears(c *checker) {
	seen := map[int]bool{}
	for i, py := range s.Behaviour.Years {
		f := fmt.Sprintf("behaviour.years[%d]", i)
		c.year(f+".year", py.Year, s.History)
		if seen[py.Year] {
			c.add(f+".year", "year %d appears twice", py.Year)
		}
		seen[py.Year] = true
		c.notNegative(f+".nts_km2", py.NTSKm2)
		if !(py.Productivity > 0 && py.Productivity <= 3) {
			c.add(f+".productivity", "must be a factor above 0 and at most 3, got %g", py.Productivity)
		}
		if !(py.TSReduceShare >= 0 && py.TSReduceShare < 1) {
			c.add(f+".ts_reduce_share", "must be a share from 0 and below 1, got %g", py.TSReduceShare)
		}
		r := py.Record
		c.notNegative(f+".record.nts_cancelled_km2", r.NTSCancelledKm2)
		c.notNegative(f+".record.ts_reduced_km2", r.TSReducedKm2)
		c.notNegative(f+".record.cleared_km2", r.ClearedKm2)
		c.notNegative(f+".record.ap_mines", float64(r.APMines))
	}
	h := s.History
	if h.From.IsZero() || h.To.IsZero() || h.To.Year() < h.From.Year() {
		return
	}
	for y := h.From.Year(); y <= h.To.Year(); y++ {
		if !seen[y] {
			c.add("behaviour.years", "no entry for %d: every year of the history needs its programme", y)
		}
	}
}

func (s Spec) checkProvince(c *checker, f string, p Province, gazetteer []string) {
	if p.Name == "" {
		c.add(f+".name", "required")
	} else if gazetteer != nil && !slices.Contains(gazetteer, p.Name) {
		c.add(f+".name", "unknown province %q in %s", p.Name, s.Country)
	}
	c.notNegative(f+".total_km2", p.TotalKm2)
	c.notNegative(f+".cha_km2", p.CHAKm2)
	c.notNegative(f+".sha_km2", p.SHAKm2)
	if math.Abs(p.TotalKm2-p.CHAKm2-p.SHAKm2) > 0.5 {
		c.add(f+".total_km2", "%g km² is not cha_km2 + sha_km2 (%g)", p.TotalKm2, p.CHAKm2+p.SHAKm2)
	}
	c.notNegative(f+".cha_areas", float64(p.CHAAreas))
	c.notNegative(f+".sha_areas", float64(p.SHAAreas))
	if p.CHAKm2 > 0 && p.CHAAreas == 0 {
		c.add(f+".cha_areas", "%g km² of CHA need at least one area", p.CHAKm2)
	}
	if p.SHAKm2 > 0 && p.SHAAreas == 0 {
		c.add(f+".sha_areas", "%g km² of SHA need at least one area", p.SHAKm2)
	}
	c.notNegative(f+".casualties_2020", float64(p.Casualties2020))
	// Cambodia lies within 102.3–107.7 E, 10.4–14.7 N.
	if p.Centre.Lon < 102.3 || p.Centre.Lon > 107.7 || p.Centre.Lat < 10.4 || p.Centre.Lat > 14.7 {
		c.add(f+".centre", "[%g, %g] is not in Cambodia", p.Centre.Lon, p.Centre.Lat)
	} else if in, known := boundaries.Contains(p.Name, orb.Point{p.Centre.Lon, p.Centre.Lat}); known && !in {
		c.add(f+".centre", "[%g, %g] is outside %s's boundary (package boundaries): demo polygons are placed around it", p.Centre.Lon, p.Centre.Lat, p.Name)
	}
	c.shares(f+".hazards", p.Hazards, events.HazardValues)
	if len(p.Districts) == 0 {
		c.add(f+".districts", "required: at least one district")
	}
	for i, d := range p.Districts {
		df := fmt.Sprintf("%s.districts[%d]", f, i)
		c.required(df+".name", d.Name)
		for j, cm := range d.Communes {
			cf := fmt.Sprintf("%s.communes[%d]", df, j)
			c.required(cf+".name", cm.Name)
			for k, v := range cm.Villages {
				c.required(fmt.Sprintf("%s.villages[%d]", cf, k), v)
			}
		}
	}
}

// pledged is an operator's pledges of a year.
func (s Spec) pledged(op string, year int) int64 {
	var sum int64
	for _, p := range s.Funding.Pledges {
		if p.Operator == op {
			sum += p.AmountUSD[year]
		}
	}
	return sum
}

func sortedKeys[K int | string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
