package scenarios

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// DefaultCriteria returns the shipped work-plan criteria (criteria.yaml).
func DefaultCriteria() (projections.Criteria, error) {
	data, err := shipped.ReadFile("criteria.yaml")
	if err != nil {
		return projections.Criteria{}, err
	}
	return LoadCriteria("scenarios/criteria.yaml", data)
}

// LoadCriteriaFile reads work-plan criteria from a YAML file.
func LoadCriteriaFile(path string) (projections.Criteria, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return projections.Criteria{}, err
	}
	return LoadCriteria(path, data)
}

// notCriteria are names a criteria file may try that are not criteria: the
// register does not record them (projections.AreaRow), or they were
// replaced. Each refusal says why.
var notCriteria = map[string]string{
	"beneficiaries":    "the register does not record beneficiaries per area",
	"distance":         "the register does not record the distance to the nearest village",
	"distance_village": "the register does not record the distance to the nearest village",
	"density":          "the register does not record contamination density per area",
	"hazard_cost":      "no longer a criterion: the cost term is cost_per_m2, the expected US$ per m² by the province's clearance methods, not a hazard penalty",
}

// LoadCriteria parses work-plan criteria; errors name the file, line and field.
func LoadCriteria(name string, data []byte) (projections.Criteria, error) {
	var c projections.Criteria
	var keys map[string]any
	if err := yaml.Unmarshal(data, &keys); err == nil {
		var errs []error
		for k := range keys {
			if why, ok := notCriteria[k]; ok {
				errs = append(errs, fmt.Errorf("%s: %s: unknown criteria field: %s", name, k, why))
			}
		}
		if len(errs) > 0 {
			sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
			return c, errors.Join(errs...)
		}
	}
	if err := yaml.UnmarshalWithOptions(data, &c, yaml.Strict()); err != nil {
		return c, fmt.Errorf("%s: %s", name, strings.TrimSpace(yaml.FormatError(err, false, false)))
	}
	var errs []error
	for k := range c.LandUse {
		if !events.Contains(events.LandUseValues, k) {
			errs = append(errs, fmt.Errorf("%s: land_use.%s: unknown land use; one of %v", name, k, events.LandUseValues))
		}
	}
	return c, errors.Join(errs...)
}
