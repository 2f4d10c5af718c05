package main

import "testing"

// BenchmarkImport imports a CSV register of 5,489 × LANDRELEASE_BENCH_SCALE
// areas into a fresh data dir, against raw atomic batches of 1,000 measured
// in the same run.
//
//	go test -run '^$' -bench Import -benchtime 1x -timeout 30m ./cmd/landrelease/
func BenchmarkImport(b *testing.B) { benchHarness(b, "append", "import") }
