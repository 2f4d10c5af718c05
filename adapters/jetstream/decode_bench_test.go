package jetstream

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/events"
)

// BenchmarkDecode is decode alone on the replay's mix of stored messages
// (an AreaRegistered and an EvidenceRecorded per area), from the header
// map and body the client hands over: ns/event and allocs/event of the
// decode path (issue 17).
func BenchmarkDecode(b *testing.B) {
	reg := events.NewRegistry()
	on := events.MustDate("2020-03-01")
	type stored struct {
		subject string
		h       nats.Header
		data    []byte
	}
	var msgs []stored
	for range 64 {
		ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
		cmd := uuid.Must(uuid.NewV7())
		for _, ev := range []events.Event{
			events.AreaRegistered{AreaID: ref.ID, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 10_000, RegisteredOn: on, Source: "BLS"},
			events.EvidenceRecorded{AreaID: ref.ID, Evidence: events.Evidence{Kind: "WITNESS", ObservedOn: on, Description: strings.Repeat("x", 160)}},
		} {
			m, err := encode(events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(), Schema: ev.SchemaVersion(), Aggregate: ref,
				OccurredOn: on, RecordedAt: time.Now(), Actor: "mapu:Pailin", CommandID: cmd, CorrelationID: cmd, Data: ev})
			if err != nil {
				b.Fatal(err)
			}
			// As the client hands it over: parsed from the wire.
			h, err := nats.DecodeHeadersMsg(headerBlock(m.Header))
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, stored{m.Subject, h, m.Data})
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		m := msgs[n%len(msgs)]
		if _, err := decode(reg, m.subject, uint64(n+1), m.h, m.data); err != nil {
			b.Fatal(err)
		}
		n++
	}
}
