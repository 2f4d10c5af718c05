package domain

import (
	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// FundingLedger is a country's funding of one year: pledges and shortfalls.
type FundingLedger struct {
	Year         int
	Started      bool
	PledgedUSD   int64
	ShortfallUSD int64
	Pledges      []uuid.UUID
}

func (f FundingLedger) Exists() bool { return f.Started }

func (f FundingLedger) Evolve(e events.Event) State {
	switch e := e.(type) {
	case events.FundingPledged:
		f.Started, f.Year = true, e.Year
		f.PledgedUSD += e.AmountUSD
		f.Pledges = append(f.Pledges[:len(f.Pledges):len(f.Pledges)], e.FundingID)
	case events.FundingShortfallRecorded:
		f.Started, f.Year = true, e.Year
		f.ShortfallUSD += e.AmountUSD
	}
	return f
}

// PledgeFunding records a donor's pledge for a year.
type PledgeFunding struct {
	FundingID uuid.UUID `json:"funding_id"`
	Donor     string    `json:"donor"`
	Year      int       `json:"year"`
	AmountUSD int64     `json:"amount_usd"`
	Operator  string    `json:"operator,omitempty"`
	Province  string    `json:"province,omitempty"`
}

func (PledgeFunding) CommandName() string { return "PledgeFunding" }
func (c PledgeFunding) Validate(p *Problems) {
	required(p, "donor", c.Donor)
	validYear(p, "year", c.Year)
	usd(p, "amount_usd", c.AmountUSD, 1)
}
func (c PledgeFunding) Target(ctx Context) events.Ref { return events.FundingRef(ctx.Country, c.Year) }
func (PledgeFunding) Reads(Context) []events.Ref      { return nil }
func (c PledgeFunding) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	f, _ := s.(FundingLedger)
	id := c.FundingID
	if id == uuid.Nil {
		id = events.DerivedID(ctx.CommandID, "funding", 0, ctx.Now)
	}
	for _, p := range f.Pledges {
		if p == id {
			return nil, Errorf(ErrConflict, "funding_id", "pledge %s is already recorded", id)
		}
	}
	if c.Province != "" {
		if err := knownProvince(ctx, "province", c.Province); err != nil {
			return nil, err
		}
	}
	return []events.Event{events.FundingPledged{FundingID: id, Donor: c.Donor, Year: c.Year,
		AmountUSD: c.AmountUSD, Operator: c.Operator, Province: c.Province}}, nil
}

// RecordFundingShortfall records expected funding that did not arrive.
type RecordFundingShortfall struct {
	Year      int    `json:"year"`
	AmountUSD int64  `json:"amount_usd"`
	Reason    string `json:"reason"`
	Operator  string `json:"operator,omitempty"`
	Province  string `json:"province,omitempty"`
}

func (RecordFundingShortfall) CommandName() string { return "RecordFundingShortfall" }
func (c RecordFundingShortfall) Validate(p *Problems) {
	validYear(p, "year", c.Year)
	usd(p, "amount_usd", c.AmountUSD, 1)
	required(p, "reason", c.Reason)
}
func (c RecordFundingShortfall) Target(ctx Context) events.Ref {
	return events.FundingRef(ctx.Country, c.Year)
}
func (RecordFundingShortfall) Reads(Context) []events.Ref { return nil }
func (c RecordFundingShortfall) Decide(ctx Context, _ State, _ Reads) ([]events.Event, error) {
	if c.Province != "" {
		if err := knownProvince(ctx, "province", c.Province); err != nil {
			return nil, err
		}
	}
	return []events.Event{events.FundingShortfallRecorded{Year: c.Year, AmountUSD: c.AmountUSD,
		Reason: c.Reason, Operator: c.Operator, Province: c.Province}}, nil
}
