package bus

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
)

// In process, Send calls the handler directly: no GoChannel, no router, no
// request-reply listener and no JSON reply. Through watermill's in-process
// request-reply the hop cost about 40% of an API command (issue 17), for
// nothing a process talking to itself needs. What the watermill path does
// for the sender is kept: the command is decoded from its wire form as a
// replica would (so both transports see the same command), a refusal is
// answered at once, another error is retried with the same backoff as the
// router's Retry middleware, a panic becomes an error, the handler runs
// within HandleTimeout and is not cancelled with the sender, the sender
// stops waiting at its context or ReplyTimeout (ErrNoReply), errors come
// back rebuilt as over the wire, and Close waits for the commands in hand.
// Over NATS nothing changes: any replica may handle a command.

// sendDirect hands the command to the handler in a goroutine of its own
// and waits for its answer, ctx or Close.
func (b *Bus) sendDirect(ctx context.Context, op string, id uuid.UUID, c *commandMessage) (domain.Result, error) {
	b.directMu.Lock()
	if b.closing.Load() {
		b.directMu.Unlock()
		return domain.Result{}, fmt.Errorf("%s %s: %w", op, id, ErrClosed)
	}
	b.direct.Add(1)
	b.directMu.Unlock()
	type answer struct {
		res domain.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		defer b.direct.Done()
		res, err := b.applyRetrying(ctx, op, c)
		if err != nil {
			err = encodeError(op, err).decode() // as the sender gets it over the wire
		}
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		return a.res, a.err
	case <-ctx.Done():
		select { // an answer that is there is taken, as over the wire
		case a := <-done:
			return a.res, a.err
		default:
		}
		return domain.Result{}, b.noReply(op, id, ctx.Err())
	}
}

// applyRetrying applies the command, retrying errors other than refusals
// as the router's Retry middleware does (MaxRetries, from RetryInterval
// doubling up to RetryMaxInterval), a panic counting as an error.
func (b *Bus) applyRetrying(ctx context.Context, op string, c *commandMessage) (domain.Result, error) {
	wait := b.cfg.RetryInterval
	for attempt := 0; ; attempt++ {
		res, err := b.applyRecovering(ctx, c)
		if err == nil || refused(err) || attempt >= b.cfg.MaxRetries {
			if err != nil && !refused(err) {
				b.logger.Error("Command failed after retries, reporting to the sender", err, watermill.LogFields{"command": op})
			}
			return res, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-b.closed.Done():
			t.Stop()
			return res, err
		}
		wait = min(2*wait, b.cfg.RetryMaxInterval)
	}
}

// applyRecovering is apply with a panic turned into an error; the stack
// goes to the log, not to the sender.
func (b *Bus) applyRecovering(ctx context.Context, c *commandMessage) (res domain.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			b.logger.Error("Panic while handling a command", fmt.Errorf("%v", p), watermill.LogFields{"stack": string(debug.Stack())})
			res, err = domain.Result{}, fmt.Errorf("panic while handling the command: %v", p)
		}
	}()
	return b.apply(ctx, c)
}

// waitDirect waits up to CloseTimeout for the commands being handled in
// process; Close has set closing under directMu, so none is added.
func (b *Bus) waitDirect() {
	idle := make(chan struct{})
	go func() {
		b.direct.Wait()
		close(idle)
	}()
	t := time.NewTimer(b.cfg.CloseTimeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}
