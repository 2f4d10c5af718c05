package jetstream

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// storedBatch, which resolves a batch whose first attempt lost its answer,
// finds a stored batch with the sequence of its first event, and does not
// take a batch that was never stored for one.
func TestStoredBatchReadBack(t *testing.T) {
	srv, err := StartEmbedded(DefaultEmbeddedConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx := context.Background()
	s, err := Open(ctx, nc, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	batch := func() ([]domain.Write, []*nats.Msg) {
		var writes []domain.Write
		var msgs []*nats.Msg
		for range 2 {
			area := uuid.New()
			ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: area}
			e := events.Envelope{ID: uuid.New(), Type: "AreaRegistered", Schema: 1, Aggregate: ref, CommandID: uuid.New(),
				RecordedAt: time.Now(), OccurredOn: events.MustDate("2024-01-01"),
				Data: events.AreaRegistered{AreaID: area, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 1_000,
					RegisteredOn: events.MustDate("2024-01-01"), Source: "BLS"}}
			writes = append(writes, domain.Write{Aggregate: ref, Events: []events.Envelope{e}})
			m, err := encode(e)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		return writes, msgs
	}
	first, _ := batch()
	if _, err := s.Append(ctx, first); err != nil { // something before, so the batch does not start at 1
		t.Fatal(err)
	}
	writes, msgs := batch()
	seq, err := s.Append(ctx, writes)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.storedBatch(ctx, msgs); !ok || got != seq {
		t.Fatalf("stored batch read back: %d %v, want %d", got, ok, seq)
	}
	_, never := batch()
	if got, ok := s.storedBatch(ctx, never); ok {
		t.Fatalf("a batch never stored was taken for stored at %d", got)
	}
}
