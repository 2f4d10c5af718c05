package projections

import (
	"bytes"
	"cmp"
	"slices"
)

// Folds keep areas, deployments and statistics in maps, whose order Go
// randomises on every range. Float sums are not associative, so a forecast
// or plan that summed in map order could differ in its last digits from one
// run to the next on the same history. The planning code ranges over these
// ordered views instead: the same history, as-of date, trials and seed give
// the same answer, byte for byte.

// deploymentsInOrder returns the deployments sorted by ID.
func deploymentsInOrder(n *National) []*DeploymentRow {
	out := make([]*DeploymentRow, 0, len(n.Deployments))
	for _, d := range n.Deployments {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *DeploymentRow) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out
}

// statKeysInOrder returns the keys of the statistics sorted by year,
// province, operator and method.
func statKeysInOrder(n *National) []StatKey {
	out := make([]StatKey, 0, len(n.Stats))
	for k := range n.Stats {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b StatKey) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Province, b.Province),
			cmp.Compare(a.Operator, b.Operator), cmp.Compare(a.Method, b.Method))
	})
	return out
}

// provincesInOrder returns, sorted, every province that has open area or a
// deployment.
func provincesInOrder(n *National) []string {
	seen := map[string]bool{}
	for _, a := range n.Areas {
		if a.RemainingM2 > 0 {
			seen[a.Province] = true
		}
	}
	for _, d := range n.Deployments {
		seen[d.Province] = true
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
