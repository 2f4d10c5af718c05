//go:build race

package main

// raceDetector reports whether the tests run with -race, which makes the
// engine about 20 times slower: load tests scale down under it.
const raceDetector = true
