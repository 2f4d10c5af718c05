package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/landrelease/landrelease/scenarios"
)

var now = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func TestShippedScenariosAndCriteriaLoad(t *testing.T) {
	scs, err := scenarios.Shipped(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) < 5 || scs[0].Name != "baseline" {
		t.Fatalf("%d scenarios, first %q", len(scs), scs[0].Name)
	}
	if _, err := scenarios.DefaultCriteria(); err != nil {
		t.Fatal(err)
	}
}

// Bad files get an error naming the file, the line and the field.
func TestBadScenarioFiles(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown field", "name: x\nspeed: 3\n", "speed"},
		{"wrong type", "name: x\ntrials: many\n", "trials"},
		{"unknown province", "name: x\ncommands:\n  - command: DeployCapacity\n    data: {operator: RCAF, province: Atlantis, method: MANUAL, deminers: 5, from: 2022-01-01}\n", ":3: commands[0]: field province"},
		{"date out of range", "name: x\ncommands:\n  - command: DeployCapacity\n    data: {operator: RCAF, province: Pailin, method: MANUAL, deminers: 5, from: 2022-13-01}\n", ":3: commands[0]: field from"},
		{"base in the future", "name: x\nbase: 2031-01-01\n", "base"},
	}
	for _, c := range cases {
		_, err := scenarios.Load("bad.yaml", []byte(c.yaml), now)
		if err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)) {
			t.Errorf("%s: err = %v; want it to name bad.yaml and %q", c.name, err, c.want)
		}
	}
	if _, err := scenarios.LoadCriteria("c.yaml", []byte("casualties: 3\nland_use:\n  SWAMP: 3\n")); err == nil || !strings.Contains(err.Error(), "land_use.SWAMP") {
		t.Errorf("criteria with an unknown land use: %v", err)
	}
	if _, err := scenarios.LoadCriteria("c.yaml", []byte("casualties: 3\nweight: 1\n")); err == nil || !strings.Contains(err.Error(), "c.yaml") || !strings.Contains(err.Error(), "weight") {
		t.Errorf("criteria with an unknown field: %v", err)
	}
}
