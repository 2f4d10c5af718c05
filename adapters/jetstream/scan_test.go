package jetstream_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// ScanCommands lists every message's subject and command ID, a foreign
// message's too (with no ID), without reading bodies; EventAt reads one
// event back by its sequence, and tells a foreign message or a sequence
// with nothing there from an event. A handler with a cache of 4 started on
// this history accepts a command on the poisoned area at once: the scan
// counted the area as existing, so its first command loads the foreign
// message's sequence as the version.
func TestScanCommandsAndEventAt(t *testing.T) {
	ctx := context.Background()
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	st := jetstreamtest.MustStore(t, nc)
	a := smallHandler(t, st)
	var ids []uuid.UUID
	var areas []uuid.UUID
	for range 3 {
		c := registerArea(1_000)
		res, err := a.Handle(ctx, domain.CommandEnvelope{ID: uuid.New(), Command: c})
		if err != nil {
			t.Fatal(err)
		}
		ids, areas = append(ids, res.CommandID), append(areas, c.AreaID)
	}
	poisoned := events.Ref{Country: "KH", Kind: events.KindArea, ID: areas[1]}
	ack, err := st.JetStream().Publish(ctx, poisoned.Subject(), []byte("not an event"))
	if err != nil {
		t.Fatal(err)
	}
	type msg struct {
		seq     uint64
		subject string
		id      uuid.UUID
	}
	var got []msg
	err = st.ScanCommands(ctx, 1, 0, func(seq uint64, subject string, id uuid.UUID) error {
		got = append(got, msg{seq, subject, id})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[3] != (msg{ack.Sequence, poisoned.Subject(), uuid.Nil}) {
		t.Fatalf("scan: %+v; want 3 events and the foreign message at %d", got, ack.Sequence)
	}
	for i, id := range ids {
		ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: areas[i]}
		if got[i].id != id || got[i].subject != ref.Subject() {
			t.Fatalf("scan entry %d: %+v, want command %s on %s", i, got[i], id, ref.Subject())
		}
		e, ok, err := st.EventAt(ctx, got[i].seq)
		if err != nil || !ok || e.CommandID != id || e.Aggregate != ref || e.Command != "RegisterSuspectedArea" {
			t.Fatalf("EventAt(%d): %+v %v %v", got[i].seq, e, ok, err)
		}
	}
	if _, ok, err := st.EventAt(ctx, ack.Sequence); ok || err != nil {
		t.Fatalf("EventAt of the foreign message: %v %v, want not an event", ok, err)
	}
	if _, ok, err := st.EventAt(ctx, 999); ok || err != nil {
		t.Fatalf("EventAt past the end: %v %v, want nothing", ok, err)
	}

	b := smallHandler(t, st)
	res, err := b.Handle(ctx, domain.CommandEnvelope{ID: uuid.New(), Command: domain.ReduceArea{AreaID: areas[1],
		On: events.MustDate("2022-01-01"), SizeM2: 10, Operator: "CMAC"}})
	if err != nil || res.Sequence != ack.Sequence+1 {
		t.Fatalf("a command on the poisoned area after a cold start: %+v %v", res, err)
	}
	if n := b.Conflicts(); n != 0 {
		t.Fatalf("%d conflicts, want none: the scan knew the area", n)
	}
	again, err := b.Handle(ctx, domain.CommandEnvelope{ID: ids[2], Command: registerArea(1_000)})
	if err == nil || again.Duplicate {
		t.Fatalf("a command ID of the history reused on a new area after a cold start: %+v %v, want a refusal", again, err)
	}
}

func smallHandler(t *testing.T, store domain.EventStore) *handling.Handler {
	t.Helper()
	cfg := handling.DefaultHandlerConfig()
	cfg.CacheSize = 4
	h, err := handling.NewHandler(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}
