package jetstream

// SetParallelReplay turns Replay's decoding workers on or off, for the
// benchmark that compares a parallel and a serial replay.
func SetParallelReplay(on bool) (restore func()) {
	was := parallelReplay
	parallelReplay = on
	return func() { parallelReplay = was }
}

// Load paths, for the benchmark that compares them.
const (
	LoadBackward = loadBackward
	LoadForward  = loadForward
	LoadGetBatch = loadGetBatch
)

// SetLoadPath sets how Load reads an aggregate.
func SetLoadPath(p int) (restore func()) {
	was := loadPath
	loadPath = p
	return func() { loadPath = was }
}

// SetStreamWideCheck turns the stream-wide check (tail.go) on or off, for
// the benchmarks that compare it with the per-subject check.
func SetStreamWideCheck(on bool) (restore func()) {
	was := streamWideCheck
	streamWideCheck = on
	return func() { streamWideCheck = was }
}
