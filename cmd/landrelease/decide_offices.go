package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
)

// Headers of an outbox message besides the wire command in its body.
const (
	headerRole     = "Lr-Role"      // the role the command acts as (mapu:<province> or operator:<name>)
	headerQueuedAt = "Lr-Queued-At" // RFC 3339, when the office queued it
)

// outcome is the national decision on one provincial command, as stored
// in the office's outcome stream.
type outcome struct {
	domain.CommandReport
	Office    string    `json:"office"`
	DecidedAt time.Time `json:"decided_at"`
}

func jsOf(nc *nats.Conn) (jetstream.JetStream, error) {
	return jetstream.New(nc, jetstream.WithDefaultTimeout(5*time.Second))
}

// decideOffices runs, until ctx ends, the national engine's part of the
// provincial offices: for each office, a durable consumer on its outbox
// (in the office's JetStream domain, across the leaf link) whose commands
// are decided by h against the current national state, with the role
// checks of the command's role, which must belong to the office's province;
// the outcome is written to the office's outcome stream and only then is
// the command acknowledged. A command delivered again (the engine stopped
// between the decision and the acknowledgement) meets its own command ID in
// the handler's index: it is never applied twice. While an office is
// unreachable its loop waits and retries.
func decideOffices(ctx context.Context, nc *nats.Conn, h *handling.Handler, country string, offices []lrjs.Office, stderr io.Writer) {
	var wg sync.WaitGroup
	for _, o := range offices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			decideOffice(ctx, nc, h, country, o, stderr)
		}()
	}
	wg.Wait()
}

func decideOffice(ctx context.Context, nc *nats.Conn, h *handling.Handler, country string, o lrjs.Office, stderr io.Writer) {
	js, err := jetstream.NewWithDomain(nc, o.Domain, jetstream.WithDefaultTimeout(5*time.Second))
	if err != nil {
		fmt.Fprintf(stderr, "landrelease: office %s: %v\n", o.Domain, err)
		return
	}
	wait := 200 * time.Millisecond
	var cons jetstream.Consumer
	reported := false
	for ctx.Err() == nil {
		if cons == nil {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			cons, err = js.CreateOrUpdateConsumer(cctx, lrjs.OutboxStream, lrjs.OutboxConsumerConfig(o.Domain))
			cancel()
			if err != nil {
				cons = nil
				if !reported && ctx.Err() == nil {
					fmt.Fprintf(stderr, "landrelease: office %s (%s) not reachable yet (%v); retrying while the link is down\n", o.Domain, o.Province, err)
					reported = true
				}
				sleepCtx(ctx, wait)
				wait = min(2*wait, 5*time.Second)
				continue
			}
			reported, wait = false, 200*time.Millisecond
		}
		batch, err := cons.Fetch(50, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			cons = nil // the link or the consumer went away: set up again
			sleepCtx(ctx, wait)
			continue
		}
		// Once an outcome cannot be stored (the office went away), the
		// rest of the batch is handed back at once instead of each
		// waiting for its own timeout.
		away := false
		for m := range batch.Messages() {
			if away {
				_ = m.NakWithDelay(time.Second)
				continue
			}
			away = !decideOne(ctx, js, h, country, o, m, stderr)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			cons = nil
			sleepCtx(ctx, wait)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// decideOne decides one outbox message and stores its outcome in the
// office; a failure to decide (store unavailable) or to store the outcome
// hands it back, to be delivered again. It returns false when the outcome
// could not be stored in the office.
func decideOne(ctx context.Context, js jetstream.JetStream, h *handling.Handler, country string, o lrjs.Office, m jetstream.Msg, stderr io.Writer) bool {
	id := m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]
	env, err := officeCommand(m, o, country)
	var res domain.Result
	if err == nil {
		res, err = h.Handle(ctx, env)
		var de *domain.Error
		if err != nil && !errors.As(err, &de) {
			// Not a decision: the national store is unavailable, or the
			// engine is stopping. Decide it again later.
			_ = m.NakWithDelay(time.Second)
			return true
		}
	}
	rep := domain.Report(0, env, domain.Outcome{Result: res, Err: err})
	if rep.CommandID == "" {
		rep.CommandID = id
	}
	body, _ := json.Marshal(outcome{CommandReport: rep, Office: o.Domain, DecidedAt: time.Now().UTC()})
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := js.Publish(pctx, lrjs.OutcomeSubject(o.Domain, id), body); err != nil {
		_ = m.NakWithDelay(time.Second) // the office is unreachable again: its outcome later
		return false
	}
	if err := m.DoubleAck(pctx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "landrelease: office %s: command %s decided, acknowledgement lost (%v): it comes again and meets its command ID\n", o.Domain, id, err)
	}
	return true
}

// officeCommand decodes an outbox message into a command acting as the
// role it carries, refusing a role that is not the office's: the MAPU of
// the office's province, or an operator.
func officeCommand(m jetstream.Msg, o lrjs.Office, country string) (domain.CommandEnvelope, error) {
	env, err := domain.DecodeCommand(m.Data())
	if err != nil {
		return env, err
	}
	id := m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]
	if env.ID.String() != id {
		return env, domain.Errorf(domain.ErrInvalid, "command_id", "the outbox message %s carries command_id %s: refused", m.Subject(), env.ID)
	}
	role, err := domain.ParseRole(m.Headers().Get(headerRole), country)
	if err != nil {
		return env, domain.Errorf(domain.ErrForbidden, "role", "office %s: %v", o.Domain, err)
	}
	switch {
	case role.Kind == domain.RoleMAPU && role.Scope == o.Province:
	case role.Kind == domain.RoleOperator:
	default:
		return env, domain.Errorf(domain.ErrForbidden, "role", "the office %s of %s may send commands as mapu:%s or an operator only, not as %s", o.Domain, o.Province, o.Province, role)
	}
	env.Principal = &domain.Principal{Name: env.Actor, Role: role}
	return env, nil
}
