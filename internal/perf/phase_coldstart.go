package perf

import (
	"context"
	"fmt"

	"github.com/landrelease/landrelease/scenarios/synth"
)

// The cold start's phase (issue 17): serve and exec on an existing data dir
// accept their first command in under 10 s at 100×. Its spec is registered
// here so the phase lives in one file.
func init() {
	phaseSpecs["cold_start"] = phaseSpec{group: "query", name: "cold start to the first accepted command", unit: "commands", maxSeconds100: 10}
}

// coldStart measures what exec and serve do on the data dir store before
// their first command is accepted: start the engine (the embedded server
// recovers the store), Warm (no replay: the store's last sequence, then a
// scan of the messages' headers in the background) and one new
// registration, which loads nothing (a new area) but waits for the scan, as
// its command ID is only known to be new once the whole history was looked
// at. Its peak RSS is the engine's right after its start. serve also opens
// its read model, which resumes from its checkpoint beside the first
// commands.
func (b *bencher) coldStart(ctx context.Context, store string) error {
	cmds := synth.Registrations(synth.DefaultConfig(benchSeed+2, 1))
	return b.measure("cold_start", func() (float64, error) {
		eng, err := b.host.OpenEngine(ctx, store)
		if err != nil {
			return 0, err
		}
		defer eng.Close()
		if err := eng.Handler.Warm(ctx); err != nil {
			return 0, err
		}
		res, err := eng.Handler.Handle(ctx, cmds[0])
		if err != nil {
			return 0, err
		}
		if res.Duplicate || len(res.Events) == 0 {
			return 0, fmt.Errorf("the first command after a cold start stored nothing: %+v", res)
		}
		return 1, nil
	})
}
