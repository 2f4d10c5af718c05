package domain_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// The accounting identity of docs/contract.md, checked as a property: whatever
// sequence of commands is thrown at an area, valid or not, after each step
//
//	remaining = size − cancelled − reduced − cleared + reopened ≥ 0
//
// with the terms tallied here from the accepted events alone, and the area is
// RELEASED exactly when nothing remains.
func TestAccountingIdentityHoldsUnderRandomCommands(t *testing.T) {
	for _, start := range []int64{7, 1_000, 250_000} {
		t.Run(fmt.Sprintf("an area of %d m²", start), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(20240601, uint64(start)))
			w := accountingWalk{t: t, rng: rng, accepted: map[string]int{}, refused: map[string]int{}}
			w.run(registered(start), 4000)

			// The walk must have exercised the rules, not only bounced off them.
			for _, name := range []string{"CancelArea", "ReduceArea", "ClearArea", "ConfirmHazardousArea",
				"ReclassifyArea", "CorrectAreaRecord", "ReopenArea", "RecordQAVisit", "RecordEvidence"} {
				if w.accepted[name] < 10 || w.refused[name] < 10 {
					t.Errorf("%s accepted %d times, refused %d: the walk is too narrow", name, w.accepted[name], w.refused[name])
				}
			}
			if w.releases < 10 || w.reopenings < 10 {
				t.Errorf("the area was released %d times and reopened %d times; want both often", w.releases, w.reopenings)
			}
		})
	}
}

type accountingWalk struct {
	t   *testing.T
	rng *rand.Rand

	state domain.State
	// Tallies from the events, independent of Area's own counters.
	size, cancelled, reduced, cleared, reopened int64

	accepted, refused    map[string]int
	releases, reopenings int
}

func (w *accountingWalk) run(reg events.AreaRegistered, steps int) {
	w.state = domain.Area{}.Evolve(reg)
	w.size = reg.SizeM2
	w.check("registration", nil)
	for i := 0; i < steps; i++ {
		a := w.state.(domain.Area)
		cmd := w.randomCommand(a)
		var p domain.Problems
		cmd.Validate(&p)
		err := p.Err(cmd.CommandName())
		var evs []events.Event
		if err == nil {
			evs, err = cmd.Decide(ctx, w.state, nil)
		}
		if err != nil {
			w.refused[cmd.CommandName()]++
			// The area exists, so every refusal is a broken rule, named.
			var de *domain.Error
			if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &de) || de.Field() == "" {
				w.t.Fatalf("step %d: %s %+v refused with %v, want an ErrInvalid naming a field", i, cmd.CommandName(), cmd, err)
			}
			continue
		}
		w.accepted[cmd.CommandName()]++
		wasReleased := a.Released()
		for _, e := range evs {
			w.apply(e)
			w.check(fmt.Sprintf("step %d %s", i, cmd.CommandName()), e)
		}
		if now := w.state.(domain.Area); !wasReleased && now.Released() {
			w.releases++
		} else if wasReleased && !now.Released() {
			w.reopenings++
		}
	}
}

func (w *accountingWalk) apply(e events.Event) {
	w.state = w.state.Evolve(e)
	switch e := e.(type) {
	case events.AreaCancelled:
		w.cancelled += e.SizeM2
	case events.AreaReduced:
		w.reduced += e.SizeM2
	case events.AreaCleared:
		w.cleared += e.SizeM2
	case events.AreaReopened:
		w.reopened += e.SizeM2
	case events.AreaRecordCorrected:
		if e.Set.SizeM2 != nil {
			w.size = *e.Set.SizeM2
		}
	}
}

func (w *accountingWalk) check(step string, e events.Event) {
	w.t.Helper()
	a := w.state.(domain.Area)
	want := w.size - w.cancelled - w.reduced - w.cleared + w.reopened
	switch {
	case a.RemainingM2 != want:
		w.t.Fatalf("%s: remaining %d m², but size %d − cancelled %d − reduced %d − cleared %d + reopened %d = %d",
			step, a.RemainingM2, w.size, w.cancelled, w.reduced, w.cleared, w.reopened, want)
	case a.SizeM2 != w.size || a.CancelledM2 != w.cancelled || a.ReducedM2 != w.reduced || a.ClearedM2 != w.cleared || a.ReopenedM2 != w.reopened:
		w.t.Fatalf("%s: area counters %+v disagree with the events", step, a)
	case a.RemainingM2 < 0:
		w.t.Fatalf("%s: remaining %d m² is negative", step, a.RemainingM2)
	case a.ReleasedM2() < 0:
		w.t.Fatalf("%s: more reopened than released (net released %d m²)", step, a.ReleasedM2())
	case (a.Status() == events.StatusReleased) != (a.RemainingM2 == 0):
		w.t.Fatalf("%s: status %s with %d m² remaining", step, a.Status(), a.RemainingM2)
	case a.Status() != events.StatusReleased && a.Status() != events.StatusSHA && a.Status() != events.StatusCHA:
		w.t.Fatalf("%s: status %q", step, a.Status())
	}
	// An event that states what remains must agree with the fold.
	var stated int64 = -1
	switch e := e.(type) {
	case events.AreaCancelled:
		stated = e.RemainingM2
	case events.AreaReduced:
		stated = e.RemainingM2
	case events.AreaCleared:
		stated = e.RemainingM2
	case events.AreaReopened:
		stated = e.RemainingM2
	case events.AreaRecordCorrected:
		stated = e.RemainingM2
	}
	if stated >= 0 && stated != a.RemainingM2 {
		w.t.Fatalf("%s: %s says %d m² remain, the area has %d", step, e.EventType(), stated, a.RemainingM2)
	}
}

// sizeAround returns a size around limit: often inside (0, limit], sometimes
// exactly 0, limit, just above it, or negative.
func (w *accountingWalk) sizeAround(limit int64) int64 {
	switch w.rng.IntN(8) {
	case 0:
		return 0
	case 1:
		return limit
	case 2:
		return limit + 1
	case 3:
		return -1 - w.rng.Int64N(5)
	default:
		if limit <= 0 {
			return 1 + w.rng.Int64N(3)
		}
		return 1 + w.rng.Int64N(limit)
	}
}

// on returns a date: usually a valid one, sometimes before registration or
// in the future.
func (w *accountingWalk) on() events.Date {
	switch w.rng.IntN(12) {
	case 0:
		return dayBefore
	case 1:
		return tomorrow
	default:
		return registeredOn.AddDays(w.rng.IntN(1613)) // up to 2024-05-31
	}
}

func (w *accountingWalk) class() string {
	return []string{"SHA", "CHA", "", "SHA", "CHA"}[w.rng.IntN(5)]
}

func (w *accountingWalk) reason() string {
	if w.rng.IntN(10) == 0 {
		return ""
	}
	return "field report"
}

func (w *accountingWalk) evidence() []events.Evidence {
	switch w.rng.IntN(4) {
	case 0:
		return nil
	case 1:
		return []events.Evidence{witness}
	default:
		return []events.Evidence{accident}
	}
}

func (w *accountingWalk) randomCommand(a domain.Area) domain.Command {
	switch w.rng.IntN(9) {
	case 0:
		return domain.CancelArea{AreaID: areaID, On: w.on(), Method: events.CancelByNTS, Reason: w.reason(), SizeM2: w.sizeAround(a.RemainingM2)}
	case 1:
		return domain.ReduceArea{AreaID: areaID, On: w.on(), SizeM2: w.sizeAround(a.RemainingM2), Operator: "MAG"}
	case 2:
		return domain.ClearArea{AreaID: areaID, On: w.on(), SizeM2: w.sizeAround(a.RemainingM2), Operator: "HALO", APMinesDestroyed: w.rng.IntN(3)}
	case 3:
		return domain.ConfirmHazardousArea{AreaID: areaID, On: w.on(), SizeM2: w.sizeAround(a.RemainingM2)}
	case 4:
		return domain.ReclassifyArea{AreaID: areaID, On: w.on(), To: w.class(), Reason: w.reason(), Evidence: w.evidence()}
	case 5:
		// Around the smallest size allowed (what was released) and up to double.
		s := a.ReleasedM2() - 2 + w.sizeAround(a.SizeM2+2)
		return domain.CorrectAreaRecord{AreaID: areaID, On: w.on(), Reason: w.reason(), SizeM2: &s}
	case 6:
		return domain.ReopenArea{AreaID: areaID, On: w.on(), To: w.class(), SizeM2: w.sizeAround(a.ReleasedM2()), Reason: w.reason(), Evidence: w.evidence()}
	case 7:
		return domain.RecordQAVisit{AreaID: areaID, On: w.on(), Result: []events.QAResult{"PASS", "FAIL", "MAYBE"}[w.rng.IntN(3)]}
	default:
		return domain.RecordEvidence{AreaID: areaID, Kind: []events.EvidenceKind{"ACCIDENT", "WITNESS", ""}[w.rng.IntN(3)], ObservedOn: w.on()}
	}
}
