package projections_test

import (
	"math"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// A history beyond the domain's bounds (written before they existed, or
// forged) must not wrap the national sums to a negative number: they stop
// at the int64 limit.
func TestSumsBeyondTheBoundsSaturateInsteadOfWrapping(t *testing.T) {
	n := projections.NewNational()
	on := events.MustDate("2020-01-01")
	for i := range 3 {
		id := uuid.New()
		n.Apply(events.Envelope{Sequence: uint64(2*i + 1), Aggregate: events.Ref{Country: "KH", Kind: events.KindArea, ID: id},
			OccurredOn: on, Data: events.AreaRegistered{AreaID: id, Province: "Pailin", Hazard: "AP", Classification: "SHA",
				SizeM2: 9_000_000_000_000_000_000, RegisteredOn: on, Source: "BLS"}})
		n.Apply(events.Envelope{Sequence: uint64(2*i + 2), Aggregate: events.Ref{Country: "KH", Kind: events.KindArea, ID: id},
			OccurredOn: on, Data: events.AreaCleared{AreaID: id, On: on, SizeM2: 10, Operator: "HALO",
				APMinesDestroyed: math.MaxInt, RemainingM2: 9_000_000_000_000_000_000 - 10}})
	}
	s := projections.Summarize(n)
	if s.National.RemainingM2 != math.MaxInt64 || s.National.RemainingSHAM2 != math.MaxInt64 {
		t.Errorf("national remaining %d m² (SHA %d), want the int64 limit %d", s.National.RemainingM2, s.National.RemainingSHAM2, int64(math.MaxInt64))
	}
	if s.National.APMines != math.MaxInt {
		t.Errorf("AP mines %d, want the limit %d", s.National.APMines, math.MaxInt)
	}
	for _, y := range projections.ByYear(n.Stats) {
		if y.RegisteredM2 != math.MaxInt64 || y.APMines != math.MaxInt64 || y.ClearedM2 != 30 {
			t.Errorf("year %d: registered %d, AP mines %d, cleared %d; want the limits and 30", y.Year, y.RegisteredM2, y.APMines, y.ClearedM2)
		}
	}
	// Within the bounds nothing saturates: sums are exact.
	n = projections.NewNational()
	id := uuid.New()
	n.Apply(events.Envelope{Sequence: 1, Aggregate: events.Ref{Country: "KH", Kind: events.KindArea, ID: id}, OccurredOn: on,
		Data: events.AreaRegistered{AreaID: id, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 181_035_000_000, RegisteredOn: on, Source: "BLS"}})
	if got := projections.Summarize(n).National.RemainingM2; got != 181_035_000_000 {
		t.Errorf("remaining %d, want 181035000000", got)
	}
}
