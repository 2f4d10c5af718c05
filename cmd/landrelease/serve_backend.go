package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/bus"
	"github.com/landrelease/landrelease/adapters/httpapi"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

// apiBackend is the API's backend: its queries are the read side's
// (queries.Reads on the live read model), commands go through the bus and
// JSON Lines batches through the bulk path; it follows the projections and
// tells waiters and subscribers of each commit.
type apiBackend struct {
	*queries.Reads
	rm      *readModel
	bus     *bus.Bus
	country string
	office  string     // a provincial office's domain: its API queues commands in the outbox (Queue)
	prov    *provFlags // the office's flags, for its sync status

	projected atomic.Uint64
	// buildTo is not 0 while the read model is built in the background
	// (readModel.buildTo): reads of it answer 503 until the projections
	// reach it; then built is set and onBuilt runs once.
	buildFrom  uint64 // the read model's checkpoint when the build started
	buildTo    uint64
	rebuilt    atomic.Uint64 // how far a build from nothing (rebuild) has folded
	built      atomic.Bool
	onBuilt    func()
	buildStart time.Time
	handled    *atomic.Int64 // commands this replica took from the bus
	mu         sync.Mutex
	changed    chan struct{} // closed and replaced at each commit
	subs       map[chan uint64]struct{}
}

var _ httpapi.Backend = (*apiBackend)(nil)

func newAPIBackend(rm *readModel, b *bus.Bus, country string) *apiBackend {
	be := &apiBackend{Reads: newReads(rm, country), rm: rm, bus: b, country: country, changed: make(chan struct{}), subs: map[chan uint64]struct{}{}}
	be.projected.Store(rm.runner.Sequence())
	return be
}

// follow keeps the projections live until ctx ends; when the event store or
// the database fails, it waits (growing to 5 s) and follows again from the
// last committed checkpoint, saying so on stderr.
func (b *apiBackend) follow(ctx context.Context, stderr io.Writer) {
	_ = projections.FollowRetrying(ctx, b.rm.runner, b.rm.store, projections.Backoff{}, b.committed, func(err error, attempt int) {
		fmt.Fprintf(stderr, "landrelease: projections paused (attempt %d): %v; they resume from the last checkpoint\n", attempt, err)
	})
}

// rebuild builds a read model that holds nothing yet (readModel.fromScratch:
// the data dir exec or import just loaded a large history) the way
// 'landrelease rebuild' does: shadow tables written with each area's row
// once and indexed at the swap, instead of the live tables' upserts commit
// after commit, which at 100× took about twice as long and peaked 0.5 GB
// higher (see serveRebuildAbove).
// A rebuild that fails leaves the read model as it was, and follow catches
// up from its checkpoint instead.
func (b *apiBackend) rebuild(ctx context.Context, stderr io.Writer) {
	err := b.rm.runner.Rebuild(ctx, b.rm.store, func(seq uint64) { b.rebuilt.Store(seq) })
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(stderr, "landrelease: building the read model: %v; catching up from its checkpoint instead\n", err)
		}
		return
	}
	b.committed(b.rm.runner.Sequence())
}

// catchUp loads the projections' state and brings it up to the history,
// in the background of a serve that listens already (readModel.buildTo),
// trying again with backoff until it succeeds or ctx ends; then reads are
// answered (committed marks the read model built even when there was
// nothing to project).
func (b *apiBackend) catchUp(ctx context.Context, stderr io.Writer) {
	for attempt := 1; ; attempt++ {
		err := b.rm.runner.CatchUp(ctx, b.rm.store, b.committed)
		if err == nil {
			b.committed(b.rm.runner.Sequence())
			return
		}
		if ctx.Err() != nil {
			return
		}
		fmt.Fprintf(stderr, "landrelease: loading the read model (attempt %d): %v; trying again\n", attempt, err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(100*time.Millisecond<<min(attempt, 6), 5*time.Second)):
		}
	}
}

// building answers, while the read model is built in the background, how
// far it is (httpapi.Config.Building); nil once built.
func (b *apiBackend) building() error {
	if b.buildTo == 0 || b.built.Load() {
		return nil
	}
	p := min(max(b.projected.Load(), b.rebuilt.Load(), b.buildFrom), b.buildTo) // 0 until the fold is loaded
	done, all := p-b.buildFrom, b.buildTo-b.buildFrom
	if b.buildFrom > 0 && b.rm.runner.Sequence() == 0 {
		return fmt.Errorf("the read model is being loaded after a start (%d events, %d to project after it); reads answer in seconds, commands are accepted meanwhile", b.buildTo, all)
	}
	msg := fmt.Sprintf("the read model is being built after a large load: %d of %d events projected", done, all)
	if el := time.Since(b.buildStart); done > 0 && el > 10*time.Second {
		left := time.Duration(float64(el) * float64(all-done) / float64(done))
		msg += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	return errors.New(msg + "; reads answer when it is done, commands are accepted meanwhile")
}

// committed publishes a new projected sequence to waiters and subscribers.
func (b *apiBackend) committed(seq uint64) {
	b.projected.Store(seq)
	if b.buildTo != 0 && seq >= b.buildTo && b.built.CompareAndSwap(false, true) && b.onBuilt != nil {
		b.onBuilt()
	}
	b.mu.Lock()
	close(b.changed)
	b.changed = make(chan struct{})
	for ch := range b.subs {
		select { // keep only the latest for a slow reader
		case <-ch:
		default:
		}
		ch <- seq
	}
	b.mu.Unlock()
}

func (b *apiBackend) Stored(ctx context.Context) (uint64, error) { return b.rm.store.LastSequence(ctx) }

func (b *apiBackend) Handled() int64 {
	if b.handled == nil {
		return 0
	}
	return b.handled.Load()
}
func (b *apiBackend) Projected() uint64 { return b.projected.Load() }

func (b *apiBackend) Quarantined() int {
	n := 0
	b.rm.runner.View(func(f *projections.National) {
		if f != nil {
			n = f.Quarantined
		}
	})
	return n
}

func (b *apiBackend) WaitProjected(ctx context.Context, seq uint64) error {
	for {
		b.mu.Lock()
		ch := b.changed
		b.mu.Unlock()
		if b.projected.Load() >= seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func (b *apiBackend) Subscribe() (<-chan uint64, func()) {
	ch := make(chan uint64, 1)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

func (b *apiBackend) Handle(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error) {
	if b.office != "" { // the API queues them (Queue); not reached
		return domain.Result{}, errors.New("a provincial office queues its commands")
	}
	return b.bus.Send(ctx, env)
}

func (b *apiBackend) HandleBatch(ctx context.Context, envs []domain.CommandEnvelope) []domain.Outcome {
	if b.office != "" && len(envs) > 0 {
		out := make([]domain.Outcome, len(envs))
		for i := range out {
			out[i].Err = errors.New("a provincial office queues its commands")
		}
		return out
	}
	return b.rm.handler.HandleBatch(ctx, envs, nil)
}

// Queues says whether this is a provincial office, whose API queues its
// commands in the outbox (httpapi.Queuer).
func (b *apiBackend) Queues() bool { return b.office != "" }

// Queue validates env on the office's mirror and holds it in the outbox, as
// exec on the office does, acting as the role of the caller's token: the
// MAPU of the office's province or an operator (what the national engine
// accepts from an office); an administrator of the office acts as its MAPU,
// as its command line does. Any other role is refused here, before it waits
// in the outbox for a refusal.
func (b *apiBackend) Queue(ctx context.Context, env domain.CommandEnvelope) (domain.CommandReport, error) {
	role := b.prov.officeRole()
	if p := env.Principal; p != nil {
		switch {
		case p.Role.Kind == domain.RoleMAPU && p.Role.Scope == b.prov.province, p.Role.Kind == domain.RoleOperator:
			role = p.Role
		case p.Role.Kind == domain.RoleAdmin:
			env.Principal = &domain.Principal{Name: p.Name, Role: role}
		default:
			op := "command"
			if env.Command != nil {
				op = env.Command.CommandName()
			}
			return domain.CommandReport{}, &domain.Error{Op: op, Kind: domain.ErrForbidden, Problems: []domain.Problem{{Field: "role", Reason: fmt.Sprintf(
				"the provincial office %s of %s takes commands as mapu:%s or an operator only, not as %s (the national engine would refuse them)", b.office, b.prov.province, b.prov.province, p.Role)}}}
		}
	}
	if env.Actor == "" && env.Principal != nil {
		env.Actor = env.Principal.Name
	}
	if env.ID == uuid.Nil {
		env.ID = uuid.Must(uuid.NewV7())
	}
	js, err := jsOf(b.rm.nc)
	if err != nil {
		return domain.CommandReport{}, err
	}
	return queueCommand(ctx, js, b.rm.handler, b.office, role, env)
}

// RenderWorkPlan renders a plan as the workplan verb does.
func (b *apiBackend) RenderWorkPlan(plan queries.WorkPlan, format, lang string) (string, []byte, error) {
	var buf bytes.Buffer
	switch format {
	case "csv":
		err := writePlanCSV(&buf, plan)
		return "text/csv; charset=utf-8", buf.Bytes(), err
	case "html":
		err := renderPlanHTML(&buf, plan, lang)
		return "text/html; charset=utf-8", buf.Bytes(), err
	}
	return "", nil, domain.Errorf(domain.ErrInvalid, "format", "want json, csv or html, got %q", format)
}

// RenderArticle5Plan renders a plan as the article5-plan verb does.
func (b *apiBackend) RenderArticle5Plan(plan queries.Article5Plan, format string) (string, []byte, error) {
	var buf bytes.Buffer
	switch format {
	case "csv":
		err := writeArticle5PlanCSV(&buf, plan)
		return "text/csv; charset=utf-8", buf.Bytes(), err
	case "html":
		err := article5PlanHTML.Execute(&buf, plan)
		return "text/html; charset=utf-8", buf.Bytes(), err
	}
	return "", nil, domain.Errorf(domain.ErrInvalid, "format", "want json, csv or html, got %q", format)
}

// RenderReport renders an annual report as the report verb does.
func (b *apiBackend) RenderReport(r queries.Report, format, lang string) (string, []byte, error) {
	var buf bytes.Buffer
	switch format {
	case "csv":
		err := writeReportCSV(&buf, r)
		return "text/csv; charset=utf-8", buf.Bytes(), err
	case "html":
		err := renderReportHTML(&buf, r, lang)
		return "text/html; charset=utf-8", buf.Bytes(), err
	}
	return "", nil, domain.Errorf(domain.ErrInvalid, "format", "want json, csv or html, got %q", format)
}

// newReads wires the read side to the read model: the event store, the SQL
// register and the projections' live fold.
func newReads(rm *readModel, country string) *queries.Reads {
	return &queries.Reads{History: rm.store, Register: sqlRegister{rm.db}, Fold: rm.runner, Country: country}
}

// sqlRegister is the SQL read model as the read side's register.
type sqlRegister struct{ db *sqlstore.Store }

func (r sqlRegister) Areas(ctx context.Context, f queries.AreaFilter) ([]projections.AreaRow, error) {
	return r.db.Areas(ctx, sqlstore.AreaFilter(f))
}

// MapAreas reads what the map draws (queries.MapRegister).
func (r sqlRegister) MapAreas(ctx context.Context, province string) ([]projections.AreaRow, error) {
	return r.db.MapAreas(ctx, province)
}

func (r sqlRegister) Area(ctx context.Context, id uuid.UUID) (projections.AreaRow, error) {
	return r.db.Area(ctx, id)
}

func (r sqlRegister) Audit(ctx context.Context, f queries.AuditFilter) ([]projections.AuditRow, error) {
	return r.db.Audit(ctx, sqlstore.AuditFilter(f))
}

// EachAudit streams the audit entries (queries.AuditStreamer).
func (r sqlRegister) EachAudit(ctx context.Context, f queries.AuditFilter, fn func(projections.AuditRow) error) error {
	return r.db.EachAudit(ctx, sqlstore.AuditFilter(f), fn)
}

func (r sqlRegister) Quarantine(ctx context.Context, n int) ([]events.Quarantined, error) {
	return r.db.Quarantine(ctx, n)
}
