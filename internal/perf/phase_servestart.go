package perf

import (
	"context"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// The serve cold start's phase (issue 17): 'landrelease serve' started on
// the data dir exec left, until its first dashboard page with data and its
// first accepted command; the peak RSS is the serve process's own. Targets
// at 100×: first page < 30 s, peak < 1.5 GiB; below 100× peak < 400 MiB.
func init() {
	phaseSpecs["serve_start"] = phaseSpec{group: "query", name: "serve: cold start to the first dashboard page", unit: "pages",
		maxSeconds100: 30, maxRSSMiB: 400, maxRSSMiB100: 1536}
}

// ServeStart is what a serve child process measured.
type ServeStart struct {
	FirstPage    time.Duration // start to the dashboard's first page with data (/ and /api/v1/overview)
	FirstCommand time.Duration // start to the first command accepted through the API
	PeakMiB      float64       // the serve process's peak RSS, after its first command
}

// ServeHost is a Host that can run 'landrelease serve' as a child process.
type ServeHost interface {
	ServeColdStart(ctx context.Context, dataDir string, cmd domain.CommandEnvelope) (ServeStart, error)
}

// serveStart measures serve's cold start on store when the host can run
// serve as a child process; the time is to the first page.
func (b *bencher) serveStart(ctx context.Context, store string) error {
	sh, ok := b.host.(ServeHost)
	if !ok {
		b.skip("serve_start", "the host runs no child process (go test): run landrelease bench")
		return nil
	}
	cmd := synth.Registrations(synth.DefaultConfig(benchSeed+3, 1))[0]
	var st ServeStart
	err := b.measure("serve_start", func() (float64, error) {
		var err error
		st, err = sh.ServeColdStart(ctx, store, cmd)
		b.childPeakMiB = st.PeakMiB
		return 1, err
	})
	if err != nil {
		return err
	}
	// The phase's clock ran until serve stopped: its time is the first page's.
	p := &b.res.Phases[len(b.res.Phases)-1]
	p.Seconds, p.Rate = st.FirstPage.Seconds(), 1/st.FirstPage.Seconds()
	b.judge(p, b.spec("serve_start"))
	b.logf("serve: first page after %s, first accepted command after %s, peak RSS %.0f MiB",
		formatSeconds(st.FirstPage.Seconds()), formatSeconds(st.FirstCommand.Seconds()), st.PeakMiB)
	return nil
}
