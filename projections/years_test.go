package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// envelopes is a Source of plain envelopes.
type envelopes []events.Envelope

func (h envelopes) Replay(_ context.Context, from uint64, fn func(events.Envelope) error) error {
	for _, e := range h {
		if e.Sequence >= from {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// randomAreaHistory is a history of a few areas whose events are dated at
// random over 2018–2022 and recorded in random order: many arrive late,
// dated before events of the same area recorded earlier, some before the
// area's registration is dated (or recorded).
func randomAreaHistory(rng *rand.Rand, n int) envelopes {
	ids := make([]uuid.UUID, 6)
	for i := range ids {
		ids[i] = events.NameID("years", fmt.Sprint(i))
	}
	provinces := []string{"Pailin", "Battambang", "Banteay Meanchey"}
	var h envelopes
	for i := 0; i < n; i++ {
		id := ids[rng.IntN(len(ids))]
		on := events.NewDate(2018+rng.IntN(5), time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
		size := int64(100 + rng.IntN(900))
		class := []events.Classification{events.SHA, events.CHA}[rng.IntN(2)]
		ev := []events.Evidence{{Kind: "DEVICE_FOUND", ObservedOn: on}}
		var d events.Event
		switch rng.IntN(13) {
		case 0, 1:
			d = events.AreaRegistered{AreaID: id, Province: provinces[rng.IntN(3)], Classification: class, SizeM2: 1000 + size,
				RegisteredOn: on, Evidence: ev[:rng.IntN(2)]}
		case 2:
			d = events.EvidenceRecorded{AreaID: id, Evidence: ev[0]}
		case 3:
			d = events.AreaConfirmed{AreaID: id, On: on, SizeM2: size}
		case 4:
			d = events.AreaCancelled{AreaID: id, On: on, SizeM2: size, Method: events.CancelByNTS}
		case 5:
			d = events.AreaReduced{AreaID: id, On: on, SizeM2: size, Operator: "HALO"}
		case 6:
			d = events.AreaCleared{AreaID: id, On: on, SizeM2: size, Operator: "MAG"}
		case 7:
			d = events.AreaReclassified{AreaID: id, On: on, To: class}
		case 8:
			p := provinces[rng.IntN(3)]
			s := 500 + size
			d = events.AreaRecordCorrected{AreaID: id, On: on, Set: events.AreaFields{SizeM2: &s, Province: &p}}
		case 9:
			d = events.AreaReopened{AreaID: id, On: on, To: class, SizeM2: size, Evidence: ev[:rng.IntN(2)]}
		case 10:
			d = events.QAVisitRecorded{AreaID: id, On: on}
		case 11:
			d = events.AccessRestricted{AreaID: id, On: on, Reason: "border"}
		default:
			d = events.AccessRestrictionLifted{AreaID: id, On: on}
		}
		h = append(h, events.Envelope{Sequence: uint64(i + 1), OccurredOn: events.OccurredOn(d), Data: d})
	}
	return h
}

// On random histories with late events, every area's year-end state equals
// the area in the fold of the events that occurred by that 31 December,
// and its events of each year are those that occurred in it.
func TestAreaYearsEqualAsOfFolds(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 200; seed++ {
		h := randomAreaHistory(rand.New(rand.NewPCG(seed, 9)), 60)
		all, err := Replay(ctx, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		for y := 2017; y <= 2023; y++ {
			asOf, err := Replay(ctx, h, AsOf(events.NewDate(y, time.December, 31)))
			if err != nil {
				t.Fatal(err)
			}
			for id := range all.Years {
				want, present := asOf.Areas[id]
				got, ok := all.AreaAsOf(id, y)
				if ok != present {
					t.Fatalf("seed %d %d: area %s registered %v, the as-of fold says %v", seed, y, id, ok, present)
				}
				if !ok {
					continue
				}
				if got.Province != want.Province || got.Classification != want.Classification || got.SizeM2 != want.SizeM2 ||
					got.RemainingM2 != want.RemainingM2 || got.Evidence != (want.EvidenceCount > 0) || got.Restricted != want.Restricted() {
					t.Fatalf("seed %d %d: area %s %+v, the as-of fold %+v", seed, y, id, got, *want)
				}
			}
			// Events of the year: per area, and the rest.
			var n, qa int64
			for _, ys := range all.Years {
				for _, s := range ys {
					if s.Year == y {
						n += s.Events
						if s.Registered {
							qa += s.QAVisits
						}
					}
				}
			}
			for k, r := range all.YearEvents {
				if k.Year == y {
					n += r.Events
				}
			}
			var wantN, wantQA int64
			for _, e := range h {
				if e.OccurredOn.Year() == y {
					wantN++
					if v, ok := e.Data.(events.QAVisitRecorded); ok && asOf.Areas[v.AreaID] != nil {
						wantQA++
					}
				}
			}
			if n != wantN || qa != wantQA {
				t.Fatalf("seed %d %d: %d events, %d QA visits; the history has %d, %d", seed, y, n, qa, wantN, wantQA)
			}
		}
	}
}

// A fold restored from its drained changes holds the same year-end states
// and counts, and goes on from them as the fold that never stopped.
func TestAreaYearsSurviveARestore(t *testing.T) {
	h := randomAreaHistory(rand.New(rand.NewPCG(3, 4)), 200)
	live := NewNational()
	years := map[areaYearKey]AreaYear{}
	counts := map[YearKey]YearEventsRow{}
	for i, e := range h[:120] {
		live.Apply(e)
		if i%7 == 0 {
			c := live.Drain()
			for _, s := range c.AreaYears {
				years[areaYearKey{s.AreaID, s.Year}] = s
			}
			for _, r := range c.YearEvents {
				counts[r.YearKey] = r
			}
		}
	}
	c := live.Drain()
	for _, s := range c.AreaYears {
		years[areaYearKey{s.AreaID, s.Year}] = s
	}
	for _, r := range c.YearEvents {
		counts[r.YearKey] = r
	}
	restored := NewNational()
	var ys []AreaYear
	for _, s := range years {
		ys = append(ys, s)
	}
	var cs []YearEventsRow
	for _, r := range counts {
		cs = append(cs, r)
	}
	var areas []AreaRow
	for _, a := range live.Areas {
		areas = append(areas, *a)
	}
	restored.Restore(areas, nil, nil, nil, live.Sequence)
	restored.restoreYears(ys, cs)
	for _, e := range h[120:] {
		live.Apply(e)
		restored.Apply(e)
	}
	if fmt.Sprint(restored.Years) != fmt.Sprint(live.Years) {
		t.Fatalf("restored years differ:\n%v\n%v", restored.Years, live.Years)
	}
	for k, r := range live.YearEvents {
		if *restored.YearEvents[k] != *r {
			t.Fatalf("%v: restored %+v, live %+v", k, restored.YearEvents[k], r)
		}
	}
}
