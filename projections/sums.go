package projections

import "math"

// add returns a+b, saturated at the int64 limits instead of wrapping.
//
// The domain bounds every quantity (domain/bounds.go), so that the sums of
// a national programme stay far inside int64 (docs/security.md, "Plausible
// quantities"): 50 million areas the size of the whole country would be
// needed to overflow national remaining. A history beyond that (written
// before the bounds existed, or forged) shows the largest value, never a
// negative one.
func add(a, b int64) int64 {
	c := a + b
	switch {
	case b > 0 && c < a:
		return math.MaxInt64
	case b < 0 && c > a:
		return math.MinInt64
	}
	return c
}

// addInt is add for counts held as int.
func addInt(a, b int) int {
	if b > 0 && a > math.MaxInt-b {
		return math.MaxInt
	}
	if b < 0 && a < math.MinInt-b {
		return math.MinInt
	}
	return a + b
}
