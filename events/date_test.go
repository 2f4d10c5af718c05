package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/landrelease/landrelease/events"
)

func TestParseDateRefusesImpossibleAndMalformedDates(t *testing.T) {
	for _, s := range []string{
		"2021-02-30", // February has no 30th
		"2021-02-29", // 2021 is not a leap year
		"2021-13-01", // no 13th month
		"2021-00-10",
		"2021-04-31",
		"21-1-1",
		"2021-1-01",
		"2021-01-1",
		"2021/01/01",
		"01-01-2021",
		"2021-01-01T00:00:00Z",
		" 2021-01-01",
		"",
		"yesterday",
	} {
		if d, err := events.ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", s, d)
		}
	}
}

func TestParseDateAcceptsRealDates(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want events.Date
	}{
		{"2020-02-29", events.NewDate(2020, time.February, 29)},
		{"2025-12-31", events.NewDate(2025, time.December, 31)},
		{"1999-07-28", events.NewDate(1999, time.July, 28)},
	} {
		got, err := events.ParseDate(tt.in)
		if err != nil {
			t.Fatalf("ParseDate(%q): %v", tt.in, err)
		}
		if got != tt.want || got.String() != tt.in {
			t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDateRoundTripsThroughJSON(t *testing.T) {
	type doc struct {
		On   events.Date `json:"on"`
		Zero events.Date `json:"zero"`
	}
	in := doc{On: events.MustDate("2020-02-29")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"on":"2020-02-29","zero":null}` {
		t.Errorf("Marshal = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip: got %+v, want %+v", out, in)
	}
}

func TestDateJSONRefusesImpossibleDatesAndNonStrings(t *testing.T) {
	for _, raw := range []string{`"2021-02-30"`, `"2021-13-01"`, `"21-1-1"`, `20210101`, `true`, `{}`} {
		var d events.Date
		if err := json.Unmarshal([]byte(raw), &d); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", raw, d)
		}
	}
}

func TestDateOfTakesTheUTCCalendarDay(t *testing.T) {
	phnomPenh := time.FixedZone("ICT", 7*3600)
	// 05:00 on 1 March in Phnom Penh is still 28 February in UTC.
	got := events.DateOf(time.Date(2021, time.March, 1, 5, 0, 0, 0, phnomPenh))
	if want := events.MustDate("2021-02-28"); got != want {
		t.Errorf("DateOf = %v, want %v", got, want)
	}
}

func TestDateComparisonsAndArithmetic(t *testing.T) {
	a, b := events.MustDate("2020-12-31"), events.MustDate("2021-01-01")
	if !a.Before(b) || a.After(b) || !b.After(a) || a.Before(a) || a.After(a) {
		t.Error("Before/After disagree with the calendar")
	}
	if got := a.AddDays(1); got != b {
		t.Errorf("AddDays(1) = %v, want %v", got, b)
	}
	if a.Year() != 2020 || b.Year() != 2021 {
		t.Errorf("Year: %d, %d", a.Year(), b.Year())
	}
	var zero events.Date
	if !zero.IsZero() || zero.String() != "" || a.IsZero() {
		t.Error("only the zero Date is no date")
	}
}
