package scenarios

import (
	"embed"
	"io/fs"
	"sort"
	"time"
)

//go:embed *.yaml
var shipped embed.FS

// Shipped returns the scenarios shipped with landrelease, baseline first.
func Shipped(now time.Time) ([]Scenario, error) {
	names, err := fs.Glob(shipped, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "baseline.yaml") != (names[j] == "baseline.yaml") {
			return names[i] == "baseline.yaml"
		}
		return names[i] < names[j]
	})
	var out []Scenario
	for _, n := range names {
		if n == "criteria.yaml" {
			continue
		}
		data, err := shipped.ReadFile(n)
		if err != nil {
			return nil, err
		}
		sc, err := Load("scenarios/"+n, data, now)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}
