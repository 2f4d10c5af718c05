package projections_test

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

func restrict(id uuid.UUID, until string) events.AccessRestricted {
	r := events.AccessRestricted{AreaID: id, On: events.MustDate("2019-07-01"), Reason: "Thai border: awaits a bilateral mechanism"}
	if until != "" {
		r.ExpectedUntil = events.MustDate(until)
	}
	return r
}

func lift(id uuid.UUID) events.AccessRestrictionLifted {
	return events.AccessRestrictionLifted{AreaID: id, On: events.MustDate("2019-09-01"), Reason: "joint survey agreed"}
}

// A random Pailin register, a quarter of its areas restricted (half of
// them with an expected date), and the same register with every
// restriction lifted again.
func restrictedRegister(seed uint64) (base, restricted, lifted []events.Event, ids []uuid.UUID) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for i := 0; i < 200; i++ {
		reg := events.AreaRegistered{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP", Classification: []events.Classification{"SHA", "CHA"}[rng.IntN(2)],
			SizeM2: int64(1000 + rng.IntN(300_000)), RegisteredOn: events.MustDate("2019-02-01"), Source: "BLS",
			LandUse: "AGRICULTURE", CasualtiesLast5y: rng.IntN(4), CommunityRequest: rng.IntN(3) == 0}
		if reg.Classification == "CHA" || rng.IntN(2) == 0 {
			reg.Evidence = []events.Evidence{{Kind: "WITNESS", ObservedOn: reg.RegisteredOn}}
		}
		base = append(base, reg)
		if rng.IntN(4) == 0 {
			ids = append(ids, reg.AreaID)
		}
	}
	base = append(base, deploy(60, 40, 200, "2019-01-01"))
	restricted = append([]events.Event{}, base...)
	for i, id := range ids {
		until := ""
		if i%2 == 0 {
			until = []string{"2021-06-15", "2024-01-01", "2030-03-01"}[rng.IntN(3)]
		}
		restricted = append(restricted, restrict(id, until))
	}
	lifted = append([]events.Event{}, restricted...)
	for _, id := range ids {
		lifted = append(lifted, lift(id))
	}
	return base, restricted, lifted, ids
}

func TestFoldRecordsTheRestrictionAndNoStatistic(t *testing.T) {
	base, restricted, lifted, ids := restrictedRegister(1)
	nb, nr, nl := history(base...), history(restricted...), history(lifted...)
	if !reflect.DeepEqual(nb.Stats, nr.Stats) || !reflect.DeepEqual(nb.Stats, nl.Stats) {
		t.Fatalf("a restriction changed the statistics")
	}
	a := nr.Areas[ids[0]]
	if !a.Restricted() || a.RestrictedSince != events.MustDate("2019-07-01") || a.RestrictionReason == "" || a.RemainingM2 != nb.Areas[ids[0]].RemainingM2 {
		t.Fatalf("restricted row %+v", a)
	}
	if l := nl.Areas[ids[0]]; l.Restricted() || !l.RestrictedUntil.IsZero() || l.RestrictionReason != "" {
		t.Fatalf("lifted row still restricted: %+v", l)
	}
}

// A work plan never plans a restricted area, whatever its expected date
// and the plan's year; each is listed as left out with its reason; lifting
// every restriction gives back the plan without them.
func TestWorkPlanNeverPlansARestrictedArea(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		base, restricted, lifted, ids := restrictedRegister(seed)
		n := history(restricted...)
		for _, year := range []int{2019, 2020, 2031} {
			p := projections.PlanWorkPlan(n, "Pailin", year, projections.DefaultCriteria(), projections.DefaultForecastConfig())
			for _, a := range append(append([]projections.PlannedArea{}, p.Areas...), p.ForNTS...) {
				if n.Areas[a.AreaID].Restricted() {
					t.Fatalf("seed %d, %d: restricted area %s planned (%s)", seed, year, a.AreaID, a.Stage)
				}
			}
			out := map[uuid.UUID]string{}
			for _, a := range p.LeftOut {
				out[a.AreaID] = a.Reason
			}
			for _, id := range ids {
				row := n.Areas[id]
				want := "access restricted until no expected date"
				if !row.RestrictedUntil.IsZero() {
					want = "access restricted until " + row.RestrictedUntil.String()
				}
				if !strings.HasPrefix(out[id], want) {
					t.Fatalf("seed %d, %d: restricted area %s left out with reason %q, want it to start %q", seed, year, id, out[id], want)
				}
			}
			if p.NotPlanned != len(p.LeftOut) {
				t.Fatalf("not planned %d, left out %d", p.NotPlanned, len(p.LeftOut))
			}
		}
		want := projections.PlanWorkPlan(history(base...), "Pailin", 2020, projections.DefaultCriteria(), projections.DefaultForecastConfig())
		got := projections.PlanWorkPlan(history(lifted...), "Pailin", 2020, projections.DefaultCriteria(), projections.DefaultForecastConfig())
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: lifting every restriction does not give the plan back:\n got %+v\nwant %+v", seed, got, want)
		}
	}
}

// Two 500,000 m² CHAs and 500,000 m² of clearance a year from 2020: done
// at the end of 2021. With one restricted until 2023-01-01 the other is
// done in 2020, the capacity waits, and the restricted one is cleared in
// 2023; with no expected date it is never done within the horizon; its
// area stays in the remaining all along.
func TestForecastHoldsRestrictedAreaUntilItsExpectedDate(t *testing.T) {
	a, b := cha(500_000, "2019-06-01").(events.AreaRegistered), cha(500_000, "2019-06-01")
	base := []events.Event{a, b, deploy(100, 20, 250, "2020-01-01")}
	cfg := cfgAt("2020-01-01")
	f0 := projections.RunForecast(history(base...), cfg)
	if d := f0.DeterministicCompletion; d == nil || d.Year() != 2021 || f0.RestrictedM2 != 0 || f0.Restrictions != "" {
		t.Fatalf("baseline completion %v, restricted %d %q", d, f0.RestrictedM2, f0.Restrictions)
	}

	dated := projections.RunForecast(history(append(append([]events.Event{}, base...), restrict(a.AreaID, "2023-01-01"))...), cfg)
	if d := dated.DeterministicCompletion; d == nil || *d != events.MustDate("2023-12-31") {
		t.Fatalf("restricted until 2023-01-01: completion %v, want 2023-12-31 (trajectory %+v)", d, dated.Trajectory)
	}
	if dated.RemainingM2 != 1_000_000 || dated.RestrictedM2 != 500_000 || dated.RestrictedUndatedM2 != 0 {
		t.Fatalf("remaining %d, restricted %d, undated %d", dated.RemainingM2, dated.RestrictedM2, dated.RestrictedUndatedM2)
	}
	for _, y := range dated.Trajectory {
		if y.Year < 2023 && y.RemainingM2 != 500_000 {
			t.Fatalf("the restricted area left the remaining before access opened: %+v", dated.Trajectory)
		}
	}
	if !strings.Contains(dated.Restrictions, "2023-01-01") {
		t.Fatalf("restrictions note %q does not name the expected date", dated.Restrictions)
	}

	undated := projections.RunForecast(history(append(append([]events.Event{}, base...), restrict(a.AreaID, ""))...), cfg)
	if undated.DeterministicCompletion != nil || undated.RestrictedUndatedM2 != 500_000 ||
		!strings.Contains(undated.Restrictions, "no expected opening date") {
		t.Fatalf("no expected date: completion %v, undated %d, note %q", undated.DeterministicCompletion, undated.RestrictedUndatedM2, undated.Restrictions)
	}
	if last := undated.Trajectory[len(undated.Trajectory)-1]; last.RemainingM2 != 500_000 {
		t.Fatalf("at the horizon %+v, want the restricted 500,000 m² still remaining", last)
	}

	// Restricted after the forecast date, or opening before it: workable.
	late := restrict(a.AreaID, "")
	late.On = events.MustDate("2020-06-01")
	opened := restrict(a.AreaID, "2019-12-01")
	for _, e := range []events.Event{late, opened} {
		f := projections.RunForecast(history(append(append([]events.Event{}, base...), e)...), cfg)
		if !reflect.DeepEqual(f.DeterministicCompletion, f0.DeterministicCompletion) || f.RestrictedM2 != 0 {
			t.Fatalf("%+v: completion %v, restricted %d; want the baseline's %v", e, f.DeterministicCompletion, f.RestrictedM2, f0.DeterministicCompletion)
		}
	}
}

// On random registers a restriction never brings completion forward, the
// remaining area includes the restricted area, and lifting every
// restriction gives back the forecast without them.
func TestForecastWithRestrictionsIsNoEarlierAndLiftingRestoresIt(t *testing.T) {
	cfg := cfgAt("2020-01-01")
	for seed := uint64(1); seed <= 6; seed++ {
		base, restricted, lifted, _ := restrictedRegister(seed)
		b := projections.RunForecast(history(base...), cfg)
		r := projections.RunForecast(history(restricted...), cfg)
		l := projections.RunForecast(history(lifted...), cfg)
		if completionOrNever(r).Before(completionOrNever(b)) {
			t.Fatalf("seed %d: restricted completes %s, before the unrestricted %s", seed, completionOrNever(r), completionOrNever(b))
		}
		if r.RemainingM2 != b.RemainingM2 || r.RestrictedM2 == 0 || r.RestrictedM2 > r.RemainingM2 {
			t.Fatalf("seed %d: remaining %d (unrestricted %d), restricted %d", seed, r.RemainingM2, b.RemainingM2, r.RestrictedM2)
		}
		for i := range r.Trajectory {
			if i < len(b.Trajectory) && r.Trajectory[i].RemainingM2 < b.Trajectory[i].RemainingM2 {
				t.Fatalf("seed %d: %d remaining %d with restrictions, %d without", seed, r.Trajectory[i].Year, r.Trajectory[i].RemainingM2, b.Trajectory[i].RemainingM2)
			}
		}
		if !reflect.DeepEqual(l, b) {
			t.Fatalf("seed %d: lifting every restriction does not give the forecast back", seed)
		}
	}
}

// The summary counts open restricted areas and their remaining m² per
// province and nationally; lifting gives the figures back without them.
func TestSummaryCountsRestrictedArea(t *testing.T) {
	_, restricted, lifted, ids := restrictedRegister(3)
	n := history(restricted...)
	var want int64
	for _, id := range ids {
		want += n.Areas[id].RemainingM2
	}
	s := projections.Summarize(n)
	if s.National.RestrictedAreas != len(ids) || s.National.RestrictedM2 != want ||
		len(s.Provinces) != 1 || s.Provinces[0].RestrictedM2 != want {
		t.Fatalf("summary %+v; want %d areas, %d m² restricted", s.National, len(ids), want)
	}
	if l := projections.Summarize(history(lifted...)).National; l.RestrictedAreas != 0 || l.RestrictedM2 != 0 || l.RemainingM2 != s.National.RemainingM2 {
		t.Fatalf("after lifting %+v", l)
	}
}
