package perf

import (
	"fmt"

	"github.com/landrelease/landrelease/projections"
)

// The extension-request work plan (issue 16): the forecast's deterministic
// run read month by month and province by province. Targets: under 1 s at
// 1×, under 10 s at 100×.
func init() {
	phaseSpecs["article5_plan"] = phaseSpec{group: "query", name: "Article 5 extension-request plan", unit: "areas", maxSeconds: 1, maxSeconds100: 10}
}

// article5Plan measures one extension-request work plan on the fold.
func (b *bencher) article5Plan(fold *projections.National) error {
	return b.measure("article5_plan", func() (float64, error) {
		p, err := projections.RunArticle5Plan(fold, projections.DefaultForecastConfig())
		if err != nil {
			return 0, err
		}
		if len(p.Years) == 0 || len(p.Years[0].Provinces) == 0 {
			return 0, fmt.Errorf("the plan has %d years and no province in its first", len(p.Years))
		}
		return float64(len(fold.Areas)), nil
	})
}
