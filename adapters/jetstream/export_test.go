package jetstream

// SetParallelReplay turns Replay's decoding workers on or off, for the
// benchmark that compares a parallel and a serial replay.
func SetParallelReplay(on bool) (restore func()) {
	was := parallelReplay
	parallelReplay = on
	return func() { parallelReplay = was }
}
