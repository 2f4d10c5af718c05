package queries

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// An area's document carries its access restriction (since, expected
// opening, reason) while restricted, and nothing of it when access is open
// or the restriction was lifted.
func TestAreaDocumentCarriesTheRestriction(t *testing.T) {
	n := projections.NewNational()
	id := events.NameID("t", "border")
	on := events.MustDate("2021-03-01")
	apply := func(seq uint64, e events.Event) { n.Apply(events.Envelope{Sequence: seq, OccurredOn: on, Data: e}) }
	apply(1, events.AreaRegistered{AreaID: id, Province: "Oddar Meanchey", Hazard: "AP", Classification: events.SHA, SizeM2: 5000, RegisteredOn: on, Source: "BLS"})
	doc := func() map[string]any {
		b, err := json.Marshal(AreaOf(*n.Areas[id]))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		return m
	}
	for k := range doc() {
		if strings.HasPrefix(k, "restrict") {
			t.Errorf("an open area's document has %s", k)
		}
	}
	apply(2, events.AccessRestricted{AreaID: id, On: on, Reason: "Thai border", ExpectedUntil: events.MustDate("2027-01-01")})
	if d := doc(); d["restricted_since"] != "2021-03-01" || d["restricted_until"] != "2027-01-01" || d["restriction_reason"] != "Thai border" {
		t.Errorf("restricted area's document: %v", d)
	}
	apply(3, events.AccessRestrictionLifted{AreaID: id, On: events.MustDate("2022-01-01")})
	if d := doc(); d["restricted_since"] != nil || d["restriction_reason"] != nil {
		t.Errorf("after the lifting the document still has the restriction: %v", d)
	}
}
