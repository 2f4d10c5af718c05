package events

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Upcaster turns the JSON of one schema version of an event type into the JSON
// of the next version. It must be pure and deterministic.
type Upcaster func(data []byte) ([]byte, error)

// Unmarshaler decodes JSON into a Go value, as json.Unmarshal does.
type Unmarshaler func(data []byte, v any) error

type entry struct {
	schema    int
	decode    func([]byte, Unmarshaler) (Event, error)
	upcasters map[int]Upcaster // from version -> to version+1
}

// Registry knows every event type: its current schema version, how to decode
// it and how to upcast older versions. Build one with NewRegistry; it is safe
// for concurrent use once built.
type Registry struct {
	types map[string]*entry
}

// NewRegistry returns a registry holding the whole catalogue of this package
// and its upcasters.
func NewRegistry() *Registry {
	r := &Registry{types: make(map[string]*entry)}
	register[AreaRegistered](r)
	register[EvidenceRecorded](r)
	register[AreaConfirmed](r)
	register[AreaCancelled](r)
	register[AreaReduced](r)
	register[AreaCleared](r)
	register[AreaReclassified](r)
	register[AreaRecordCorrected](r)
	register[AreaReopened](r)
	register[QAVisitRecorded](r)
	register[CapacityDeployed](r)
	register[CapacityWithdrawn](r)
	register[TaskAssigned](r)
	register[FundingPledged](r)
	register[FundingShortfallRecorded](r)
	register[Article5DeadlineSet](r)
	register[WorkPlanApproved](r)
	register[WorkPlanEndorsed](r)
	register[AccessRestricted](r)
	register[AccessRestrictionLifted](r)
	r.AddUpcaster(TypeAreaCancelled, 1, upcastAreaCancelledV1)
	r.AddUpcaster(TypeArticle5DeadlineSet, 1, upcastArticle5DeadlineSetV1)
	return r
}

func register[T Event](r *Registry) {
	var zero T
	r.types[zero.EventType()] = &entry{
		schema: zero.SchemaVersion(),
		decode: func(b []byte, fast Unmarshaler) (Event, error) {
			var v T
			if fast != nil {
				if fast(b, &v) == nil {
					return v, nil
				}
				v = *new(T) // what the failed decode filled in
			}
			if err := json.Unmarshal(b, &v); err != nil {
				return nil, err
			}
			return v, nil
		},
		upcasters: map[int]Upcaster{},
	}
}

// AddUpcaster registers the step from schema version from to from+1 of an
// event type. It panics if the type is unknown or from is not below the
// current version: that is a programming error found by the first test.
func (r *Registry) AddUpcaster(eventType string, from int, up Upcaster) {
	e, ok := r.types[eventType]
	if !ok || from < 1 || from >= e.schema {
		panic(fmt.Sprintf("events: upcaster %s v%d: no such step", eventType, from))
	}
	e.upcasters[from] = up
}

// Types lists the registered event type names, sorted.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.types))
	for t := range r.types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Schema returns the current schema version of an event type, and whether the
// type is known.
func (r *Registry) Schema(eventType string) (int, bool) {
	e, ok := r.types[eventType]
	if !ok {
		return 0, false
	}
	return e.schema, true
}

// Decode turns stored data of an event type and schema version into the
// current Go value, upcasting older versions step by step. It fails for an
// unknown type, a version newer than this build knows, a missing upcaster or
// malformed data.
func (r *Registry) Decode(eventType string, schema int, data []byte) (Event, error) {
	return r.DecodeWith(nil, eventType, schema, data)
}

// DecodeWith is Decode with a faster JSON decoder for the body (nil:
// encoding/json). fast must accept exactly what encoding/json accepts and
// give the same values; whenever it fails, the body is decoded again with
// encoding/json, whose answer is returned: a faster decoder changes how
// fast a body decodes, never what is refused or the reason given.
func (r *Registry) DecodeWith(fast Unmarshaler, eventType string, schema int, data []byte) (Event, error) {
	e, ok := r.types[eventType]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", eventType)
	}
	if schema > e.schema {
		return nil, fmt.Errorf("event %s schema %d is newer than this build (%d): upgrade landrelease", eventType, schema, e.schema)
	}
	if schema < 1 {
		return nil, fmt.Errorf("event %s: invalid schema version %d", eventType, schema)
	}
	for v := schema; v < e.schema; v++ {
		up, ok := e.upcasters[v]
		if !ok {
			return nil, fmt.Errorf("event %s: no upcaster from schema %d", eventType, v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("event %s: upcast from schema %d: %w", eventType, v, err)
		}
	}
	ev, err := e.decode(data, fast)
	if err != nil {
		return nil, fmt.Errorf("event %s schema %d: %w", eventType, schema, err)
	}
	return ev, nil
}

// Encode returns the JSON data of an event (its current schema version).
func Encode(e Event) ([]byte, error) { return json.Marshal(e) }

// upcastAreaCancelledV1: version 1 stored the size as "area_m2" and had no
// method, because every cancellation then was by non-technical survey.
func upcastAreaCancelledV1(data []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil { // "null" unmarshals without error into a nil map
		return nil, fmt.Errorf("want a JSON object, got %s", truncate(data))
	}
	if v, ok := m["area_m2"]; ok {
		m["size_m2"] = v
		delete(m, "area_m2")
	}
	if _, ok := m["method"]; !ok {
		m["method"] = json.RawMessage(`"NTS"`)
	}
	return json.Marshal(m)
}

// upcastArticle5DeadlineSetV1: version 1 had no decision date; it stays
// unknown (null), and a forecast takes such a deadline as a plan on record.
func upcastArticle5DeadlineSetV1(data []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("want a JSON object, got %s", truncate(data))
	}
	if _, ok := m["decided_on"]; !ok {
		m["decided_on"] = json.RawMessage(`null`)
	}
	return json.Marshal(m)
}
