package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

// state prints the access-restricted areas per province, only when there
// are some.
func TestStateListsRestrictedAreaByProvince(t *testing.T) {
	n := projections.NewNational()
	on := events.MustDate("2021-01-01")
	a, b := uuid.New(), uuid.New()
	for i, e := range []events.Event{
		events.AreaRegistered{AreaID: a, Province: "Oddar Meanchey", Hazard: "AP", Classification: "SHA", SizeM2: 250_000, RegisteredOn: on, Source: "BLS"},
		events.AreaRegistered{AreaID: b, Province: "Pailin", Hazard: "AP", Classification: "CHA", SizeM2: 750_000, RegisteredOn: on, Source: "BLS"},
	} {
		n.Apply(events.Envelope{Sequence: uint64(i + 1), OccurredOn: on, Data: e})
	}
	var out bytes.Buffer
	writeState(&out, queries.StateOf(queries.State{}, n))
	if strings.Contains(out.String(), "Access-restricted") {
		t.Fatalf("a register without restrictions lists them:\n%s", out.String())
	}
	n.Apply(events.Envelope{Sequence: 3, OccurredOn: on, Data: events.AccessRestricted{AreaID: a, On: on, Reason: "Thai border"}})
	out.Reset()
	writeState(&out, queries.StateOf(queries.State{}, n))
	_, section, ok := strings.Cut(out.String(), "Access-restricted")
	if !ok || !strings.Contains(section, "Oddar Meanchey") || strings.Contains(section, "Pailin") ||
		!strings.Contains(section, "250,000") || !strings.Contains(section, "25.0%") {
		t.Fatalf("restricted section:\n%s", section)
	}
}
