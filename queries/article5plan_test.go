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

type foldOf struct{ n *projections.National }

func (f foldOf) View(fn func(n *projections.National)) { fn(f.n) }

// The plan read on the live fold is the forecast's for the same settings; a
// refused setting is ErrInvalid naming the field; an empty history is
// ErrNotFound.
func TestArticle5PlanRead(t *testing.T) {
	n := projections.NewNational()
	for i, e := range []events.Event{
		events.AreaRegistered{AreaID: uuid.New(), Province: "Pailin", Hazard: "AP", Classification: "CHA", SizeM2: 1_000_000, RegisteredOn: events.MustDate("2019-06-01"), Source: "BLS"},
		events.CapacityDeployed{DeploymentID: uuid.New(), Operator: "CMAC", Province: "Pailin", Method: "MANUAL", Deminers: 100, From: events.MustDate("2019-07-01"),
			ProductivityM2PerDeminerDay: 20, WorkingDaysPerYear: 250},
	} {
		n.Apply(events.Envelope{Sequence: uint64(i + 1), OccurredOn: events.OccurredOn(e), Data: e})
	}
	r := &Reads{Fold: foldOf{n}}
	p, err := r.Article5Plan(context.Background(), Article5PlanQuery{Redeploy: projections.RedeployNone})
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Forecast(context.Background(), ForecastQuery{Redeploy: projections.RedeployNone})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Years) == 0 || len(p.Years) != len(f.FundingGap) || p.CostToCompletionUSD != f.CostToCompletionUSD || p.Years[len(p.Years)-1].EndM2 != 0 {
		t.Fatalf("plan %+v, forecast cost %d, funding gap %+v", p.Years, f.CostToCompletionUSD, f.FundingGap)
	}
	for field, q := range map[string]Article5PlanQuery{"redeploy": {Redeploy: "everywhere"}, "funding": {Funding: "maybe"}} {
		_, err := r.Article5Plan(context.Background(), q)
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.ErrInvalid || de.Field() != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	_, err = (&Reads{Fold: foldOf{projections.NewNational()}}).Article5Plan(context.Background(), Article5PlanQuery{})
	if domain.KindOf(err) != domain.ErrNotFound {
		t.Errorf("empty history: %v", err)
	}
}
