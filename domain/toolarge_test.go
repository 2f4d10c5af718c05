package domain_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// The too-large error names the part of the event that makes it large,
// down to the list element, so the sender knows what to shrink.
func TestTooLargeNamesTheLargestField(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, c := range []struct {
		name  string
		event events.Event
		field string
	}{
		{"a long description among evidence", events.AreaRegistered{AreaID: areaID, Province: "Pailin",
			Evidence: []events.Evidence{witness, {Kind: "WITNESS", ObservedOn: today, Description: long}, accident}},
			"evidence[1].description"},
		{"a polygon", events.AreaRegistered{AreaID: areaID, Province: "Pailin",
			Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[` + strings.Repeat("[102.5,12.8],", 500) + `[102.5,12.8]]]}`)},
			"geometry.coordinates[0]"},
		{"evidence spread over many items", events.AreaReopened{AreaID: areaID, Reason: "x",
			Evidence: []events.Evidence{{Description: long[:900]}, {Description: long[:900]}, {Description: long[:900]}}},
			"evidence"},
	} {
		body, err := events.Encode(c.event)
		if err != nil {
			t.Fatal(err)
		}
		e := events.Envelope{Type: c.event.EventType(), Data: c.event}
		got := domain.TooLarge(e, body, int64(len(body)+300), 1024)
		if !errors.Is(got, domain.ErrTooLarge) || got.Field() != c.field {
			t.Errorf("%s: kind %v, field %q; want too large naming %q", c.name, domain.KindOf(got), got.Field(), c.field)
		}
		if !strings.Contains(got.Error(), "1024") {
			t.Errorf("%s: %q does not name the limit", c.name, got)
		}
	}
}
