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
	js, err := jetstream.NewWithDomain(nc, o.Domain, jetstream.WithDefaultTimeout(5*time.Second),
		jetstream.WithPublishAsyncTimeout(outcomeTimeout))
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
		batch, err := cons.Fetch(officeBatch, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			cons = nil // the link or the consumer went away: set up again
			sleepCtx(ctx, wait)
			continue
		}
		// Decide what has arrived as soon as it has: the first command of
		// a fetch, then, while those are decided, the ones that arrived
		// meanwhile, together.
		ch := batch.Messages()
		for m := range ch {
			msgs := []jetstream.Msg{m}
			for more := true; more && len(msgs) < officeBatch; {
				select {
				case m, ok := <-ch:
					if ok {
						msgs = append(msgs, m)
					}
					more = ok
				default:
					more = false
				}
			}
			decideBatch(ctx, js, h, country, o, msgs, stderr)
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

// officeBatch is how many of an office's commands are fetched, and decided
// together, at most.
const officeBatch = 50

// outcomeTimeout bounds how long the national engine waits for the office
// to store a batch's outcomes before handing the batch back.
const outcomeTimeout = 5 * time.Second

// decideBatch decides a batch of outbox messages, in the order the office
// queued them, as one handler batch (its events share one write to the
// national history), then stores their outcomes in the office, all in
// flight at once, and acknowledges each command whose outcome is stored.
// A command that could not be decided (the national store unavailable, the
// engine stopping), and every one after it, or one whose outcome could not
// be stored (the office went away) is handed back, to be delivered again:
// if it was applied, it then meets its own command ID. Over a leaf link each round trip is the
// line's latency, so nothing here waits for one command before the next.
func decideBatch(ctx context.Context, js jetstream.JetStream, h *handling.Handler, country string, o lrjs.Office, msgs []jetstream.Msg, stderr io.Writer) {
	envs := make([]domain.CommandEnvelope, len(msgs))
	outs := make([]domain.Outcome, len(msgs))
	handled := make([]bool, len(msgs)) // decided by the handler, not refused before it
	var decide []int                   // messages that decode into a command of the office
	for i, m := range msgs {
		env, err := officeCommand(m, o, country)
		envs[i], outs[i].Err = env, err
		if err == nil {
			decide = append(decide, i)
		}
	}
	if len(decide) > 0 {
		batch := make([]domain.CommandEnvelope, len(decide))
		for k, i := range decide {
			batch[k] = envs[i]
		}
		for k, out := range h.HandleBatch(ctx, batch, nil) {
			outs[decide[k]], handled[decide[k]] = out, true
		}
	}
	acks := make([]jetstream.PubAckFuture, len(msgs))
	back := false // a command was handed back: so are the ones after it, to keep their order
	for i, m := range msgs {
		id := outboxID(m)
		if k := domain.KindOf(outs[i].Err); back || handled[i] && outs[i].Err != nil && (k == domain.ErrUnavailable || k == domain.ErrInternal) {
			// Not a decision: the national store is unavailable, or the
			// engine is stopping. Decide it again later; one applied
			// meanwhile meets its command ID then. (A message that is not
			// a command of the office is refused, below.)
			_ = m.NakWithDelay(time.Second)
			back = true
			continue
		}
		rep := domain.Report(0, envs[i], outs[i])
		if rep.CommandID == "" {
			rep.CommandID = id
		}
		body, _ := json.Marshal(outcome{CommandReport: rep, Office: o.Domain, DecidedAt: time.Now().UTC()})
		f, err := js.PublishAsync(lrjs.OutcomeSubject(o.Domain, id), body)
		if err != nil {
			_ = m.NakWithDelay(time.Second)
			continue
		}
		acks[i] = f
	}
	// Acknowledge in order; the last stored one waits for the office's
	// confirmation, which also covers the ones before it on this connection.
	var last jetstream.Msg
	for i, f := range acks {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
			if last != nil {
				_ = last.Ack()
			}
			last = msgs[i]
		case <-f.Err():
			_ = msgs[i].NakWithDelay(time.Second) // the office is unreachable again: its outcome later
		case <-ctx.Done():
			if last != nil {
				_ = last.Ack() // its outcome is stored
			}
			return
		}
	}
	if last == nil {
		return
	}
	actx, cancel := context.WithTimeout(ctx, outcomeTimeout)
	defer cancel()
	if err := last.DoubleAck(actx); err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "landrelease: office %s: commands decided, acknowledgement lost (%v): they come again and meet their command IDs\n", o.Domain, err)
	}
}

// outboxID is the command ID an outbox message's subject ends with.
func outboxID(m jetstream.Msg) string {
	return m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]
}

// officeCommand decodes an outbox message into a command acting as the
// role it carries, refusing a role that is not the office's: the MAPU of
// the office's province, or an operator.
func officeCommand(m jetstream.Msg, o lrjs.Office, country string) (domain.CommandEnvelope, error) {
	env, err := domain.DecodeCommand(m.Data())
	if err != nil {
		return env, err
	}
	id := outboxID(m)
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
