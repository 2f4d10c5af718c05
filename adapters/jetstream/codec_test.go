package jetstream

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/events"
)

// foreignMessage is a message someone other than the engine could publish
// on the history's subjects.
type foreignMessage struct {
	name    string
	subject string
	header  nats.Header
	body    []byte
}

// engineHeader returns the headers the engine writes for an event of type
// typ, as encode does.
func engineHeader(typ string) nats.Header {
	id := uuid.Must(uuid.NewV7()).String()
	return nats.Header{HeaderMsgID: {id}, HeaderEventType: {typ}, HeaderSchema: {"1"}, HeaderOccurredOn: {"2024-01-02"},
		HeaderRecordedAt: {"2024-01-02T03:04:05Z"}, HeaderCommandID: {id}, HeaderCorrelationID: {id}}
}

// foreignMessages lists one message of every kind the engine did not write,
// aimed at the aggregate ref (an area): the security test in
// cmd/landrelease publishes the same kinds onto a live engine.
func foreignMessages(ref events.Ref) []foreignMessage {
	evidence := []byte(`{"area_id":"` + ref.ID.String() + `","kind":"WITNESS","observed_on":"2024-01-02"}`)
	with := func(k, v string) nats.Header {
		h := engineHeader(events.TypeEvidenceRecorded)
		h[k] = []string{v}
		return h
	}
	without := func(k string) nats.Header {
		h := engineHeader(events.TypeEvidenceRecorded)
		delete(h, k)
		return h
	}
	other := events.Ref{Country: ref.Country, Kind: events.KindFunding, ID: ref.ID}
	return []foreignMessage{
		{"no headers", ref.Subject(), nil, []byte("hello")},
		{"garbage headers", ref.Subject(), nats.Header{"X-Junk": {"\x01\x02"}, HeaderEventType: {"\u202e!"}, HeaderSchema: {"-"}}, evidence},
		{"no event type", ref.Subject(), without(HeaderEventType), evidence},
		{"Lr-Schema not a number", ref.Subject(), with(HeaderSchema, "one"), evidence},
		{"no Lr-Schema", ref.Subject(), without(HeaderSchema), evidence},
		{"schema 0", ref.Subject(), with(HeaderSchema, "0"), evidence},
		{"schema 999", ref.Subject(), with(HeaderSchema, "999"), evidence},
		{"unknown event type", ref.Subject(), with(HeaderEventType, "AreaTeleported"), evidence},
		{"no message ID", ref.Subject(), without(HeaderMsgID), evidence},
		{"message ID not a UUID", ref.Subject(), with(HeaderMsgID, "msg-1"), evidence},
		{"command ID not a UUID", ref.Subject(), with(HeaderCommandID, "cmd"), evidence},
		{"occurred-on not a date", ref.Subject(), with(HeaderOccurredOn, "2021-02-30"), evidence},
		{"recorded-at not an instant", ref.Subject(), with(HeaderRecordedAt, "yesterday"), evidence},
		{"event type twice", ref.Subject(), nats.Header{HeaderEventType: {events.TypeEvidenceRecorded, events.TypeAreaCleared},
			HeaderSchema: {"1"}, HeaderMsgID: {uuid.Must(uuid.NewV7()).String()}}, evidence},
		{"body not JSON", ref.Subject(), engineHeader(events.TypeEvidenceRecorded), []byte("\x00\xffnot json")},
		{"body JSON null", ref.Subject(), engineHeader(events.TypeEvidenceRecorded), []byte("null")},
		{"body JSON of the wrong shape", ref.Subject(), engineHeader(events.TypeEvidenceRecorded), []byte(`{"area_id":17,"kind":["WITNESS"]}`)},
		{"body names another area", ref.Subject(), engineHeader(events.TypeEvidenceRecorded),
			[]byte(`{"area_id":"` + uuid.Must(uuid.NewV7()).String() + `","kind":"WITNESS","observed_on":"2024-01-02"}`)},
		{"event of another aggregate kind", other.Subject(), engineHeader(events.TypeEvidenceRecorded), evidence},
		{"unknown aggregate kind", "lr.kh.minefield." + ref.ID.String(), engineHeader(events.TypeEvidenceRecorded), evidence},
		{"subject not lr.<country>.<kind>.<id>", "lr.kh.area", engineHeader(events.TypeEvidenceRecorded), evidence},
		{"aggregate ID not a UUID", "lr.kh.area.not-a-uuid", engineHeader(events.TypeEvidenceRecorded), evidence},
		{"subject not in canonical form", "lr.KH.area." + strings.ToUpper(ref.ID.String()), engineHeader(events.TypeEvidenceRecorded), evidence},
		{"huge header", ref.Subject(), with(HeaderEventType, strings.Repeat("Area", 16<<10)), evidence},
	}
}

// Every kind of foreign message is quarantined with a reason, never
// decoded, never an unclassified error; what the engine writes decodes.
func TestDecodeClassifiesForeignMessages(t *testing.T) {
	reg := events.NewRegistry()
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
	for i, m := range foreignMessages(ref) {
		t.Run(m.name, func(t *testing.T) {
			seq := uint64(i + 1)
			env, err := decode(reg, m.subject, seq, m.header, m.body)
			if err == nil {
				t.Fatalf("decoded as %s %+v, want quarantined", env.Type, env.Data)
			}
			checkQuarantined(t, err, seq)
		})
	}
	t.Run("the engine's own event", func(t *testing.T) {
		msg, err := encode(events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: events.TypeEvidenceRecorded, Schema: 1, Aggregate: ref,
			OccurredOn: events.MustDate("2024-01-02"), RecordedAt: time.Now(), CommandID: uuid.Must(uuid.NewV7()),
			Data: events.EvidenceRecorded{AreaID: ref.ID, Evidence: events.Evidence{Kind: "WITNESS", ObservedOn: events.MustDate("2024-01-02")}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decode(reg, msg.Subject, 1, msg.Header, msg.Data); err != nil {
			t.Fatalf("the engine's own event: %v", err)
		}
	})
	t.Run("an older schema, upcast", func(t *testing.T) {
		h := engineHeader(events.TypeAreaCancelled)
		env, err := decode(reg, ref.Subject(), 1, h, []byte(`{"area_id":"`+ref.ID.String()+`","on":"2024-01-02","area_m2":5,"reason":"nts"}`))
		if err != nil {
			t.Fatalf("schema 1 AreaCancelled: %v", err)
		}
		if c, ok := env.Data.(events.AreaCancelled); !ok || c.SizeM2 != 5 || c.Method != events.CancelByNTS {
			t.Fatalf("upcast to %+v", env.Data)
		}
	})
}
