package sqlstore

import (
	"testing"
	"time"

	"github.com/landrelease/landrelease/events"
)

func TestFormatMatchesTheLayouts(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2019, 2, 3, 4, 5, 6, 7, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 7, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600)),
		time.Date(1, 1, 2, 0, 0, 0, 1, time.UTC), // the zero Date is bound as NULL, never formatted
	} {
		if got, want := formatTS(tm), tm.UTC().Format(tsLayout); got != want {
			t.Errorf("formatTS(%v) = %s, want %s", tm, got, want)
		}
		d := events.DateOf(tm)
		if got, want := formatDate(d), d.String(); got != want {
			t.Errorf("formatDate(%v) = %s, want %s", d, got, want)
		}
	}
}
