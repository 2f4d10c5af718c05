package main

import "testing"

// BenchmarkProjections measures, on the generated history (loaded by exec),
// the raw ordered-consumer read + JSON decode, a rebuild of every
// projection into SQLite and into PostgreSQL (LANDRELEASE_TEST_PG or the
// local server), and state --as-of in the middle of the history, each with
// its peak RSS. LANDRELEASE_BENCH_SCALE=40 is about a million events.
//
//	go test -run '^$' -bench Projections -benchtime 1x -timeout 60m ./cmd/landrelease/
func BenchmarkProjections(b *testing.B) { benchHarness(b, "replay") }

// BenchmarkQueries measures loading one aggregate (against a raw last-message
// get), one work plan, a deterministic forecast and Monte Carlo forecasts of
// 1,000 and 10,000 trials on the generated history.
//
//	go test -run '^$' -bench Queries -benchtime 1x ./cmd/landrelease/
func BenchmarkQueries(b *testing.B) { benchHarness(b, "query") }
