package jetstream

import (
	"reflect"
	"testing"

	"github.com/landrelease/landrelease/events"
)

// FuzzFastJSON: for every event type of the catalogue, the replay's body
// decoder (fastJSON through Registry.DecodeWith) and encoding/json
// (Registry.Decode) refuse the same bodies with the same error and
// accept the others with the same value, so decoding faster never lets a
// foreign body through nor changes what is folded.
func FuzzFastJSON(f *testing.F) {
	reg := events.NewRegistry()
	types := reg.Types()
	id := `"01900000-0000-7000-8000-00000000a001"`
	for i, s := range []string{
		`{"area_id":` + id + `,"province":"Pailin","hazard":"AP","classification":"SHA","size_m2":9000,"registered_on":"2020-01-01","source":"BLS"}`,
		`{"area_id":` + id + `,"kind":"WITNESS","observed_on":"2024-01-02","description":"x"}`,
		`{"area_id":` + id + `,"on":"2021-01-05","method":"NTS","reason":"nts","size_m2":7,"remaining_m2":8993}`,
		`{"donor":"Japan","year":2024,"amount_usd":5}`,
		`{"deployment_id":` + id + `,"on":"2021-01-01"}`,
		`{"AREA_ID":` + id + `,"Size_M2":5}`, // keys match case-insensitively
		`{"size_m2":5,"size_m2":6}`,          // the last duplicate wins
		`{"size_m2":1e3}`, `{"size_m2":5.0}`, `{"size_m2":"5"}`, `{"size_m2":9223372036854775808}`, `{"year":-0}`,
		`{"on":"2021-02-30"}`, `{"on":null}`, `{"on":"2021-01-0\u0031"}`, `{"on":20210101}`,
		`{"area_id":"01900000000070008000 00000000a001"}`, `{"area_id":null}`, `{"area_id":""}`,
		"{\"province\":\"P\xffilin\"}", `{"province":"\ud800"}`, `{"province":"a\u0000b"}`,
		`{} `, `{}x`, `{"a":[1,{"b":null}],"c":{}}`, `{"description":"` + "\t" + `"}`, `{,}`, `{"a":1,}`,
	} {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		name := types[int(typ)%len(types)]
		schema, _ := reg.Schema(name)
		want, werr := reg.Decode(name, schema, data)
		got, gerr := reg.DecodeWith(fastJSON, name, schema, data)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("%s %q: encoding/json says %v, the fast path %v", name, data, werr, gerr)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s %q: encoding/json gives %#v, the fast path %#v", name, data, want, got)
		}
	})
}
