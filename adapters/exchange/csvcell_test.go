package exchange_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// TestCSVCell: a text cell a spreadsheet would take for a formula gets a
// leading apostrophe; numbers and ordinary text are left alone.
func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":                   "'=1+1",
		"+cmd":                   "'+cmd",
		"-":                      "'-",
		"@SUM(A1:A9)":            "'@SUM(A1:A9)",
		"\t=1":                   "'\t=1",
		"\r=1":                   "'\r=1",
		"-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
		"-5":                     "-5",
		"+1.5e3":                 "+1.5e3",
		"-.5":                    "-.5",
		"-12.":                   "-12.",
		"'=x":                    "''=x",
		"''":                     "'''",
		"'Ali":                   "'Ali",
		"'":                      "'",
		"Phnom Penh":             "Phnom Penh",
		"2024-01-10":             "2024-01-10",
		"":                       "",
		"ភូមិ":                   "ភូមិ",
	} {
		got := exchange.CSVCell(in)
		if got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
		if back := exchange.UnescapeCSVCell(got); back != in {
			t.Errorf("UnescapeCSVCell(CSVCell(%q)) = %q", in, back)
		}
	}
}

// FuzzCSVCell: export then import gives back any text, and import leaves
// alone whatever export would not have changed.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"=x", "'", "''=", "-1", "-1e", "@", "'\t", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		e := exchange.CSVCell(v)
		if exchange.UnescapeCSVCell(e) != v {
			t.Fatalf("%q exported as %q imports as %q", v, e, exchange.UnescapeCSVCell(e))
		}
		if e == v && exchange.UnescapeCSVCell(v) != v {
			t.Fatalf("%q is written raw but would import as %q", v, exchange.UnescapeCSVCell(v))
		}
		if e != v && strings.ContainsAny(e[:1], "=+-@\t\r") {
			t.Fatalf("%q still starts with a formula character", e)
		}
	})
}

// TestAreaCSVNeutralisedAndRoundTrips: an exported register whose text
// holds formulas opens in a spreadsheet as text, and the importer's reader
// gives back exactly the register's values; sizes stay numbers.
func TestAreaCSVNeutralisedAndRoundTrips(t *testing.T) {
	row := projections.AreaRow{
		ID: uuid.New(), Province: "Battambang", District: "+Ratanak Mondol", Commune: "@home", Village: `=HYPERLINK("http://evil.example","x")`,
		Hazard: "AP", Classification: "CHA", Status: "CHA", Source: "BLS", SizeM2: 5000, RemainingM2: 5000,
		LastOperator: "-2+3+cmd|' /C calc'!A0", LandUse: "'=already quoted", RegisteredOn: mustDate(t, "2024-01-10"),
	}
	var buf bytes.Buffer
	w := exchange.NewAreaCSVWriter(&buf)
	if err := w.Write(row); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, line := range strings.Split(out, "\n")[1:] {
		for _, cell := range strings.Split(line, ",") {
			if c := strings.TrimPrefix(cell, `"`); c != "" && strings.ContainsAny(c[:1], "=+@") {
				t.Errorf("cell %q starts a formula in:\n%s", cell, out)
			}
		}
	}
	r, err := exchange.NewCSVReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := exchange.AreaRecord(row)
	for i, col := range exchange.AreaColumns {
		if rec.Values[i] != want[i] {
			t.Errorf("%s: read back %q, exported %q", col, rec.Values[i], want[i])
		}
	}
	if !strings.Contains(out, ",5000,5000,m2,") {
		t.Errorf("sizes are not plain numbers:\n%s", out)
	}
}

func mustDate(t *testing.T, s string) events.Date {
	t.Helper()
	d, err := events.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
