package scenarios_test

import (
	"strings"
	"testing"

	"github.com/landrelease/landrelease/scenarios"
)

// Criteria the register does not record, and the replaced hazard penalty,
// are refused naming the field and why; the shipped file has no hazard term.
func TestCriteriaRefuseFieldsTheRegisterDoesNotRecord(t *testing.T) {
	for field, why := range map[string]string{"beneficiaries": "does not record", "distance_village": "nearest village",
		"density": "density", "hazard_cost": "not a hazard penalty", "size_m2": "size_m2"} {
		_, err := scenarios.LoadCriteria("c.yaml", []byte("casualties: 3\n"+field+": 2\n"))
		if err == nil || !strings.Contains(err.Error(), "c.yaml") || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: err = %v; want it to name c.yaml, %s and %q", field, err, field, why)
		}
	}
	c, err := scenarios.LoadCriteria("c.yaml", []byte("size_per_ha: -0.5\ncost_per_m2: -10\n"))
	if err != nil || c.SizePerHa != -0.5 || c.CostPerM2 != -10 {
		t.Fatalf("size_per_ha and cost_per_m2: %+v, %v", c, err)
	}
	d, err := scenarios.DefaultCriteria()
	if err != nil || d.CostPerM2 >= 0 || d.LandUse["AGRICULTURE"] == 0 {
		t.Fatalf("shipped criteria %+v, %v", d, err)
	}
}
