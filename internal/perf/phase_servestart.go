package perf

import (
	"context"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// The serve cold start's phases (issue 17), each 'landrelease serve' as a
// child process until its first dashboard page with data and its first
// accepted command; the peak RSS is the serve process's own:
//   - serve_start: the first start on the data dir exec left, which has no
//     read model yet: serve builds it (a rebuild) before its first page.
//     Timed to the first page; targets at 100×: < 30 s, peak < 1.5 GiB;
//     below 100× peak < 400 MiB.
//   - serve_restart: serve started again on that data dir, its read model
//     current, as every later start of an installation. Timed to the first
//     accepted command; target at 100×: < 10 s, the same peaks.
func init() {
	phaseSpecs["serve_start"] = phaseSpec{group: "query", name: "serve: first start (builds the read model) to the first page", unit: "pages",
		maxSeconds100: 30, maxRSSMiB: 400, maxRSSMiB100: 1536}
	phaseSpecs["serve_restart"] = phaseSpec{group: "query", name: "serve: restart to the first accepted command", unit: "commands",
		maxSeconds100: 10, maxRSSMiB: 400, maxRSSMiB100: 1536}
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

// serveStart measures serve's first start on store and then its restart,
// when the host can run serve as a child process.
func (b *bencher) serveStart(ctx context.Context, store string) error {
	sh, ok := b.host.(ServeHost)
	if !ok {
		b.skip("serve_start", "the host runs no child process (go test): run landrelease bench")
		b.skip("serve_restart", "the host runs no child process (go test): run landrelease bench")
		return nil
	}
	cmds := synth.Registrations(synth.DefaultConfig(benchSeed+3, 2))
	for i, key := range []string{"serve_start", "serve_restart"} {
		var st ServeStart
		err := b.measure(key, func() (float64, error) {
			var err error
			st, err = sh.ServeColdStart(ctx, store, cmds[i])
			b.childPeakMiB = st.PeakMiB
			return 1, err
		})
		if err != nil {
			return err
		}
		// The phase's clock ran until serve stopped: its time is the first
		// page's (first start) or the first command's (restart).
		p := &b.res.Phases[len(b.res.Phases)-1]
		t := st.FirstPage
		if key == "serve_restart" {
			t = st.FirstCommand
		}
		p.Seconds, p.Rate = t.Seconds(), 1/t.Seconds()
		b.judge(p, b.spec(key))
		b.logf("%s: first page after %s, first accepted command after %s, peak RSS %.0f MiB", b.spec(key).name,
			formatSeconds(st.FirstPage.Seconds()), formatSeconds(st.FirstCommand.Seconds()), st.PeakMiB)
	}
	return nil
}
