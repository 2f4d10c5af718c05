package bus_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/bus"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// The real domain handler over the real JetStream store, behind the bus in
// process and over NATS: a command is applied and its events come back with
// their sequences; a resent command is a duplicate; a refused one comes back
// as the domain error it was.
func TestDomainHandlerBehindTheBus(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	store := jetstreamtest.MustStore(t, jetstreamtest.MustConnect(t, srv))
	h, err := handling.NewHandler(store, handling.DefaultHandlerConfig())
	if err != nil {
		t.Fatal(err)
	}
	configs := map[string]bus.Config{
		"inprocess": testConfig(),
		"nats":      natsConfig(jetstreamtest.MustConnect(t, srv)),
	}
	for _, name := range []string{"inprocess", "nats"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := mustBus(t, configs[name], h)

			reg := domain.CommandEnvelope{ID: uuid.Must(uuid.NewV7()), Actor: "operator@cmaa", Command: domain.RegisterSuspectedArea{
				Province: "Battambang", Hazard: "AP", SizeM2: 10_000, RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"}}
			res, err := b.Send(ctx, reg)
			if err != nil {
				t.Fatalf("register: %v", err)
			}
			if res.Sequence == 0 || len(res.Events) != 1 || res.Events[0].Sequence != res.Sequence {
				t.Fatalf("register result = %+v, want one event with its stream sequence", res)
			}
			e := res.Events[0]
			registered, ok := e.Data.(events.AreaRegistered)
			if !ok || registered.SizeM2 != 10_000 || registered.AreaID != res.Aggregate.ID {
				t.Errorf("event data = %#v, want AreaRegistered of 10,000 m² for %s", e.Data, res.Aggregate.ID)
			}
			if e.Type != events.TypeAreaRegistered || e.Actor != "operator@cmaa" || e.CommandID != reg.ID || e.Aggregate != res.Aggregate {
				t.Errorf("event envelope = %+v, want type, actor, command ID and aggregate kept", e)
			}
			if res.Aggregate.Kind != events.KindArea || res.CommandID != reg.ID || res.Command != "RegisterSuspectedArea" {
				t.Errorf("result = %+v, want the area registered by %s", res, reg.ID)
			}
			if _, version, err := store.Load(ctx, res.Aggregate); err != nil || version != res.Sequence {
				t.Errorf("store has the area at version %d (%v), want %d", version, err, res.Sequence)
			}

			again, err := b.Send(ctx, reg)
			if err != nil || !again.Duplicate || again.Sequence != res.Sequence {
				t.Errorf("resent command = %+v, %v; want a duplicate at sequence %d", again, err, res.Sequence)
			}

			cancelled, err := b.Send(ctx, domain.CommandEnvelope{Command: cancelArea(res.Aggregate.ID)})
			if err != nil {
				t.Fatalf("cancel: %v", err)
			}
			if cancelled.Sequence <= res.Sequence {
				t.Errorf("cancel at sequence %d, want after %d", cancelled.Sequence, res.Sequence)
			}
			if c, ok := cancelled.Events[0].Data.(events.AreaCancelled); !ok || c.SizeM2 != 10_000 || c.RemainingM2 != 0 {
				t.Errorf("cancel event = %#v, want all 10,000 m² cancelled", cancelled.Events[0].Data)
			}

			_, err = b.Send(ctx, domain.CommandEnvelope{Command: cancelArea(uuid.New())})
			if !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("cancel of an unknown area: err = %v, want not found", err)
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Field() != "area_id" || de.Op != "CancelArea" {
				t.Errorf("err = %#v, want CancelArea's problem on area_id", err)
			}
		})
	}
}
