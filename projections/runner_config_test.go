package projections

import (
	"strings"
	"testing"
)

// mustRunner is a runner on store committing every maxBatch events at most.
func mustRunner(t testing.TB, store Store, maxBatch int) *Runner {
	t.Helper()
	r, err := NewRunner(store, RunnerConfig{MaxBatch: maxBatch})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A batch size out of range is refused, naming the field, not replaced by
// another one.
func TestRunnerConfigValidates(t *testing.T) {
	if err := DefaultRunnerConfig().Validate(); err != nil {
		t.Fatalf("the default configuration: %v", err)
	}
	for _, n := range []int{0, -5} {
		r, err := NewRunner(nil, RunnerConfig{MaxBatch: n})
		if r != nil || err == nil || !strings.Contains(err.Error(), "max_batch") {
			t.Errorf("MaxBatch %d: runner %v, error %v; want a refusal naming max_batch", n, r, err)
		}
	}
}
