package domain_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
)

// A key given twice in any object of a command, at the top level, inside
// "data" or deeper, is refused naming the key; JSON decoders disagree on
// which value wins, so the engine takes neither.
func TestDecodeRefusesDuplicateKeys(t *testing.T) {
	const clear = `"area_id":"01900000-0000-7000-8000-0000000000a1","on":"2021-06-30","operator":"CMAC"`
	for _, tc := range []struct {
		name, line, field, key string
	}{
		{"envelope", `{"command":"ClearArea","command":"CancelArea","data":{` + clear + `,"size_m2":5}}`, "command", "command"},
		{"data", `{"command":"ClearArea","data":{` + clear + `,"size_m2":5,"size_m2":5000000}}`, "size_m2", "size_m2"},
		{"data, other case", `{"command":"ClearArea","data":{` + clear + `,"size_m2":5,"SIZE_M2":5000000}}`, "size_m2", "SIZE_M2"},
		{"data twice", `{"command":"ClearArea","data":{` + clear + `,"size_m2":5},"data":{` + clear + `,"size_m2":6}}`, "data", "data"},
		{"escaped", `{"command":"ClearArea","data":{` + clear + `,"size_m2":5,"size\u005fm2":6}}`, "size_m2", "size_m2"},
		{"nested", `{"command":"RegisterSuspectedArea","data":{"province":"Pailin","hazard":"AP","size_m2":5,"registered_on":"2020-01-01","source":"BLS",` +
			`"evidence":[{"kind":"ACCIDENT","observed_on":"2019-01-01"},{"kind":"ACCIDENT","kind":"WITNESS","observed_on":"2019-01-01"}]}}`, "evidence[1].kind", "kind"},
		{"geometry", `{"command":"RegisterSuspectedArea","data":{"province":"Pailin","hazard":"AP","size_m2":5,"registered_on":"2020-01-01","source":"BLS",` +
			`"geometry":{"type":"Polygon","coordinates":[],"coordinates":[[[102.5,13.1],[102.6,13.1],[102.6,13.2],[102.5,13.1]]]}}}`, "geometry.coordinates", "coordinates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.DecodeCommand([]byte(tc.line))
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("want an invalid *domain.Error, got %v", err)
			}
			if de.Field() != tc.field || !strings.Contains(de.Problems[0].Reason, `duplicate key "`+tc.key+`"`) {
				t.Errorf("field %q reason %q; want field %q naming key %q", de.Field(), de.Problems[0].Reason, tc.field, tc.key)
			}
		})
	}
}

// The same key in different objects is no duplicate, nor is a key's name
// used as a string value.
func TestDecodeAcceptsKeysRepeatedAcrossObjects(t *testing.T) {
	line := `{"command":"RegisterSuspectedArea","data":{"province":"Pailin","hazard":"AP","size_m2":5,"registered_on":"2020-01-01","source":"BLS",` +
		`"district":"province","evidence":[{"kind":"ACCIDENT","observed_on":"2019-01-01"},{"kind":"WITNESS","observed_on":"2019-01-01","description":"kind"}]}}`
	if _, err := domain.DecodeCommand([]byte(line)); err != nil {
		t.Fatal(err)
	}
}

// An object with thousands of keys is checked in linear time: a hostile line
// cannot make the check quadratic.
func TestDecodeDuplicateKeyInAWideObject(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"command":"ClearArea","data":{"geometry":{`)
	for i := range 50_000 {
		b.WriteString(`"k` + strings.Repeat("x", i%7) + strconv.Itoa(i) + `":0,`)
	}
	b.WriteString(`"k0":1}}}`)
	_, err := domain.DecodeCommand([]byte(b.String()))
	var de *domain.Error
	if !errors.As(err, &de) || de.Field() != "geometry.k0" {
		t.Fatalf("want a duplicate geometry.k0, got %v", err)
	}
}
