package events_test

import (
	"encoding/json"
	"testing"

	"github.com/landrelease/landrelease/events"
)

// FuzzUpcastAreaCancelled fuzzes the stored data of a schema 1 AreaCancelled,
// the one upcaster of the catalogue: decoding never panics; what decodes
// carries a cancellation method (version 1 had none: every cancellation was
// by non-technical survey) and the version 1 size, and encoding it and
// decoding it as the current schema is a fixed point.
func FuzzUpcastAreaCancelled(f *testing.F) {
	for _, s := range []string{
		`{"area_id":"01900000-0000-7000-8000-00000000a001","on":"2020-01-01","reason":"NTS","area_m2":5000,"remaining_m2":0}`,
		`{"area_m2":5,"on":"2020-01-01"}`,
		`{"area_m2":5,"size_m2":7,"method":"DESK_ANALYSIS"}`,
		`{"area_m2":"5"}`,
		`{"method":null}`,
		`{}`,
		`null`,
		`[]`,
		`{"area_m2":1e400}`,
	} {
		f.Add([]byte(s))
	}
	reg := events.NewRegistry()
	current, _ := reg.Schema(events.TypeAreaCancelled)
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := reg.Decode(events.TypeAreaCancelled, 1, data)
		if err != nil {
			return
		}
		got, ok := ev.(events.AreaCancelled)
		if !ok {
			t.Fatalf("Decode returned a %T", ev)
		}
		var v1 map[string]json.RawMessage
		if err := json.Unmarshal(data, &v1); err != nil {
			t.Fatalf("upcast accepted data that is not a JSON object: %s", data)
		}
		if _, had := v1["method"]; !had && got.Method != events.CancelByNTS {
			t.Fatalf("version 1 without a method upcast to method %q, want %q", got.Method, events.CancelByNTS)
		}
		if raw, had := v1["area_m2"]; had {
			var size int64
			if json.Unmarshal(raw, &size) == nil && got.SizeM2 != size {
				t.Fatalf("version 1 area_m2 %s upcast to size_m2 %d", raw, got.SizeM2)
			}
		}
		again, err := events.Encode(got)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		ev2, err := reg.Decode(events.TypeAreaCancelled, current, again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		if third, _ := events.Encode(ev2); string(third) != string(again) {
			t.Fatalf("decode changed an upcast event\n got %s\nwant %s", third, again)
		}
	})
}

// FuzzParseSubject: a subject that parses names the aggregate whose subject
// parses back to the same aggregate, whatever the case or UUID spelling.
func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{
		"lr.kh.area.01900000-0000-7000-8000-00000000a001",
		"lr.KH.deployment.{01900000-0000-7000-8000-00000000d001}",
		"lr.kh.area.urn:uuid:01900000-0000-7000-8000-00000000a001",
		"lr.kh.area.019000000000700080000000000a0001",
		"lr.kh.area",
		"lr..area.01900000-0000-7000-8000-00000000a001",
		"xx.kh.area.01900000-0000-7000-8000-00000000a001",
		"lr.kh.area.01900000-0000-7000-8000-00000000a001.extra",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := events.ParseSubject(s)
		if err != nil {
			return
		}
		again, err := events.ParseSubject(ref.Subject())
		if err != nil {
			t.Fatalf("ParseSubject(%q) = %+v, whose subject %q does not parse: %v", s, ref, ref.Subject(), err)
		}
		if again != ref {
			t.Fatalf("ParseSubject(%q) = %+v, but its subject %q parses as %+v", s, ref, ref.Subject(), again)
		}
	})
}

// FuzzDate: a date that parses prints as YYYY-MM-DD and survives the JSON
// round trip; JSON that is not a date string or null is refused, never
// taken as the zero date.
func FuzzDate(f *testing.F) {
	for _, s := range []string{`"2021-02-28"`, `"2021-02-30"`, `"2024-02-29"`, `"0000-01-01"`, `"9999-12-31"`, `"2021-1-1"`,
		`null`, `""`, `20210228`, `"2021-02-28T00:00:00Z"`, `"\u0032021-02-28"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d events.Date
		if err := json.Unmarshal(b, &d); err != nil {
			return
		}
		if d.IsZero() {
			if string(b) != "null" {
				t.Fatalf("%s decoded as no date", b)
			}
			return
		}
		p, err := events.ParseDate(d.String())
		if err != nil || p != d {
			t.Fatalf("%s decoded as %v, whose string %q parses as %v, %v", b, d, d.String(), p, err)
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", d, err)
		}
		var d2 events.Date
		if err := json.Unmarshal(out, &d2); err != nil || d2 != d {
			t.Fatalf("%s decoded as %v, marshalled as %s, which decodes as %v, %v", b, d, out, d2, err)
		}
	})
}
