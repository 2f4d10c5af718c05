package domain_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

var fundingID = uuid.MustParse("01900000-0000-7000-8000-00000000f001")

func TestPledgeFunding(t *testing.T) {
	pledge := domain.PledgeFunding{FundingID: fundingID, Donor: "Japan", Year: 2021, AmountUSD: 3_000_000, Operator: "CMAC", Province: "Pailin"}
	runStories(t, []story{
		{
			name: "a donor pledges funding for a year",
			when: pledge,
			then: []events.Event{events.FundingPledged{FundingID: fundingID, Donor: "Japan", Year: 2021, AmountUSD: 3_000_000, Operator: "CMAC", Province: "Pailin"}},
			state: func(t *testing.T, s domain.State) {
				if f := s.(domain.FundingLedger); f.PledgedUSD != 3_000_000 || f.Year != 2021 || !f.Exists() {
					t.Errorf("ledger %+v", f)
				}
			},
		},
		{
			name:  "pledges of a year add up",
			given: []events.Event{events.FundingPledged{FundingID: uuid.MustParse("01900000-0000-7000-8000-00000000f002"), Donor: "UK", Year: 2021, AmountUSD: 1_000_000}},
			when:  pledge,
			then:  []events.Event{events.FundingPledged{FundingID: fundingID, Donor: "Japan", Year: 2021, AmountUSD: 3_000_000, Operator: "CMAC", Province: "Pailin"}},
			state: func(t *testing.T, s domain.State) {
				if f := s.(domain.FundingLedger); f.PledgedUSD != 4_000_000 || len(f.Pledges) != 2 {
					t.Errorf("ledger %+v, want 4,000,000 in two pledges", f)
				}
			},
		},
		{
			name:    "the same pledge is not recorded twice",
			given:   []events.Event{events.FundingPledged{FundingID: fundingID, Donor: "Japan", Year: 2021, AmountUSD: 3_000_000}},
			when:    pledge,
			refused: refused(domain.ErrConflict, "funding_id"),
		},
		{
			name:    "a pledge for a province outside the gazetteer is refused",
			when:    domain.PledgeFunding{Donor: "Japan", Year: 2021, AmountUSD: 1, Province: "Mordor"},
			refused: refused(domain.ErrInvalid, "province"),
		},
		{
			name:    "a pledge of nothing is refused",
			when:    domain.PledgeFunding{Donor: "Japan", Year: 2021},
			refused: refused(domain.ErrInvalid, "amount_usd"),
		},
		{
			name:    "a pledge needs a donor",
			when:    domain.PledgeFunding{Year: 2021, AmountUSD: 1},
			refused: refused(domain.ErrInvalid, "donor"),
		},
		{
			name:    "a year outside 1990-2100 is refused",
			when:    domain.PledgeFunding{Donor: "Japan", Year: 21, AmountUSD: 1},
			refused: refused(domain.ErrInvalid, "year"),
		},
	})
}

func TestPledgeWithoutIDDerivesItFromTheCommandID(t *testing.T) {
	_, evs, err := decide(nil, nil, domain.PledgeFunding{Donor: "Japan", Year: 2021, AmountUSD: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := evs[0].(events.FundingPledged).FundingID, events.DerivedID(commandID, "funding", 0, now); got != want {
		t.Errorf("funding_id %s, want %s", got, want)
	}
}

func TestRecordFundingShortfall(t *testing.T) {
	runStories(t, []story{
		{
			name:  "expected funding that did not arrive is recorded against the year's ledger",
			given: []events.Event{events.FundingPledged{FundingID: fundingID, Donor: "US", Year: 2020, AmountUSD: 5_000_000}},
			when:  domain.RecordFundingShortfall{Year: 2020, AmountUSD: 500_000, Reason: "COVID", Operator: "MAG", Province: "Battambang"},
			then:  []events.Event{events.FundingShortfallRecorded{Year: 2020, AmountUSD: 500_000, Reason: "COVID", Operator: "MAG", Province: "Battambang"}},
			state: func(t *testing.T, s domain.State) {
				if f := s.(domain.FundingLedger); f.PledgedUSD != 5_000_000 || f.ShortfallUSD != 500_000 {
					t.Errorf("ledger %+v", f)
				}
			},
		},
		{
			name:    "a shortfall needs a reason",
			when:    domain.RecordFundingShortfall{Year: 2020, AmountUSD: 500_000},
			refused: refused(domain.ErrInvalid, "reason"),
		},
		{
			name:    "a negative shortfall is refused",
			when:    domain.RecordFundingShortfall{Year: 2020, AmountUSD: -5, Reason: "x"},
			refused: refused(domain.ErrInvalid, "amount_usd"),
		},
		{
			name:    "a shortfall in a province outside the gazetteer is refused",
			when:    domain.RecordFundingShortfall{Year: 2020, AmountUSD: 5, Reason: "x", Province: "pailin "},
			refused: refused(domain.ErrInvalid, "province"),
		},
	})
}

func TestPledgesAndShortfallsOfAYearShareOneLedger(t *testing.T) {
	p := domain.PledgeFunding{Donor: "Japan", Year: 2021, AmountUSD: 1}.Target(ctx)
	s := domain.RecordFundingShortfall{Year: 2021, AmountUSD: 1, Reason: "x"}.Target(ctx)
	if p != s || p != events.FundingRef("KH", 2021) {
		t.Errorf("pledge targets %v, shortfall %v; want both %v", p, s, events.FundingRef("KH", 2021))
	}
}

func TestSetArticle5Deadline(t *testing.T) {
	first := events.Article5DeadlineSet{Country: "KH", Deadline: date("2025-12-31"), Reason: "second extension granted"}
	milestones := []events.Milestone{{Year: 2026, ReleaseM2: 90_000_000}, {Year: 2030, ReleaseM2: 10_000_000}}
	runStories(t, []story{
		{
			name: "the first deadline has no previous one",
			when: domain.SetArticle5Deadline{Country: "KH", Deadline: date("2025-12-31"), Reason: "second extension granted"},
			then: []events.Event{first},
		},
		{
			name:  "an extension records the deadline it replaces",
			given: []events.Event{first},
			when:  domain.SetArticle5Deadline{Country: "KH", Deadline: date("2030-12-31"), Reason: "third extension", Milestones: milestones},
			then: []events.Event{events.Article5DeadlineSet{Country: "KH", Deadline: date("2030-12-31"), Reason: "third extension",
				Milestones: milestones, PreviousDeadline: date("2025-12-31")}},
			state: func(t *testing.T, s domain.State) {
				if a := s.(domain.Article5); a.Deadline != date("2030-12-31") || a.Extensions != 1 || len(a.Milestones) != 2 {
					t.Errorf("article 5 state %+v", a)
				}
			},
		},
		{
			name:  "the decision date is recorded and is the event's date",
			given: []events.Event{first},
			when:  domain.SetArticle5Deadline{Country: "KH", Deadline: date("2030-12-31"), Reason: "third extension", DecidedOn: date("2025-12-05")},
			then: []events.Event{events.Article5DeadlineSet{Country: "KH", Deadline: date("2030-12-31"), Reason: "third extension",
				PreviousDeadline: date("2025-12-31"), DecidedOn: date("2025-12-05")}},
		},
		{
			name:    "a decision after the deadline it sets is refused",
			when:    domain.SetArticle5Deadline{Country: "KH", Deadline: date("2025-12-31"), Reason: "x", DecidedOn: date("2026-01-02")},
			refused: refused(domain.ErrInvalid, "decided_on"),
		},
		{
			name:    "setting the deadline it already has is refused",
			given:   []events.Event{first},
			when:    domain.SetArticle5Deadline{Country: "KH", Deadline: date("2025-12-31"), Reason: "again"},
			refused: refused(domain.ErrInvalid, "deadline"),
		},
		{
			name:    "an engine serving Cambodia does not set Laos's deadline",
			when:    domain.SetArticle5Deadline{Country: "LA", Deadline: date("2025-12-31"), Reason: "x"},
			refused: refused(domain.ErrInvalid, "country"),
		},
		{
			name:    "the country is an upper-case ISO code",
			when:    domain.SetArticle5Deadline{Country: "kh", Deadline: date("2025-12-31"), Reason: "x"},
			refused: refused(domain.ErrInvalid, "country"),
		},
		{
			name:    "a deadline needs a reason",
			when:    domain.SetArticle5Deadline{Country: "KH", Deadline: date("2025-12-31")},
			refused: refused(domain.ErrInvalid, "reason"),
		},
		{
			name: "a milestone after the deadline is refused",
			when: domain.SetArticle5Deadline{Country: "KH", Deadline: date("2025-12-31"), Reason: "x",
				Milestones: []events.Milestone{{Year: 2024, ReleaseM2: 1}, {Year: 2026, ReleaseM2: 1}}},
			refused: refused(domain.ErrInvalid, "milestones[1].year"),
		},
		{
			name: "a year with two milestones is refused",
			when: domain.SetArticle5Deadline{Country: "KH", Deadline: date("2025-12-31"), Reason: "x",
				Milestones: []events.Milestone{{Year: 2024, ReleaseM2: 1}, {Year: 2024, ReleaseM2: 2}}},
			refused: refused(domain.ErrInvalid, "milestones[1].year"),
		},
		{
			name: "a negative milestone is refused",
			when: domain.SetArticle5Deadline{Country: "KH", Deadline: date("2025-12-31"), Reason: "x",
				Milestones: []events.Milestone{{Year: 2024, ReleaseM2: -1}}},
			refused: refused(domain.ErrInvalid, "milestones[0].release_m2"),
		},
	})
}
