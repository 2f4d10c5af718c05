package projections_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// rec is an event with the instant it was recorded.
type rec struct {
	e  events.Event
	at time.Time
}

// knownAt folds the events keep accepts, as Replay does, with each
// envelope's occurred-on date as the engine sets it (the fact's own date, or
// the day it was recorded).
func knownAt(keep func(events.Envelope) bool, rs ...rec) *projections.National {
	n := projections.NewNational()
	n.Untracked = true
	for i, r := range rs {
		on := events.OccurredOn(r.e)
		if on.IsZero() {
			on = events.NewDate(r.at.Year(), r.at.Month(), r.at.Day())
		}
		env := events.Envelope{Sequence: uint64(i + 1), OccurredOn: on, RecordedAt: r.at, Data: r.e}
		if keep(env) {
			n.Apply(env)
		}
	}
	return n
}

func at(s string) time.Time { return events.MustDate(s).Time().Add(9 * time.Hour) }

func within(t *testing.T, what string, got *events.Date, want string, days float64) {
	t.Helper()
	w := events.MustDate(want)
	if got == nil {
		t.Fatalf("%s: never, want %s", what, want)
	}
	if d := got.Time().Sub(w.Time()).Hours() / 24; d > days || d < -days {
		t.Fatalf("%s: %s, want %s ± %.0f days", what, got, want, days)
	}
}

// As of 2019-12-31, with everything recorded in 2022: one CHA of 1,200,000
// m²; deployment A (100 deminers × 20 m²/day × 240 days = 480,000 m²/yr)
// from 2020-01-01, withdrawn after 2020-12-31; deployment B (50 × 20 × 240 =
// 240,000 m²/yr) from 2021-01-01; the 2025 deadline (set in 2019, no
// decision date); clearance in 2020 (a field fact after the as-of date); and
// a 2030 extension decided in 2025. By hand: 2020 clears 480,000 (720,000
// left), then 20,000 a month: 36 months, done at the end of 2023, before the
// 2025 deadline, which is the one known on 2019-12-31.
func TestForecastAsOfKnowsThePlansOnRecord(t *testing.T) {
	area, a, b := uuid.New(), uuid.New(), uuid.New()
	rs := []rec{
		{events.AreaRegistered{AreaID: area, Province: "Pailin", Hazard: "AP", Classification: "CHA", SizeM2: 1_200_000,
			RegisteredOn: events.MustDate("2019-06-01"), Source: "BLS"}, at("2019-06-02")},
		{events.Article5DeadlineSet{Country: "KH", Deadline: events.MustDate("2025-12-31"), Reason: "second extension",
			Milestones: []events.Milestone{{Year: 2020, ReleaseM2: 400_000}, {Year: 2021, ReleaseM2: 300_000}}}, at("2022-03-01")},
		{events.CapacityDeployed{DeploymentID: a, Operator: "CMAC", Province: "Pailin", Method: "MANUAL", Deminers: 100,
			From: events.MustDate("2020-01-01"), ProductivityM2PerDeminerDay: 20, WorkingDaysPerYear: 240}, at("2022-03-01")},
		{events.CapacityDeployed{DeploymentID: b, Operator: "HALO", Province: "Pailin", Method: "MANUAL", Deminers: 50,
			From: events.MustDate("2021-01-01"), ProductivityM2PerDeminerDay: 20, WorkingDaysPerYear: 240}, at("2022-03-01")},
		{events.CapacityWithdrawn{DeploymentID: a, On: events.MustDate("2020-12-31"), Reason: "funding ended"}, at("2022-03-01")},
		{events.AreaCleared{AreaID: area, On: events.MustDate("2020-06-30"), SizeM2: 100_000, Operator: "CMAC"}, at("2022-03-01")},
		{events.Article5DeadlineSet{Country: "KH", Deadline: events.MustDate("2030-12-31"), Reason: "third extension",
			PreviousDeadline: events.MustDate("2025-12-31"), DecidedOn: events.MustDate("2025-12-05")}, at("2025-12-06")},
	}
	asOf := events.MustDate("2019-12-31")
	n := knownAt(projections.KnownAt(asOf, time.Time{}), rs...)
	f := projections.RunForecast(n, cfgAt("2020-01-01"))
	if f.RemainingM2 != 1_200_000 {
		t.Fatalf("remaining %d, want the 1,200,000 m² known on %s (the 2020 clearance had not happened)", f.RemainingM2, asOf)
	}
	within(t, "completion", f.DeterministicCompletion, "2023-12-31", 31)
	if f.Deadline == nil || *f.Deadline != events.MustDate("2025-12-31") {
		t.Fatalf("deadline %v, want the 2025-12-31 deadline in force on %s", f.Deadline, asOf)
	}
	if !f.OnTrack || len(f.Milestones) != 2 || !f.Milestones[0].Met || f.Milestones[0].Basis != "forecast" {
		t.Fatalf("on track %v, milestones %+v", f.OnTrack, f.Milestones)
	}
	// The old as-of (occurred by the date only) forgot the deployments, the
	// withdrawal and the deadline: with KnownAt they are there.
	old := knownAt(projections.AsOf(asOf), rs...)
	if len(old.Deployments) != 0 || len(old.Deadlines) != 0 || len(n.Deployments) != 2 || len(n.Deadlines) != 1 {
		t.Fatalf("AsOf folds %d deployments and %d deadlines, KnownAt %d and %d", len(old.Deployments), len(old.Deadlines), len(n.Deployments), len(n.Deadlines))
	}

	// As of 2021-06-30 the 2020 clearance is known: 1,100,000 m² left. It
	// achieved 100,000 m² of a stated 480,000 + 240,000 × 181/365 =
	// 599,014 m² in the window; with the prior of a quarter year of B's
	// 240,000 m²/yr (60,000 m² at φ = 1) the factor is 160,000 / 659,014 =
	// 0.2428, and B clears 20,000 × 0.2428 = 4,856 m² a month: 226.5
	// months from July 2021, done in May 2040.
	n2 := knownAt(projections.KnownAt(events.MustDate("2021-06-30"), time.Time{}), rs...)
	f2 := projections.RunForecast(n2, cfgAt("2021-07-01"))
	if f2.RemainingM2 != 1_100_000 {
		t.Fatalf("as of 2021-06-30: remaining %d", f2.RemainingM2)
	}
	if pf := f2.Rates.ProductivityFactor; pf < 0.2418 || pf > 0.2438 {
		t.Fatalf("productivity factor %.4f, want 0.2428", pf)
	}
	within(t, "completion as of 2021-06-30", f2.DeterministicCompletion, "2040-05-31", 31)

	// As recorded on 2021-01-01 nothing but the registration was on record.
	n3 := knownAt(projections.KnownAt(asOf, at("2021-01-01")), rs...)
	if len(n3.Deployments) != 0 || len(n3.Deadlines) != 0 || len(n3.Areas) != 1 {
		t.Fatalf("as recorded on 2021-01-01: %d deployments, %d deadlines, %d areas", len(n3.Deployments), len(n3.Deadlines), len(n3.Areas))
	}
	// As of 2026, the 2030 extension has been decided.
	n4 := knownAt(projections.KnownAt(events.MustDate("2026-01-01"), time.Time{}), rs...)
	if len(n4.Deadlines) != 2 || n4.Deadlines[1].Deadline != events.MustDate("2030-12-31") {
		t.Fatalf("as of 2026: deadlines %+v", n4.Deadlines)
	}
}

// The forecast starts the day after the last day known, and the rest of
// that month is forecast, not the whole of it: a month is never counted
// twice. 31-day December, 100 deminers × 20 m²/day × 240 days = 40,000
// m²/month: from 16 December, 16/31 of it.
func TestForecastStartsTheDayAfter(t *testing.T) {
	n := history(cha(10_000_000, "2019-06-01"), deploy(100, 20, 240, "2020-01-01"))
	f := projections.RunForecast(n, cfgAt("2021-12-16"))
	want := int64(10_000_000 - 40_000*16/31)
	if len(f.Trajectory) == 0 || f.Trajectory[0].Year != 2021 || abs(f.Trajectory[0].RemainingM2-want) > 1 {
		t.Fatalf("end of 2021: %+v, want %d", f.Trajectory, want)
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// randomHistory is a random history of registrations, releases and
// deployments from 2018 to 2022 in up to three provinces.
func randomHistory(rng *rand.Rand) []events.Event {
	provinces := []string{"Pailin", "Battambang", "Pursat"}
	var evs []events.Event
	for i := 0; i < 1+rng.IntN(4); i++ {
		from := events.NewDate(2018+rng.IntN(4), time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
		evs = append(evs, events.CapacityDeployed{DeploymentID: uuid.New(), Operator: "CMAC", Province: provinces[rng.IntN(3)],
			Method: "MANUAL", Deminers: 20 + rng.IntN(200), From: from, ProductivityM2PerDeminerDay: 20 + float64(rng.IntN(60)), WorkingDaysPerYear: 200})
	}
	for i := 0; i < 5+rng.IntN(40); i++ {
		id := uuid.New()
		on := events.NewDate(2018+rng.IntN(5), time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
		if i < 3 {
			on = events.NewDate(2018, 1, 1) // the migration
		}
		size := int64(50_000 + rng.IntN(2_000_000))
		class := events.Classification([]string{"SHA", "CHA"}[rng.IntN(2)])
		hazard := events.Hazard([]string{"AP", "AP", "MIXED", "AT", "ERW"}[rng.IntN(5)])
		evs = append(evs, events.AreaRegistered{AreaID: id, Province: provinces[rng.IntN(3)], Hazard: hazard, Classification: class,
			SizeM2: size, RegisteredOn: on, Source: "BLS"})
		later := on.AddDays(30 + rng.IntN(400))
		switch rng.IntN(4) {
		case 0:
			evs = append(evs, events.AreaCancelled{AreaID: id, On: later, Method: "NTS", Reason: "x", SizeM2: size / 2})
		case 1:
			evs = append(evs, events.AreaCleared{AreaID: id, On: later, SizeM2: size / 3, Operator: "CMAC"})
		case 2:
			evs = append(evs, events.AreaReduced{AreaID: id, On: later, SizeM2: size / 4, Operator: "CMAC"})
		}
	}
	return evs
}

// Over random histories and as-of dates, moving the as-of date by one day on
// which nothing happened moves the deterministic completion by at most one
// month.
func TestForecastOneQuietDayMovesLittle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	checked := 0
	for i := 0; i < 400; i++ {
		evs := randomHistory(rng)
		d := events.NewDate(2018, 6, 1).AddDays(rng.IntN(4 * 365))
		next := d.AddDays(1)
		quiet := true
		for _, e := range evs {
			if on := events.OccurredOn(e); on == next {
				quiet = false
			}
		}
		if !quiet {
			continue
		}
		var rs []rec
		for _, e := range evs {
			rs = append(rs, rec{e, at("2023-01-01")})
		}
		c := projections.DefaultForecastConfig()
		c.AsOf = next
		a := projections.RunForecast(knownAt(projections.KnownAt(d, time.Time{}), rs...), c)
		c.AsOf = next.AddDays(1)
		b := projections.RunForecast(knownAt(projections.KnownAt(next, time.Time{}), rs...), c)
		ca, cb := a.DeterministicCompletion, b.DeterministicCompletion
		horizon := c.Horizon.AddDays(-32)
		switch {
		case ca == nil && cb == nil:
		case ca == nil:
			if cb.Before(horizon) {
				t.Fatalf("history %d, as of %s: never; a day later %s", i, d, cb)
			}
		case cb == nil:
			if ca.Before(horizon) {
				t.Fatalf("history %d, as of %s: %s; a day later never", i, d, ca)
			}
		default:
			if days := cb.Time().Sub(ca.Time()).Hours() / 24; days > 31 || days < -31 {
				t.Fatalf("history %d: as of %s completion %s, as of %s %s (rates %+v then %+v)", i, d, ca, next, cb, a.Rates, b.Rates)
			}
		}
		checked++
	}
	if checked < 300 {
		t.Fatalf("only %d quiet days checked", checked)
	}
}
