package domain

import (
	"math"

	"github.com/landrelease/landrelease/events"
)

// Plausible bounds of every size, count and money field of the commands,
// defined once here and checked by each command's Validate, so that every
// entry path (exec, import, the API, the command bus, scenarios) refuses the
// same values with the same message. They are far above anything a national
// programme records and far below what would overflow the int64 sums of the
// read model: docs/security.md ("Plausible quantities") shows the arithmetic.
const (
	// MaxAreaM2 bounds every area in m² (a hazard area's size, a part
	// released or reopened, a year's Article 5 milestone): Cambodia's land
	// area, 181,035 km². No hazard area anywhere comes near it (the largest
	// recorded are a few hundred km²); a value above it is a unit mistake
	// or an attack on the sums.
	MaxAreaM2 int64 = 181_035 * 1_000_000

	// MaxCasualties bounds casualties_last_5y of one area: far above any
	// country's recorded toll over five years.
	MaxCasualties = 100_000

	// MaxDevices bounds each device count of one clearance record
	// (ap_mines_destroyed, at_mines_destroyed, erw_destroyed): ten million,
	// more than all the mines and ERW Cambodia has destroyed since 1992.
	MaxDevices = 10_000_000

	// MaxDeminers bounds the deminers of one deployment: more than any
	// national programme has ever fielded in total.
	MaxDeminers = 100_000

	// MaxProductivityM2PerDeminerDay bounds productivity_m2_per_deminer_day:
	// manual clearance does tens of m² per deminer a day, machines a few
	// thousand.
	MaxProductivityM2PerDeminerDay = 10_000.0

	// MaxWorkingDaysPerYear bounds working_days_per_year: a leap year.
	MaxWorkingDaysPerYear = 366

	// MaxUSD bounds every amount in US dollars (a pledge, a shortfall, a
	// deployment's annual cost): one billion, far above what a whole
	// national programme spends in a year.
	MaxUSD int64 = 1_000_000_000

	// MinYear and MaxYear bound every year field (funding, work plans,
	// milestones): from the first years of organised mine action to the end
	// of any planning horizon.
	MinYear = 1990
	MaxYear = 2100
)

// MinDate and MaxDate bound every date of a command: from the start of the
// century whose wars left the remnants still being cleared (a military
// record of 1916 is evidence) to the end of MaxYear. Dates of facts must in
// addition not be in the future (see notInFuture).
var (
	MinDate = events.NewDate(1900, 1, 1)
	MaxDate = events.NewDate(MaxYear, 12, 31)
)

// inRange adds a problem when v is outside [lo, hi], naming the field, the
// bound and the value.
func inRange(p *Problems, field string, v, lo, hi int64) {
	switch {
	case v < lo && lo == 1:
		p.Add(field, "must be greater than 0, got %d", v)
	case v < lo && lo == 0:
		p.Add(field, "must not be negative, got %d", v)
	case v < lo:
		p.Add(field, "must be at least %d, got %d", lo, v)
	case v > hi:
		p.Add(field, "must be at most %d, got %d", hi, v)
	}
}

// areaM2 checks an area in m²: at least min (0 or 1) and at most MaxAreaM2.
func areaM2(p *Problems, field string, v, min int64) {
	if v > MaxAreaM2 {
		p.Add(field, "must be at most %d m² (%d km², the land area of Cambodia), got %d", MaxAreaM2, MaxAreaM2/1_000_000, v)
		return
	}
	inRange(p, field, v, min, MaxAreaM2)
}

// usd checks an amount in US dollars: at least min and at most MaxUSD.
func usd(p *Problems, field string, v, min int64) {
	if v > MaxUSD {
		p.Add(field, "must be at most US$ %d (one billion), got %d", MaxUSD, v)
		return
	}
	inRange(p, field, v, min, MaxUSD)
}

// count checks a count: at least min and at most max.
func count(p *Problems, field string, v, min, max int) {
	inRange(p, field, int64(v), int64(min), int64(max))
}

// validDate checks a date, when given, against MinDate and MaxDate.
func validDate(p *Problems, field string, d events.Date) {
	if d.IsZero() {
		return
	}
	if d.Before(MinDate) || d.After(MaxDate) {
		p.Add(field, "must be between %s and %s, got %s", MinDate, MaxDate, d)
	}
}

// validFloat checks a float field against [lo, hi], NaN and infinities
// included (JSON cannot carry them, Go callers can).
func validFloat(p *Problems, field string, v, lo, hi float64) {
	if math.IsNaN(v) || v < lo || v > hi {
		p.Add(field, "must be between %g and %g, got %g", lo, hi, v)
	}
}
