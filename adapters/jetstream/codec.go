package jetstream

import (
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/events"
)

// Header names of docs/contract.md.
const (
	HeaderMsgID         = "Nats-Msg-Id"
	HeaderExpectedSeq   = "Nats-Expected-Last-Subject-Sequence"
	HeaderEventType     = "Lr-Event-Type"
	HeaderSchema        = "Lr-Schema"
	HeaderOccurredOn    = "Lr-Occurred-On"
	HeaderRecordedAt    = "Lr-Recorded-At"
	HeaderActor         = "Lr-Actor"
	HeaderCommandID     = "Lr-Command-Id"
	HeaderCorrelationID = "Lr-Correlation-Id"
	HeaderCausationID   = "Lr-Causation-Id"

	headerBatchID     = "Nats-Batch-Id"     // kept on messages stored by an atomic batch
	headerBatchCommit = "Nats-Batch-Commit" // "1" on the last message of the batch
)

// encode turns an envelope into a NATS message (body = event JSON).
func encode(e events.Envelope) (*nats.Msg, error) {
	data, err := events.Encode(e.Data)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", e.Type, err)
	}
	h := make(nats.Header, 12)
	h[HeaderMsgID] = []string{e.ID.String()}
	h[HeaderEventType] = []string{e.Type}
	h[HeaderSchema] = []string{strconv.Itoa(e.Schema)}
	h[HeaderOccurredOn] = []string{e.OccurredOn.String()}
	h[HeaderRecordedAt] = []string{e.RecordedAt.UTC().Format(time.RFC3339Nano)}
	if e.Actor != "" {
		h[HeaderActor] = []string{e.Actor}
	}
	h[HeaderCommandID] = []string{e.CommandID.String()}
	h[HeaderCorrelationID] = []string{e.CorrelationID.String()}
	if e.CausationID != uuid.Nil {
		h[HeaderCausationID] = []string{e.CausationID.String()}
	}
	return &nats.Msg{Subject: e.Aggregate.Subject(), Header: h, Data: data}, nil
}

// batchHeaderRoom is room for the headers an atomic batch publish adds to
// each message (Nats-Batch-Id, Nats-Batch-Sequence, Nats-Batch-Commit).
const batchHeaderRoom = 128

// msgSize is what the NATS server counts against its max_payload for m:
// the body and the headers as sent (NATS/1.0 line, "Key: value" lines, the
// blank line), with room for the headers of a batch publish.
func msgSize(m *nats.Msg) int64 {
	n := len("NATS/1.0\r\n") + len("\r\n") + batchHeaderRoom
	for k, vs := range m.Header {
		for _, v := range vs {
			n += len(k) + len(": ") + len(v) + len("\r\n")
		}
	}
	return int64(n + len(m.Data))
}

func header(h nats.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func headerID(h nats.Header, k string) (uuid.UUID, error) {
	s := header(h, k)
	if s == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("header %s: %w", k, err)
	}
	return id, nil
}

// decode turns a stored message back into an envelope.
func decode(reg *events.Registry, subject string, seq uint64, h nats.Header, data []byte) (events.Envelope, error) {
	ref, err := events.ParseSubject(subject)
	if err != nil {
		return events.Envelope{}, err
	}
	e := events.Envelope{Aggregate: ref, Sequence: seq, Type: header(h, HeaderEventType), Actor: header(h, HeaderActor),
		BatchEnd: header(h, headerBatchID) == "" || header(h, headerBatchCommit) == "1"}
	fail := func(err error) (events.Envelope, error) {
		return events.Envelope{}, fmt.Errorf("event at sequence %d (%s): %w", seq, subject, err)
	}
	if e.ID, err = headerID(h, HeaderMsgID); err != nil {
		return fail(err)
	}
	if e.CommandID, err = headerID(h, HeaderCommandID); err != nil {
		return fail(err)
	}
	if e.CorrelationID, err = headerID(h, HeaderCorrelationID); err != nil {
		return fail(err)
	}
	if e.CausationID, err = headerID(h, HeaderCausationID); err != nil {
		return fail(err)
	}
	if e.Schema, err = strconv.Atoi(header(h, HeaderSchema)); err != nil {
		return fail(fmt.Errorf("header %s: %w", HeaderSchema, err))
	}
	if s := header(h, HeaderOccurredOn); s != "" {
		if e.OccurredOn, err = events.ParseDate(s); err != nil {
			return fail(fmt.Errorf("header %s: %w", HeaderOccurredOn, err))
		}
	}
	if s := header(h, HeaderRecordedAt); s != "" {
		if e.RecordedAt, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return fail(fmt.Errorf("header %s: %w", HeaderRecordedAt, err))
		}
	}
	if e.Data, err = reg.Decode(e.Type, e.Schema, data); err != nil {
		return fail(err)
	}
	return e, nil
}
