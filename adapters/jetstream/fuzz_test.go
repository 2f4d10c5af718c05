package jetstream

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/events"
)

// headerBlock writes h in the NATS wire form ("NATS/1.0\r\nKey: value\r\n...
// \r\n"), the bytes a stored message's headers arrive as.
func headerBlock(h nats.Header) []byte {
	var b bytes.Buffer
	b.WriteString("NATS/1.0\r\n")
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// FuzzDecodeMessage fuzzes what the store reads back from the stream: the
// subject, the header block as it comes off the wire and the body, as
// anyone who can publish on lr.> could write them. Decoding never panics
// and gives either an envelope or a quarantine record (an
// *events.Quarantined with the message's sequence and a short printable
// reason), never another error: so no message stops a reader. An envelope
// that decodes is a fixed point of encode then decode: what the engine
// would write back is what it read.
func FuzzDecodeMessage(f *testing.F) {
	reg := events.NewRegistry()
	area := uuid.MustParse("01900000-0000-7000-8000-00000000a001")
	cmd := uuid.MustParse("01900000-0000-7000-8000-0000000c0001")
	recorded := time.Date(2024, 6, 1, 9, 30, 0, 123456789, time.UTC)
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: area}
	for i, ev := range []events.Event{
		events.AreaRegistered{AreaID: area, Province: "Pailin", Hazard: events.HazardAP, Classification: "SHA", SizeM2: 9_000,
			RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS"},
		events.AreaCancelled{AreaID: area, On: events.MustDate("2021-01-05"), Method: events.CancelByNTS, Reason: "nts", SizeM2: 7, RemainingM2: 8_993},
		events.FundingPledged{Donor: "Japan", Year: 2024, AmountUSD: 5},
	} {
		msg, err := encode(events.Envelope{ID: events.DerivedID(cmd, "event", i, recorded), Type: ev.EventType(), Schema: ev.SchemaVersion(),
			Aggregate: ref, OccurredOn: events.OccurredOn(ev), RecordedAt: recorded, Actor: "mapu.pailin",
			CommandID: cmd, CorrelationID: cmd, CausationID: cmd, Data: ev})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg.Subject, uint64(i+1), headerBlock(msg.Header), msg.Data)
	}
	// A schema 1 event (upcast on read), a batch member, a foreign zone, and
	// headers that are present but wrong.
	f.Add(ref.Subject(), uint64(9), []byte("NATS/1.0\r\nLr-Event-Type: AreaCancelled\r\nLr-Schema: 1\r\nNats-Batch-Id: b1\r\n\r\n"),
		[]byte(`{"area_m2":5,"on":"2020-01-01"}`))
	f.Add("lr.kh.area."+area.String(), uint64(10), []byte("NATS/1.0\r\nLr-Event-Type: FundingPledged\r\nLr-Schema: 1\r\nLr-Recorded-At: 2024-06-01T16:30:00+07:00\r\nNats-Batch-Id: b1\r\nNats-Batch-Commit: 1\r\n\r\n"),
		[]byte(`{"donor":"Japan","year":2024,"amount_usd":5}`))
	f.Add(ref.Subject(), uint64(11), []byte("NATS/1.0\r\nLr-Event-Type: FundingPledged\r\nLr-Schema: one\r\nNats-Msg-Id: x\r\n\r\n"), []byte(`{}`))
	f.Add(ref.Subject(), uint64(12), []byte("NATS/1.0 503\r\n\r\n"), []byte(nil))
	f.Add("lr.kh", uint64(13), []byte("NATS/1.0\r\nLr-Occurred-On: 2021-02-30\r\n\r\n"), []byte(`null`))
	// What the security test publishes: every kind of foreign message.
	for i, m := range foreignMessages(ref) {
		f.Add(m.subject, uint64(100+i), headerBlock(m.header), m.body)
	}

	f.Fuzz(func(t *testing.T, subject string, seq uint64, hdr, data []byte) {
		h, err := nats.DecodeHeadersMsg(hdr)
		if err != nil {
			return // not a header block: the client refuses it before we see it
		}
		env, err := decode(reg, subject, seq, h, data)
		if err != nil {
			checkQuarantined(t, err, seq)
			return
		}
		if env.Sequence != seq {
			t.Fatalf("decoded sequence %d, want %d", env.Sequence, seq)
		}
		msg, err := encode(env)
		if err != nil {
			t.Fatalf("an envelope that decoded does not encode: %v", err)
		}
		again, err := decode(reg, msg.Subject, seq, msg.Header, msg.Data)
		if err != nil {
			t.Fatalf("re-decoding what was encoded: %v\nsubject %s\nheaders %v\ndata %s", err, msg.Subject, msg.Header, msg.Data)
		}
		if again.Aggregate != env.Aggregate || again.ID != env.ID || again.Type != env.Type || again.Schema != env.Schema ||
			again.OccurredOn != env.OccurredOn || !again.RecordedAt.Equal(env.RecordedAt) || again.Actor != env.Actor ||
			again.CommandID != env.CommandID || again.CorrelationID != env.CorrelationID || again.CausationID != env.CausationID {
			t.Fatalf("encode then decode changed the envelope\n got %+v\nwant %+v", again, env)
		}
		msg2, err := encode(again)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if msg2.Subject != msg.Subject || !bytes.Equal(msg2.Data, msg.Data) || !bytes.Equal(headerBlock(msg2.Header), headerBlock(msg.Header)) {
			t.Fatalf("encode, decode, encode is not a fixed point\n got %s %s %s\nwant %s %s %s",
				msg2.Subject, headerBlock(msg2.Header), msg2.Data, msg.Subject, headerBlock(msg.Header), msg.Data)
		}
	})
}

// checkQuarantined fails unless err is a quarantine record of the message at
// seq with a reason fit to store and print.
func checkQuarantined(t *testing.T, err error, seq uint64) {
	t.Helper()
	q, ok := events.AsQuarantined(err)
	if !ok {
		t.Fatalf("decode failed with %T %v, not a quarantine record", err, err)
	}
	if q.Sequence != seq || q.Reason == "" {
		t.Fatalf("quarantine record %+v for sequence %d", q, seq)
	}
	for _, s := range []string{q.Reason, q.Subject} {
		if len(s) > events.MaxQuarantineText || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
			t.Fatalf("quarantine text not clipped or not printable: %q", s)
		}
	}
}
