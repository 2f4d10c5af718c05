package events

import (
	"fmt"
	"testing"
	"time"
)

// The fast path of ParseDate accepts exactly the dates time.Parse does, and
// gives the same Date, over every month and day number of years around
// the leap-year rules and the ends of the range.
func TestParseDateFastPathAgreesWithTimeParse(t *testing.T) {
	for _, y := range []int{0, 1, 2, 4, 99, 100, 400, 1900, 1999, 2000, 2001, 2020, 2023, 2024, 2100, 2400, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				s := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
				want, werr := time.Parse(DateLayout, s)
				got, ok := parseDigits(s)
				switch {
				case ok && (werr != nil || want.IsZero()):
					t.Fatalf("fast path accepts %s, time.Parse: %v", s, werr)
				case ok && !got.Time().Equal(want):
					t.Fatalf("fast path gives %v for %s, time.Parse %v", got.Time(), s, want)
				case !ok && werr == nil && !want.IsZero():
					t.Fatalf("fast path refuses %s, which time.Parse reads", s)
				}
			}
		}
	}
	for _, s := range []string{"2020-1-01", "2020-01-1", "+020-01-01", "2020/01/01", "２020-01-01", "2020-01-01 ", "20200-01-01"} {
		if _, ok := parseDigits(s); ok {
			t.Errorf("fast path accepts %q", s)
		}
	}
}
