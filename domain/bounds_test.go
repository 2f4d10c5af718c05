package domain_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// bound is one plausible bound told as two stories with the same history:
// the command with the value at the limit is accepted, and the same command
// one step past it is refused as invalid, naming the field.
type bound struct {
	name  string
	given []events.Event
	at    domain.Command // at the limit: accepted
	past  domain.Command // one past it: refused
	field string
}

func (b bound) run(t *testing.T) {
	t.Helper()
	_, evs, err := decide(b.given, nil, b.at)
	if err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if len(evs) == 0 {
		t.Fatal("at the limit: no event decided")
	}
	_, evs, err = decide(b.given, nil, b.past)
	wantRefusal(t, err, domain.ErrInvalid, b.field)
	if len(evs) > 0 {
		t.Errorf("past the limit: decided %s", show(evs))
	}
}

func TestEveryQuantityHasAPlausibleBound(t *testing.T) {
	const maxA = domain.MaxAreaM2
	reg := func(f func(*domain.RegisterSuspectedArea)) domain.RegisterSuspectedArea {
		c := registration()
		f(&c)
		return c
	}
	dep := func(f func(*domain.DeployCapacity)) domain.DeployCapacity {
		c := deployment()
		f(&c)
		return c
	}
	clear := func(f func(*domain.ClearArea)) domain.ClearArea {
		c := domain.ClearArea{AreaID: areaID, On: date("2021-03-01"), SizeM2: 100, Operator: "HALO"}
		f(&c)
		return c
	}
	pledge := func(amount int64, year int) domain.PledgeFunding {
		return domain.PledgeFunding{Donor: "Japan", Year: year, AmountUSD: amount}
	}
	shortfall := func(amount int64) domain.RecordFundingShortfall {
		return domain.RecordFundingShortfall{Year: 2024, AmountUSD: amount, Reason: "donor cut"}
	}
	deadline := func(d events.Date, release int64) domain.SetArticle5Deadline {
		return domain.SetArticle5Deadline{Country: "KH", Deadline: d, Reason: "extension",
			Milestones: []events.Milestone{{Year: 2025, ReleaseM2: release}}}
	}
	whole := []events.Event{registered(maxA)}
	releasedWhole := []events.Event{registered(maxA), cleared(maxA, 0)}
	small := []events.Event{registered(1000)}

	for _, b := range []bound{
		{name: "an area as large as Cambodia can be registered", field: "size_m2",
			at:   reg(func(c *domain.RegisterSuspectedArea) { c.SizeM2 = maxA }),
			past: reg(func(c *domain.RegisterSuspectedArea) { c.SizeM2 = maxA + 1 })},
		{name: "a registered size must be positive", field: "size_m2",
			at:   reg(func(c *domain.RegisterSuspectedArea) { c.SizeM2 = 1 }),
			past: reg(func(c *domain.RegisterSuspectedArea) { c.SizeM2 = 0 })},
		{name: "casualties of the last five years", field: "casualties_last_5y",
			at:   reg(func(c *domain.RegisterSuspectedArea) { c.CasualtiesLast5y = domain.MaxCasualties }),
			past: reg(func(c *domain.RegisterSuspectedArea) { c.CasualtiesLast5y = domain.MaxCasualties + 1 })},
		{name: "casualties are not negative", field: "casualties_last_5y",
			at:   reg(func(c *domain.RegisterSuspectedArea) { c.CasualtiesLast5y = 0 }),
			past: reg(func(c *domain.RegisterSuspectedArea) { c.CasualtiesLast5y = -1 })},
		{name: "registration date from 1900", field: "registered_on",
			at:   reg(func(c *domain.RegisterSuspectedArea) { c.RegisteredOn = date("1900-01-01") }),
			past: reg(func(c *domain.RegisterSuspectedArea) { c.RegisteredOn = date("1899-12-31") })},
		{name: "evidence dates from 1900", field: "evidence[0].observed_on",
			at: reg(func(c *domain.RegisterSuspectedArea) {
				c.Evidence = []events.Evidence{{Kind: "MILITARY_RECORD", ObservedOn: date("1900-01-01")}}
			}),
			past: reg(func(c *domain.RegisterSuspectedArea) {
				c.Evidence = []events.Evidence{{Kind: "MILITARY_RECORD", ObservedOn: date("1899-12-31")}}
			})},
		{name: "recorded evidence from 1900", field: "observed_on", given: small,
			at:   domain.RecordEvidence{AreaID: areaID, Kind: "MILITARY_RECORD", ObservedOn: date("1900-01-01")},
			past: domain.RecordEvidence{AreaID: areaID, Kind: "MILITARY_RECORD", ObservedOn: date("1899-12-31")}},
		{name: "a confirmed size", field: "size_m2", given: whole,
			at:   domain.ConfirmHazardousArea{AreaID: areaID, On: today, SizeM2: maxA},
			past: domain.ConfirmHazardousArea{AreaID: areaID, On: today, SizeM2: maxA + 1}},
		{name: "a cancelled size", field: "size_m2", given: whole,
			at:   domain.CancelArea{AreaID: areaID, On: today, Method: "NTS", Reason: "no evidence", SizeM2: maxA},
			past: domain.CancelArea{AreaID: areaID, On: today, Method: "NTS", Reason: "no evidence", SizeM2: maxA + 1}},
		{name: "a cancelled size is not negative", field: "size_m2", given: whole,
			at:   domain.CancelArea{AreaID: areaID, On: today, Method: "NTS", Reason: "no evidence", SizeM2: 0},
			past: domain.CancelArea{AreaID: areaID, On: today, Method: "NTS", Reason: "no evidence", SizeM2: -1}},
		{name: "a reduced size", field: "size_m2", given: whole,
			at:   domain.ReduceArea{AreaID: areaID, On: today, SizeM2: maxA, Operator: "MAG"},
			past: domain.ReduceArea{AreaID: areaID, On: today, SizeM2: maxA + 1, Operator: "MAG"}},
		{name: "a cleared size", field: "size_m2", given: whole,
			at:   clear(func(c *domain.ClearArea) { c.SizeM2 = maxA }),
			past: clear(func(c *domain.ClearArea) { c.SizeM2 = maxA + 1 })},
		{name: "AP mines destroyed", field: "ap_mines_destroyed", given: small,
			at:   clear(func(c *domain.ClearArea) { c.APMinesDestroyed = domain.MaxDevices }),
			past: clear(func(c *domain.ClearArea) { c.APMinesDestroyed = domain.MaxDevices + 1 })},
		{name: "AT mines destroyed", field: "at_mines_destroyed", given: small,
			at:   clear(func(c *domain.ClearArea) { c.ATMinesDestroyed = domain.MaxDevices }),
			past: clear(func(c *domain.ClearArea) { c.ATMinesDestroyed = domain.MaxDevices + 1 })},
		{name: "ERW destroyed", field: "erw_destroyed", given: small,
			at:   clear(func(c *domain.ClearArea) { c.ERWDestroyed = domain.MaxDevices }),
			past: clear(func(c *domain.ClearArea) { c.ERWDestroyed = domain.MaxDevices + 1 })},
		{name: "devices destroyed are not negative", field: "erw_destroyed", given: small,
			at:   clear(func(c *domain.ClearArea) { c.ERWDestroyed = 0 }),
			past: clear(func(c *domain.ClearArea) { c.ERWDestroyed = -1 })},
		{name: "a corrected size", field: "size_m2", given: small,
			at:   domain.CorrectAreaRecord{AreaID: areaID, On: today, Reason: "unit", SizeM2: ptr(maxA)},
			past: domain.CorrectAreaRecord{AreaID: areaID, On: today, Reason: "unit", SizeM2: ptr(maxA + 1)}},
		{name: "a reopened size", field: "size_m2", given: releasedWhole,
			at: domain.ReopenArea{AreaID: areaID, On: today, To: "CHA", SizeM2: maxA, Reason: "accident",
				Evidence: []events.Evidence{accident}},
			past: domain.ReopenArea{AreaID: areaID, On: today, To: "CHA", SizeM2: maxA + 1, Reason: "accident",
				Evidence: []events.Evidence{accident}}},
		{name: "deminers of one deployment", field: "deminers",
			at:   dep(func(c *domain.DeployCapacity) { c.Deminers = domain.MaxDeminers }),
			past: dep(func(c *domain.DeployCapacity) { c.Deminers, c.Women = domain.MaxDeminers+1, 0 })},
		{name: "a deployment has deminers", field: "deminers",
			at:   dep(func(c *domain.DeployCapacity) { c.Deminers, c.Women = 1, 0 }),
			past: dep(func(c *domain.DeployCapacity) { c.Deminers, c.Women = 0, 0 })},
		{name: "productivity", field: "productivity_m2_per_deminer_day",
			at: dep(func(c *domain.DeployCapacity) { c.ProductivityM2PerDeminerDay = domain.MaxProductivityM2PerDeminerDay }),
			past: dep(func(c *domain.DeployCapacity) {
				c.ProductivityM2PerDeminerDay = domain.MaxProductivityM2PerDeminerDay + 0.5
			})},
		{name: "productivity is a number", field: "productivity_m2_per_deminer_day",
			at:   dep(func(c *domain.DeployCapacity) { c.ProductivityM2PerDeminerDay = 0 }),
			past: dep(func(c *domain.DeployCapacity) { c.ProductivityM2PerDeminerDay = math.NaN() })},
		{name: "working days in a year", field: "working_days_per_year",
			at:   dep(func(c *domain.DeployCapacity) { c.WorkingDaysPerYear = 366 }),
			past: dep(func(c *domain.DeployCapacity) { c.WorkingDaysPerYear = 367 })},
		{name: "annual cost of a deployment", field: "annual_cost_usd",
			at:   dep(func(c *domain.DeployCapacity) { c.AnnualCostUSD = domain.MaxUSD }),
			past: dep(func(c *domain.DeployCapacity) { c.AnnualCostUSD = domain.MaxUSD + 1 })},
		{name: "a planned end by 2100", field: "to",
			at:   dep(func(c *domain.DeployCapacity) { c.To = date("2100-12-31") }),
			past: dep(func(c *domain.DeployCapacity) { c.To = date("2101-01-01") })},
		{name: "a start by 2100", field: "from",
			at:   dep(func(c *domain.DeployCapacity) { c.From, c.To = date("2100-12-31"), events.Date{} }),
			past: dep(func(c *domain.DeployCapacity) { c.From, c.To = date("2101-01-01"), events.Date{} })},
		{name: "a pledge", field: "amount_usd",
			at: pledge(domain.MaxUSD, 2024), past: pledge(domain.MaxUSD+1, 2024)},
		{name: "a pledge is positive", field: "amount_usd",
			at: pledge(1, 2024), past: pledge(0, 2024)},
		{name: "a pledge's year", field: "year",
			at: pledge(1, domain.MaxYear), past: pledge(1, domain.MaxYear+1)},
		{name: "a pledge's earliest year", field: "year",
			at: pledge(1, domain.MinYear), past: pledge(1, domain.MinYear-1)},
		{name: "a shortfall", field: "amount_usd",
			at: shortfall(domain.MaxUSD), past: shortfall(domain.MaxUSD + 1)},
		{name: "a milestone", field: "milestones[0].release_m2",
			at: deadline(date("2030-12-31"), maxA), past: deadline(date("2030-12-31"), maxA+1)},
		{name: "a deadline by 2100", field: "deadline",
			at: deadline(date("2100-12-31"), 0), past: deadline(date("2101-01-01"), 0)},
	} {
		t.Run(b.name, b.run)
	}
}

// The values of issue 13: an int64 near its limit and 1e15 m² are refused,
// and the message names the bound and the value.
func TestImplausibleSizesAreRefusedNamingBoundAndValue(t *testing.T) {
	for _, size := range []int64{9_000_000_000_000_000_000, 1e15, -5} {
		c := registration()
		c.SizeM2 = size
		_, evs, err := decide(nil, nil, c)
		wantRefusal(t, err, domain.ErrInvalid, "size_m2")
		if len(evs) > 0 {
			t.Fatalf("size %d decided %s", size, show(evs))
		}
		var p domain.Problems
		c.Validate(&p)
		if len(p) != 1 {
			t.Fatalf("size %d: problems %v, want one", size, p)
		}
		if size > 0 && !(strings.Contains(p[0].Reason, "181035000000") && strings.Contains(p[0].Reason, strconv.FormatInt(size, 10))) {
			t.Errorf("size %d: reason %q does not name the bound and the value", size, p[0].Reason)
		}
	}
}
