package queries

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

type plainFold struct{ n *projections.National }

func (f plainFold) View(fn func(n *projections.National)) { fn(f.n) }

// The work plan document answers the projection's plan; a province with
// nothing recorded or a year outside the history is refused as invalid,
// naming the field.
func TestWorkPlanDocumentAndRefusals(t *testing.T) {
	n := projections.NewNational()
	id := uuid.MustParse("017e12ef-9c00-72c3-bc5c-2fc0c282a703")
	n.Apply(events.Envelope{Sequence: 1, OccurredOn: events.NewDate(2019, 3, 1), Data: events.AreaRegistered{AreaID: id, Province: "Pailin",
		Hazard: "AP", Classification: "SHA", SizeM2: 50_000, RegisteredOn: events.NewDate(2019, 3, 1), Source: "BLS", LandUse: "AGRICULTURE"}})
	r := &Reads{Fold: plainFold{n}}
	plan, err := r.WorkPlan(context.Background(), WorkPlanQuery{Province: "Pailin", Year: 2020})
	if err != nil || plan.Province != "Pailin" || len(plan.ForNTS) != 1 || plan.ForNTS[0].AreaID != id || plan.ForNTS[0].Stage != projections.StageNTS {
		t.Fatalf("plan %+v, %v: want the SHA planned for NTS", plan, err)
	}
	for _, c := range []struct {
		q     WorkPlanQuery
		field string
	}{{WorkPlanQuery{Province: "Kampot", Year: 2020}, "province"}, {WorkPlanQuery{Province: "Pailin", Year: 2015}, "year"}} {
		_, err := r.WorkPlan(context.Background(), c.q)
		var de *domain.Error
		if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &de) || de.Field() != c.field {
			t.Errorf("%+v: %v; want invalid naming %s", c.q, err, c.field)
		}
	}
}
