package boundaries_test

import (
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"

	"github.com/landrelease/landrelease/scenarios/cambodia/boundaries"
)

func TestEveryProvinceHasAPolygonAndTheGeoJSONIsAFeatureCollection(t *testing.T) {
	var fc struct {
		Type     string `json:"type"`
		Features []json.RawMessage
	}
	if err := json.Unmarshal(boundaries.GeoJSON(), &fc); err != nil || fc.Type != "FeatureCollection" {
		t.Fatalf("GeoJSON: type %q, err %v", fc.Type, err)
	}
	if got := len(boundaries.Names()); got != 24 || len(fc.Features) != 24 {
		t.Fatalf("%d provinces, %d features; want 24 (Natural Earth's admin-1 of Cambodia)", got, len(fc.Features))
	}
}

func TestContainsKnowsInsideOutsideAndUnknown(t *testing.T) {
	pailinTown := orb.Point{102.609, 12.849}
	if in, known := boundaries.Contains("Pailin", pailinTown); !in || !known {
		t.Errorf("Pailin town in Pailin: inside %v known %v", in, known)
	}
	if in, known := boundaries.Contains(" pailin ", orb.Point{107.0, 13.65}); in || !known {
		t.Errorf("a Ratanakiri point in Pailin: inside %v known %v, want outside", in, known)
	}
	if _, known := boundaries.Contains("Tbong Khmum", pailinTown); known {
		t.Error("Tbong Khmum has no boundary in the source, yet Contains knows it")
	}
}
