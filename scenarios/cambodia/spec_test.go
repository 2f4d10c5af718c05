package cambodia_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/scenarios/cambodia"
)

func TestDefaultSpec(t *testing.T) {
	s, err := cambodia.DefaultSpec()
	if err != nil {
		t.Fatal(err)
	}
	var total, cha, sha float64
	areas := 0
	for _, p := range s.Provinces {
		total += p.TotalKm2
		cha += p.CHAKm2
		sha += p.SHAKm2
		areas += p.CHAAreas + p.SHAAreas
	}
	if len(s.Provinces) != 12 || total != 890 || cha != 350 || sha != 540 || areas != 5079 {
		t.Errorf("the province table has %d provinces, %g km² (%g CHA, %g SHA) in %d areas; want 12, 890 (350, 540), 5,079",
			len(s.Provinces), total, cha, sha, areas)
	}
}

// mutate returns demo.yaml with the first occurrence of old replaced by new,
// and the line (1-based) where new starts.
func mutate(t *testing.T, old, new string) ([]byte, int) {
	t.Helper()
	data, err := os.ReadFile("demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, old)
	if i < 0 {
		t.Fatalf("demo.yaml has no %q", old)
	}
	return []byte(s[:i] + new + s[i+len(old):]), strings.Count(s[:i], "\n") + 1
}

func TestLoadSpecNamesLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		lineOffset     int // of the bad value from the start of new
		field, reason  string
	}{
		{"unknown field", "    casualties_2020: 19 ", "    casualties_2020: 19\n    colour: red\n", 1,
			"provinces[0].colour", "unknown field"},
		{"wrong type", "    deminers: 950 ", "    deminers: many ", 0, "operators[0].deminers", "wrong type"},
		{"unknown province", "  - name: Pailin\n", "  - name: Palin\n", 0, "provinces[5].name", `unknown province "Palin"`},
		{"impossible date", "  from: 2018-01-01", "  from: 2018-02-30", 0, "history.from", "not a calendar date"},
		{"share above one", "  qa_share: 0.6 ", "  qa_share: 1.6 ", 0, "behaviour.qa_share", "between 0 and 1"},
		{"productivity of nothing", "      productivity: 1.1 ", "      productivity: 0 ", 0, "behaviour.years[0].productivity", "above 0"},
		{"a year twice", "    - year: 2019\n", "    - year: 2018\n", 0, "behaviour.years[1].year", "appears twice"},
		{"unknown operator", "{year: 2020, operator: MAG,", "{year: 2020, operator: MAGG,", 0, "funding.shortfalls[4].operator", "not one of the spec's operators"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, line := mutate(t, tc.old, tc.new)
			_, err := cambodia.LoadSpec(data)
			var se *cambodia.SpecError
			if !errors.As(err, &se) {
				t.Fatalf("LoadSpec = %v, want a *SpecError", err)
			}
			for _, p := range se.Problems {
				if p.Field == tc.field && p.Line == line+tc.lineOffset && strings.Contains(p.Reason, tc.reason) {
					return
				}
			}
			t.Errorf("no problem at line %d, field %s, reason %q in:\n%v", line+tc.lineOffset, tc.field, tc.reason, err)
		})
	}
}

func TestLoadSpecReportsEveryProblem(t *testing.T) {
	data, _ := mutate(t, "  - name: Pailin\n", "  - name: Palin\n")
	s := strings.Replace(string(data), "    sha_km2: 85 ", "    sha_km2: -85 ", 1)
	s = strings.Replace(s, "  working_days: 200 ", "  working_days: 400 ", 1)
	_, err := cambodia.LoadSpec([]byte(s))
	var se *cambodia.SpecError
	if !errors.As(err, &se) {
		t.Fatalf("LoadSpec = %v, want a *SpecError", err)
	}
	want := map[string]bool{"provinces[5].name": false, "provinces[1].sha_km2": false, "behaviour.working_days": false}
	for _, p := range se.Problems {
		if _, ok := want[p.Field]; ok {
			want[p.Field] = true
			if p.Line == 0 {
				t.Errorf("%s: no line", p.Field)
			}
		}
	}
	for f, seen := range want {
		if !seen {
			t.Errorf("no problem reported for %s in:\n%v", f, err)
		}
	}
}

func TestGenerateRefusesAnInvalidSpec(t *testing.T) {
	s, err := cambodia.DefaultSpec()
	if err != nil {
		t.Fatal(err)
	}
	s.Provinces[0].Name = "Atlantis"
	_, err = cambodia.Generate(s)
	var se *cambodia.SpecError
	if !errors.As(err, &se) {
		t.Fatalf("Generate = %v, want a *SpecError", err)
	}
}
