package perf

import "context"

// The as-of verb's phase (issue 17): 'landrelease state --as-of' in the
// middle of the history, run as a child process as a user runs it, so
// that its peak RSS is the verb's own (the in-process as_of phase shares
// the bench's process, whose peak includes the engine and server the
// other phases left behind). Targets: peak < 400 MiB below 100×, < 1 GiB
// at 100×.
func init() {
	phaseSpecs["as_of_verb"] = phaseSpec{group: "replay", name: "state --as-of mid-history, the verb alone", unit: "events",
		maxRSSMiB: 400, maxRSSMiB100: 1024}
}

// AsOfHost is a Host that can run 'landrelease state --as-of' as a child
// process.
type AsOfHost interface {
	// StateAsOf runs 'landrelease --data-dir dataDir state --as-of date'
	// and returns the child's peak RSS in MiB.
	StateAsOf(ctx context.Context, dataDir, date string) (peakMiB float64, err error)
}

// asOfVerb measures the state verb on the data dir store, which no engine
// of the bench holds open.
func (b *bencher) asOfVerb(ctx context.Context, store string) error {
	h, ok := b.host.(AsOfHost)
	if !ok {
		b.skip("as_of_verb", "the host runs no child process (go test): run landrelease bench")
		return nil
	}
	return b.measure("as_of_verb", func() (float64, error) {
		peak, err := h.StateAsOf(ctx, store, benchMidHistory.String())
		b.childPeakMiB = peak
		return float64(b.res.Events), err // the replay reads the whole history, keeping what occurred by the date
	})
}
