package domain

import "testing"

// BenchmarkDuplicateKey is the cost the duplicate-key check adds to every
// command decoded (compare BenchmarkDecodeCommand).
func BenchmarkDuplicateKey(b *testing.B) {
	line := []byte(`{"command":"RegisterSuspectedArea","command_id":"01900000-0000-7000-8000-000000000001","actor":"mapu:Pailin",` +
		`"data":{"area_id":"01900000-0000-7000-8000-0000000000a1","province":"Pailin","hazard":"AP","size_m2":250000,"registered_on":"2020-01-01","source":"BLS",` +
		`"evidence":[{"kind":"ACCIDENT","observed_on":"2019-05-01"}],` +
		`"geometry":{"type":"Polygon","coordinates":[[[102.5,13.1],[102.6,13.1],[102.6,13.2],[102.55,13.25],[102.5,13.2],[102.5,13.1]]]}}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, _, _, dup := duplicateKey(line); dup {
			b.Fatal("duplicate")
		}
	}
}
