package projections

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// A replay asked for no geometry holds none, whether the area was drawn at
// registration or by a correction; Replay keeps them. Both list the
// quarantined messages.
func TestReplayWithoutGeometry(t *testing.T) {
	ctx := context.Background()
	id := uuid.MustParse("017e12ef-9c00-72c3-bc5c-2fc0c282a703")
	other := uuid.MustParse("017e12ef-9c00-72c3-bc5c-2fc0c282a704")
	on := events.MustDate("2020-01-01")
	shape := json.RawMessage(`{"type":"Polygon","coordinates":[[[102,13],[102.1,13],[102.1,13.1],[102,13]]]}`)
	reg := func(seq uint64, id uuid.UUID, g json.RawMessage) events.Envelope {
		return events.Envelope{Sequence: seq, OccurredOn: on, Data: events.AreaRegistered{AreaID: id, Province: "Pailin",
			Hazard: "AP", Classification: events.SHA, Source: "NTS", SizeM2: 100, RegisteredOn: on, Geometry: g}}
	}
	src := &mixedSource{items: []any{
		reg(1, id, shape),
		reg(2, other, nil),
		events.Quarantined{Sequence: 3, Subject: "x", Reason: "not JSON"},
		events.Envelope{Sequence: 4, OccurredOn: on, Data: events.AreaRecordCorrected{AreaID: other, On: on, Reason: "drawn",
			Set: events.AreaFields{Geometry: shape}}},
	}}
	full, err := Replay(ctx, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	lean, err := ReplayWith(ctx, src, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []uuid.UUID{id, other} {
		if len(full.Areas[a].Geometry) == 0 || lean.Areas[a].Geometry != nil {
			t.Errorf("area %s: geometry %s in the full fold, %s in the lean one", a, full.Areas[a].Geometry, lean.Areas[a].Geometry)
		}
	}
	if len(full.Audit) != 3 || len(lean.Audit) != 0 {
		t.Errorf("audit rows: %d full, %d lean; want 3 and 0", len(full.Audit), len(lean.Audit))
	}
	if len(full.QuarantineLog) != 1 || len(lean.QuarantineLog) != 1 || lean.Quarantined != 1 {
		t.Errorf("quarantine: %d listed (full), %d listed (lean, %d counted)", len(full.QuarantineLog), len(lean.QuarantineLog), lean.Quarantined)
	}
}
