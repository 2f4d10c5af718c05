package domain_test

import (
	"testing"

	"github.com/landrelease/landrelease/domain"
)

// BenchmarkDecodeCommand measures the decode path every command takes (exec,
// API, bus): a small field result and a registration with a polygon.
func BenchmarkDecodeCommand(b *testing.B) {
	lines := map[string][]byte{
		"ClearArea": []byte(`{"command":"ClearArea","command_id":"01900000-0000-7000-8000-000000000009","actor":"operator:CMAC",` +
			`"data":{"area_id":"01900000-0000-7000-8000-0000000000a1","on":"2021-06-30","size_m2":50000,"operator":"CMAC","ap_mines_destroyed":37,"erw_destroyed":4}}`),
		"RegisterSuspectedArea": []byte(`{"command":"RegisterSuspectedArea","command_id":"01900000-0000-7000-8000-000000000001","actor":"mapu:Pailin",` +
			`"data":{"area_id":"01900000-0000-7000-8000-0000000000a1","province":"Pailin","hazard":"AP","size_m2":250000,"registered_on":"2020-01-01","source":"BLS",` +
			`"evidence":[{"kind":"ACCIDENT","observed_on":"2019-05-01"}],` +
			`"geometry":{"type":"Polygon","coordinates":[[[102.5,13.1],[102.6,13.1],[102.6,13.2],[102.55,13.25],[102.5,13.2],[102.5,13.1]]]}}}`),
	}
	for name, line := range lines {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if _, err := domain.DecodeCommand(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
