package events_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// Every event on an area's or a deployment's subject names its aggregate in
// its body, and NamedAggregate finds it: a new event type of those kinds
// cannot be forgotten there (the decoder's subject check and the annual
// report rely on it). Events of the other kinds name none.
func TestNamedAggregateCoversEveryAreaAndDeploymentEvent(t *testing.T) {
	reg := events.NewRegistry()
	id := uuid.New()
	for _, typ := range reg.Types() {
		kind, ok := events.KindOf(typ)
		if !ok {
			t.Errorf("%s has no aggregate kind", typ)
			continue
		}
		schema, _ := reg.Schema(typ)
		body := `{"area_id":"` + id.String() + `","deployment_id":"` + id.String() + `"}`
		ev, err := reg.Decode(typ, schema, []byte(body))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		got, named := events.NamedAggregate(ev)
		switch kind {
		case events.KindArea, events.KindDeployment:
			if !named || got != id {
				t.Errorf("%s (%s): NamedAggregate = %v, %v; want its ID", typ, kind, got, named)
			}
		default:
			if named {
				t.Errorf("%s (%s): NamedAggregate names %v; its aggregate is not named by an ID", typ, kind, got)
			}
		}
	}
}
