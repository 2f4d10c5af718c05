package jetstream

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	jsonv1 "github.com/go-json-experiment/json/v1"
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
	HeaderCommand       = "Lr-Command"        // name of the command that produced the event
	HeaderCommandDigest = "Lr-Command-Digest" // domain.CommandDigest of that command

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
	if e.Command != "" {
		h[HeaderCommand] = []string{e.Command}
	}
	if e.CommandDigest != "" {
		h[HeaderCommandDigest] = []string{e.CommandDigest}
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

// engineHeaders are the headers the engine writes once on every event or
// may write once (Lr-Causation-Id, Lr-Actor); a second value is not ours.
var engineHeaders = [nEngineHeaders]string{HeaderMsgID, HeaderEventType, HeaderSchema, HeaderOccurredOn, HeaderRecordedAt,
	HeaderActor, HeaderCommandID, HeaderCorrelationID, HeaderCausationID, HeaderCommand, HeaderCommandDigest}

// decode turns a stored message back into an envelope. Every error it
// returns is an *events.Quarantined (StoredAt left for the caller): the
// message is not an event this build can read, whatever is wrong with it,
// and the reader skips it. The checks, in order:
//   - the subject is lr.<country>.<kind>.<id> exactly as the engine writes
//     it (lower-case two-letter country, a kind of the catalogue, a UUID in
//     its canonical form);
//   - Lr-Event-Type names a type of this build's catalogue stored under
//     that kind, and Lr-Schema is a version from 1 to the one this build
//     knows (a newer one is an engine upgrade away, and says so);
//   - Nats-Msg-Id is an event ID, and the engine's headers appear once and
//     parse (IDs, dates, instants);
//   - the body is a JSON object that decodes (after upcasting) as that event
//     and, for area and deployment events, names the subject's aggregate.
//
// Unknown extra headers are not a reason: a later engine may add some.
func decode(reg *events.Registry, subject string, seq uint64, h nats.Header, data []byte) (events.Envelope, error) {
	hv := readHeaders(h)
	batchEnd := hv.batchID == "" || hv.batchCommit == "1"
	quarantine := func(format string, args ...any) (events.Envelope, error) {
		return events.Envelope{}, &events.Quarantined{Sequence: seq, Subject: events.Clip(subject),
			Reason: events.Clip(fmt.Sprintf(format, args...)), BatchEnd: batchEnd}
	}
	ref, ok := parseCanonicalSubject(subject)
	if !ok {
		var err error
		if ref, err = events.ParseSubject(subject); err != nil {
			return quarantine("%v", err)
		}
		if canonical := ref.Subject(); canonical != subject {
			return quarantine("subject is not in the engine's form (%s)", canonical)
		}
		if !validCountry(ref.Country) {
			return quarantine("subject's country %q is not an ISO 3166-1 alpha-2 code", ref.Country)
		}
		if !ref.Kind.Known() {
			return quarantine("subject's aggregate kind %q is unknown", ref.Kind)
		}
	}
	for i, k := range engineHeaders {
		if hv.count[i] > 1 {
			return quarantine("header %s appears %d times", k, hv.count[i])
		}
	}
	e := events.Envelope{Aggregate: ref, Sequence: seq, Type: hv.first[hEventType], Actor: hv.first[hActor],
		Command: hv.first[hCommand], CommandDigest: hv.first[hCommandDigest], BatchEnd: batchEnd}
	if e.Type == "" {
		return quarantine("no %s header: not written by the engine", HeaderEventType)
	}
	current, ok := reg.Schema(e.Type)
	if !ok {
		return quarantine("unknown event type %q (not written by the engine, or by a newer one: upgrade landrelease)", e.Type)
	}
	if kind, _ := events.KindOf(e.Type); kind != ref.Kind {
		return quarantine("event type %s belongs on a %s subject, not a %s one", e.Type, kind, ref.Kind)
	}
	schema := hv.first[hSchema]
	var err error
	switch e.Schema, err = strconv.Atoi(schema); {
	case schema == "":
		return quarantine("no %s header", HeaderSchema)
	case err != nil:
		return quarantine("header %s %q is not a number", HeaderSchema, schema)
	case e.Schema < 1:
		return quarantine("header %s %d: schema versions start at 1", HeaderSchema, e.Schema)
	case e.Schema > current:
		return quarantine("%s schema %d is newer than this build knows (%d): upgrade landrelease", e.Type, e.Schema, current)
	}
	if hv.first[hMsgID] == "" {
		return quarantine("no %s header: not written by the engine", HeaderMsgID)
	}
	for _, id := range [...]struct {
		i   int
		dst *uuid.UUID
	}{{hMsgID, &e.ID}, {hCommandID, &e.CommandID}, {hCorrelationID, &e.CorrelationID}, {hCausationID, &e.CausationID}} {
		if s := hv.first[id.i]; s != "" {
			if *id.dst, err = uuid.Parse(s); err != nil || len(s) != 36 {
				return quarantine("header %s %q is not a UUID", engineHeaders[id.i], s)
			}
		}
	}
	if e.ID == uuid.Nil {
		return quarantine("header %s is the nil UUID", HeaderMsgID)
	}
	if s := hv.first[hOccurredOn]; s != "" {
		if e.OccurredOn, err = events.ParseDate(s); err != nil {
			return quarantine("header %s: %v", HeaderOccurredOn, err)
		}
	}
	if s := hv.first[hRecordedAt]; s != "" {
		if e.RecordedAt, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return quarantine("header %s %q is not an RFC 3339 instant", HeaderRecordedAt, s)
		}
	}
	if body := bytes.TrimLeft(data, " \t\r\n"); len(body) == 0 || body[0] != '{' {
		return quarantine("body is not a JSON object")
	}
	if e.Data, err = reg.DecodeWith(fastJSON, e.Type, e.Schema, data); err != nil {
		return quarantine("body: %v", err)
	}
	if id, ok := events.NamedAggregate(e.Data); ok && id != ref.ID {
		return quarantine("body names aggregate %s, the subject %s", id, ref.ID)
	}
	return e, nil
}

// fastJSON decodes event bodies: the v1 (encoding/json) semantics
// implemented on the JSON v2 engine, about twice as fast with a third of
// the allocations. Registry.DecodeWith falls back to encoding/json
// whenever it fails, so a refused body's reason is encoding/json's;
// FuzzFastJSON checks that both accept the same bodies with the same values.
var fastJSON events.Unmarshaler = jsonv1.Unmarshal

// validCountry: two ASCII letters, as Ref.Subject writes them.
func validCountry(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}
