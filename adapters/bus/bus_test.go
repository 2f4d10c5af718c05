package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/bus"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// recorder is a CommandHandler that records every command it is given and
// answers with Decide, which defaults to a Result whose sequence counts the
// commands handled.
type recorder struct {
	name   string
	mu     sync.Mutex
	seen   []domain.CommandEnvelope
	seq    atomic.Uint64
	Decide func(n int, env domain.CommandEnvelope) (domain.Result, error) // n counts from 1
}

func (r *recorder) Handle(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error) {
	r.mu.Lock()
	r.seen = append(r.seen, env)
	n := len(r.seen)
	r.mu.Unlock()
	if r.Decide != nil {
		return r.Decide(n, env)
	}
	return domain.Result{CommandID: env.ID, Command: env.Command.CommandName(), Sequence: r.seq.Add(1)}, nil
}

func (r *recorder) commands() []domain.CommandEnvelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]domain.CommandEnvelope(nil), r.seen...)
}

// testConfig is DefaultConfig with retries short enough for tests.
func testConfig() bus.Config {
	cfg := bus.DefaultConfig()
	cfg.RetryInterval = time.Millisecond
	cfg.RetryMaxInterval = 5 * time.Millisecond
	cfg.ReplyTimeout = 10 * time.Second
	return cfg
}

// mustBus starts a Bus and closes it when the test ends.
func mustBus(tb testing.TB, cfg bus.Config, h bus.CommandHandler) *bus.Bus {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := bus.New(ctx, cfg, h)
	if err != nil {
		tb.Fatalf("start bus: %v", err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("close bus: %v", err)
		}
	})
	return b
}

func cancelArea(area uuid.UUID) domain.CancelArea {
	return domain.CancelArea{AreaID: area, On: events.MustDate("2021-03-04"), Method: events.CancelByNTS, Reason: "no evidence"}
}

func TestInProcessSendReturnsTheHandlersResult(t *testing.T) {
	h := &recorder{}
	b := mustBus(t, testConfig(), h)
	causation := uuid.New()
	area := uuid.New()
	res, err := b.Send(context.Background(), domain.CommandEnvelope{Actor: "tester", CausationID: causation, Command: cancelArea(area)})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	got := h.commands()
	if len(got) != 1 {
		t.Fatalf("handler got %d commands, want 1", len(got))
	}
	env := got[0]
	if env.ID == uuid.Nil || res.CommandID != env.ID {
		t.Errorf("command ID: sent without one, handler saw %s, result says %s; want one assigned ID", env.ID, res.CommandID)
	}
	if res.Command != "CancelArea" || res.Sequence != 1 {
		t.Errorf("result = %+v, want the handler's (CancelArea, sequence 1)", res)
	}
	if c, ok := env.Command.(domain.CancelArea); !ok || c != cancelArea(area) {
		t.Errorf("handler got command %#v, want %#v", env.Command, cancelArea(area))
	}
	if env.Actor != "tester" || env.CausationID != causation {
		t.Errorf("provenance: actor %q causation %s, want tester and %s", env.Actor, env.CausationID, causation)
	}
	if env.CorrelationID != uuid.Nil && env.CorrelationID != env.ID {
		t.Errorf("correlation ID %s: sent none, want none or the command ID", env.CorrelationID)
	}
}

func TestCorrelationAndCommandIDAreKept(t *testing.T) {
	h := &recorder{}
	b := mustBus(t, testConfig(), h)
	id, corr := uuid.Must(uuid.NewV7()), uuid.New()
	if _, err := b.Send(context.Background(), domain.CommandEnvelope{ID: id, CorrelationID: corr, Command: cancelArea(uuid.New())}); err != nil {
		t.Fatal(err)
	}
	env := h.commands()[0]
	if env.ID != id || env.CorrelationID != corr {
		t.Errorf("handler saw ID %s correlation %s, want %s and %s", env.ID, env.CorrelationID, id, corr)
	}
}

func TestRefusedCommandComesBackWithItsKindAndIsNotRetried(t *testing.T) {
	h := &recorder{Decide: func(_ int, env domain.CommandEnvelope) (domain.Result, error) {
		return domain.Result{CommandID: env.ID, Command: "CancelArea"}, &domain.Error{Op: "CancelArea", Kind: domain.ErrConflict,
			Problems: []domain.Problem{{Field: "area_id", Reason: "already cancelled"}, {Field: "on", Reason: "after clearance"}}}
	}}
	b := mustBus(t, testConfig(), h)
	res, err := b.Send(context.Background(), domain.CommandEnvelope{Command: cancelArea(uuid.New())})
	if !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("err = %v, want a conflict", err)
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("err is %T, want *domain.Error", err)
	}
	if de.Op != "CancelArea" || len(de.Problems) != 2 || de.Field() != "area_id" || de.Problems[1] != (domain.Problem{Field: "on", Reason: "after clearance"}) {
		t.Errorf("error = %#v, want op CancelArea and both problems", de)
	}
	if want := "CancelArea: conflict: area_id: already cancelled; on: after clearance"; err.Error() != want {
		t.Errorf("err.Error() = %q, want %q", err.Error(), want)
	}
	if res.Command != "CancelArea" || res.CommandID == uuid.Nil {
		t.Errorf("result with the refusal = %+v, want the handler's partial result", res)
	}
	if n := len(h.commands()); n != 1 {
		t.Errorf("handler called %d times, want 1: a refusal is never retried", n)
	}
}

func TestInvalidCommandIsRefusedWithEveryProblem(t *testing.T) {
	h := &recorder{}
	b := mustBus(t, testConfig(), h)
	_, err := b.Send(context.Background(), domain.CommandEnvelope{Command: domain.CancelArea{Method: "GUESS"}})
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
		t.Fatalf("err = %v, want ErrInvalid *domain.Error", err)
	}
	fields := map[string]bool{}
	for _, p := range de.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"area_id", "on", "method", "reason"} {
		if !fields[f] {
			t.Errorf("problems %v: missing field %s", de.Problems, f)
		}
	}
	if n := len(h.commands()); n != 0 {
		t.Errorf("handler called %d times for an invalid command, want 0", n)
	}
}

func TestTransientErrorIsRetried(t *testing.T) {
	h := &recorder{Decide: func(n int, env domain.CommandEnvelope) (domain.Result, error) {
		if n < 3 {
			return domain.Result{}, fmt.Errorf("append: nats: timeout (attempt %d)", n)
		}
		return domain.Result{CommandID: env.ID, Sequence: 42}, nil
	}}
	b := mustBus(t, testConfig(), h)
	res, err := b.Send(context.Background(), domain.CommandEnvelope{Command: cancelArea(uuid.New())})
	if err != nil || res.Sequence != 42 {
		t.Fatalf("send = %+v, %v; want the third attempt's result", res, err)
	}
	cmds := h.commands()
	if len(cmds) != 3 {
		t.Fatalf("handler called %d times, want 3", len(cmds))
	}
	for _, c := range cmds[1:] {
		if c.ID != cmds[0].ID {
			t.Errorf("retry carried command ID %s, first attempt %s: a retry must keep the ID", c.ID, cmds[0].ID)
		}
	}
}

func TestPersistentFailureIsReportedAfterTheRetries(t *testing.T) {
	h := &recorder{Decide: func(n int, env domain.CommandEnvelope) (domain.Result, error) {
		return domain.Result{}, errors.New("store unavailable")
	}}
	cfg := testConfig()
	cfg.MaxRetries = 2
	b := mustBus(t, cfg, h)
	_, err := b.Send(context.Background(), domain.CommandEnvelope{Command: cancelArea(uuid.New())})
	if domain.KindOf(err) != domain.ErrInternal {
		t.Fatalf("err = %v, want kind internal", err)
	}
	var remote *bus.RemoteError
	if !errors.As(err, &remote) || remote.Message != "store unavailable" {
		t.Errorf("err = %v, want the handler's message as a RemoteError", err)
	}
	var de *domain.Error
	if errors.As(err, &de) && de.Op != "CancelArea" {
		t.Errorf("op = %q, want CancelArea", de.Op)
	}
	if n := len(h.commands()); n != 3 {
		t.Errorf("handler called %d times, want 3 (1 + 2 retries)", n)
	}
}

func TestPanicInTheHandlerIsReported(t *testing.T) {
	h := &recorder{Decide: func(int, domain.CommandEnvelope) (domain.Result, error) { panic("boom") }}
	cfg := testConfig()
	cfg.MaxRetries = 0
	b := mustBus(t, cfg, h)
	_, err := b.Send(context.Background(), domain.CommandEnvelope{Command: cancelArea(uuid.New())})
	if domain.KindOf(err) != domain.ErrInternal || !strings.Contains(err.Error(), "panic") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want an internal error about the panic", err)
	}
	if strings.Contains(err.Error(), "goroutine") {
		t.Errorf("err = %v: the stack trace must stay in the log", err)
	}
}

func TestNoReplyInTimeIsErrNoReply(t *testing.T) {
	release := make(chan struct{})
	h := &recorder{Decide: func(_ int, env domain.CommandEnvelope) (domain.Result, error) {
		<-release
		return domain.Result{CommandID: env.ID}, nil
	}}
	b := mustBus(t, testConfig(), h)
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := b.Send(ctx, domain.CommandEnvelope{Command: cancelArea(uuid.New())})
	if !errors.Is(err, bus.ErrNoReply) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrNoReply for a deadline", err)
	}
}

func TestSendWithoutCommandIsInvalid(t *testing.T) {
	b := mustBus(t, testConfig(), &recorder{})
	_, err := b.Send(context.Background(), domain.CommandEnvelope{})
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

func TestCloseEndsPendingAndLaterSends(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	h := &recorder{Decide: func(_ int, env domain.CommandEnvelope) (domain.Result, error) {
		started <- struct{}{}
		<-release
		return domain.Result{CommandID: env.ID, Sequence: 7}, nil
	}}
	b, err := bus.New(context.Background(), testConfig(), h)
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		res domain.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := b.Send(context.Background(), domain.CommandEnvelope{Command: cancelArea(uuid.New())})
		done <- outcome{res, err}
	}()
	<-started
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	close(release) // the command in hand is finished and answered
	if err := <-closed; err != nil {
		t.Errorf("close: %v", err)
	}
	if o := <-done; o.err != nil || o.res.Sequence != 7 {
		t.Errorf("send during close = %+v, %v; want the handled command's result", o.res, o.err)
	}
	if _, err := b.Send(context.Background(), domain.CommandEnvelope{Command: cancelArea(uuid.New())}); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("send after close: err = %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestConcurrentSendsInProcess(t *testing.T) {
	h := &recorder{}
	b := mustBus(t, testConfig(), h)
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := uuid.Must(uuid.NewV7())
			res, err := b.Send(context.Background(), domain.CommandEnvelope{ID: id, Command: cancelArea(uuid.New())})
			if err == nil && res.CommandID != id {
				err = fmt.Errorf("reply for %s carries command %s", id, res.CommandID)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(h.commands()); got != n {
		t.Errorf("handler got %d commands, want %d", got, n)
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	if err := bus.DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	cfg := bus.Config{Transport: bus.TransportNATS, MaxRetries: -1, AckWait: time.Second}
	err := cfg.Validate()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
		t.Fatalf("err = %v, want ErrInvalid *domain.Error", err)
	}
	want := []string{"conn", "stream_replicas", "workers", "max_deliver", "reply_timeout", "handle_timeout", "max_retries", "close_timeout", "new_id"}
	got := map[string]bool{}
	for _, p := range de.Problems {
		got[p.Field] = true
	}
	for _, f := range want {
		if !got[f] {
			t.Errorf("no problem reported for %s; got %v", f, de.Problems)
		}
	}

	slow := bus.DefaultConfig()
	slow.Transport, slow.AckWait = bus.TransportNATS, 5*time.Second
	if err := slow.Validate(); err == nil || !strings.Contains(err.Error(), "ack_wait") {
		t.Errorf("ack wait below the worst-case handling time: err = %v, want an ack_wait problem", err)
	}
	if _, err := bus.New(context.Background(), bus.DefaultConfig(), nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("in-process bus without handler: err = %v, want ErrInvalid", err)
	}
}
