package scenarios

import (
	"errors"
	"fmt"
	"os"
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

// LoadCriteria parses work-plan criteria; errors name the file, line and field.
func LoadCriteria(name string, data []byte) (projections.Criteria, error) {
	var c projections.Criteria
	if err := yaml.UnmarshalWithOptions(data, &c, yaml.Strict()); err != nil {
		return c, fmt.Errorf("%s: %s", name, strings.TrimSpace(yaml.FormatError(err, false, false)))
	}
	var errs []error
	for k := range c.LandUse {
		if !events.Contains(events.LandUseValues, k) {
			errs = append(errs, fmt.Errorf("%s: land_use.%s: unknown land use; one of %v", name, k, events.LandUseValues))
		}
	}
	for k, v := range c.HazardCost {
		if !events.Contains(events.HazardValues, k) {
			errs = append(errs, fmt.Errorf("%s: hazard_cost.%s: unknown hazard; one of %v", name, k, events.HazardValues))
		}
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s: hazard_cost.%s: must be positive, got %g", name, k, v))
		}
	}
	return c, errors.Join(errs...)
}
