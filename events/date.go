package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DateLayout is the wire format of a calendar date.
const DateLayout = "2006-01-02"

// Date is a calendar date (no time of day, no zone), written as YYYY-MM-DD.
// The zero Date is "no date" and marshals as null.
type Date struct{ t time.Time }

// NewDate returns the date y-m-d. It normalises like time.Date.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the calendar date of t in UTC.
func DateOf(t time.Time) Date {
	t = t.UTC()
	return NewDate(t.Year(), t.Month(), t.Day())
}

// ParseDate parses YYYY-MM-DD and refuses impossible dates such as 2021-02-30.
func ParseDate(s string) (Date, error) {
	if d, ok := parseDigits(s); ok {
		return d, nil
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			return Date{}, fmt.Errorf("%q is not a calendar date (%s)", s, strings.TrimPrefix(pe.Message, ": "))
		}
		return Date{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	if t.IsZero() { // 0001-01-01 is the zero Date, which means "no date"
		return Date{}, fmt.Errorf("%q is not a usable date: it stands for no date", s)
	}
	return Date{t}, nil
}

// MustDate parses s and panics on error; for tests and constants only.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is the zero ("no date") value.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return d.t }

// Year returns the year of d.
func (d Date) Year() int { return d.t.Year() }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is strictly after e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// AddDays returns d shifted by n days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(DateLayout)
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 12)
	b = append(b, '"')
	b = d.t.AppendFormat(b, DateLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" (or null) and refuses impossible dates.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	// "YYYY-MM-DD" with nothing to unescape: every stored date.
	if len(b) == 12 && b[0] == '"' && b[11] == '"' {
		if v, ok := parseDigits(string(b[1:11])); ok {
			*d = v
			return nil
		}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a date string YYYY-MM-DD, got %s", truncate(b))
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// parseDigits is the fast path of ParseDate: s is exactly YYYY-MM-DD in
// ASCII digits, a month of the year and a day of that month, and not the
// zero Date. It says false for anything else, which ParseDate then
// parses (or refuses) the long way, so the two accept the same dates.
// It does not allocate: a replay parses several dates per event.
func parseDigits(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return Date{}, false
	}
	v := NewDate(y, time.Month(m), d)
	if v.IsZero() {
		return Date{}, false
	}
	return v, true
}

// daysIn is the number of days of month m of year y (proleptic Gregorian,
// as time.Parse counts).
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// UnixDays returns the number of days from 1970-01-01 to d (negative
// before); with DateFromUnixDays, a compact form of a non-zero Date.
func (d Date) UnixDays() int64 { return d.t.Unix() / 86400 }

// DateFromUnixDays is the Date n days after 1970-01-01.
func DateFromUnixDays(n int64) Date { return Date{time.Unix(n*86400, 0).UTC()} }
