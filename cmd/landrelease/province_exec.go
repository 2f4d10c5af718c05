package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
)

// Statuses of a provincial office's command (exec, sync status, the API).
const (
	statusPending          = domain.StatusPending
	statusApplied          = domain.StatusApplied
	statusRefusedAfterSync = domain.StatusRefusedAfterSync
)

// provinceExec is exec on a provincial office: each command is decided
// against the mirrored national state by the office's handler (domain rules
// and the role checks of the office's MAPU) and, if it passes, stored in
// the office's outbox with its command ID; the national engine decides it
// when the link allows. A command whose national outcome is already known
// (a re-run file) prints that outcome.
func provinceExec(ctx context.Context, a *app, eng *engine, in io.Reader, w io.Writer, opts *execOpts) (execStats, error) {
	out := bufio.NewWriterSize(w, 64<<10)
	defer out.Flush()
	js, err := jsOf(eng.nc)
	if err != nil {
		return execStats{}, err
	}
	p := &a.g.prov
	role := p.officeRole()
	var st execStats
	enc := json.NewEncoder(out)
	lr := newLineReader(in, opts.maxLine)
	for {
		raw, n, tooLong, err := lr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return st, nil
			}
			return st, fmt.Errorf("after line %d: %w", n, err)
		}
		text := bytes.TrimSpace(raw)
		if !tooLong && (len(text) == 0 || text[0] == '#') {
			continue
		}
		r := domain.CommandReport{Line: n}
		var env domain.CommandEnvelope
		if tooLong {
			err = domain.Errorf(domain.ErrInvalid, "", "line %d is longer than the limit of %d bytes: not read (--max-line raises the limit)", n, opts.maxLine)
		} else {
			env, err = domain.DecodeCommand(text)
		}
		if err == nil {
			if env.Actor == "" {
				env.Actor = localActor()
			}
			if env.ID == uuid.Nil {
				env.ID = uuid.Must(uuid.NewV7())
			}
			env.Principal = &domain.Principal{Name: env.Actor, Role: role}
			r, err = queueCommand(ctx, js, eng.handler, p.domain, role, env)
			r.Line = n
		}
		if err != nil {
			r = domain.Report(n, env, domain.Outcome{Err: err})
		}
		switch r.Status {
		case statusPending:
			st.pending++
		case statusApplied, domain.StatusOK, domain.StatusAlreadyApplied:
			st.applied++
		default:
			st.refused++
		}
		if opts.json {
			_ = enc.Encode(r)
		} else {
			writeProvinceResult(out, r)
		}
		out.Flush()
	}
}

// queueCommand validates env on the mirror and puts it in the outbox, or
// reports the outcome it already has.
func queueCommand(ctx context.Context, js jetstream.JetStream, h *handling.Handler, office string, role domain.Role, env domain.CommandEnvelope) (domain.CommandReport, error) {
	id := env.ID.String()
	if o, ok, err := readOutcome(ctx, js, office, id); err != nil {
		return domain.CommandReport{}, err
	} else if ok {
		return o.report(), nil
	}
	res, err := h.Handle(ctx, env)
	switch {
	case err == nil:
		// Already in the mirrored national history (its ID is known).
		r := domain.Report(0, env, domain.Outcome{Result: res})
		r.Status = statusApplied
		return r, nil
	case !errors.Is(err, errQueued):
		return domain.CommandReport{}, err
	}
	wire, err := wireOf(env)
	if err != nil {
		return domain.CommandReport{}, err
	}
	msg := nats.NewMsg(lrjs.OutboxSubject(office, id))
	msg.Data = wire
	msg.Header.Set(headerRole, role.String())
	msg.Header.Set(headerQueuedAt, time.Now().UTC().Format(time.RFC3339Nano))
	msg.Header.Set(jetstream.MsgIDHeader, id)
	_, err = js.PublishMsg(ctx, msg)
	if err != nil && !isPerSubjectFull(err) { // a full subject: already queued
		return domain.CommandReport{}, fmt.Errorf("store the command in the outbox %s: %w", lrjs.OutboxStream, err)
	}
	r := domain.Report(0, env, domain.Outcome{Result: domain.Result{CommandID: env.ID}})
	r.Status, r.EventIDs = statusPending, nil
	return r, nil
}

func isPerSubjectFull(err error) bool {
	// nats-server's store error (DiscardNewPerSubject), code 10077.
	return err != nil && strings.Contains(err.Error(), "maximum messages per subject exceeded")
}

// wireOf is the wire form of env (domain.DecodeCommand reads it back).
func wireOf(env domain.CommandEnvelope) ([]byte, error) {
	data, err := json.Marshal(env.Command)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"command": env.Command.CommandName(), "command_id": env.ID.String(),
		"actor": env.Actor, "data": json.RawMessage(data),
	})
}

// report is the office's view of an outcome.
func (o outcome) report() domain.CommandReport {
	r := o.CommandReport
	switch r.Status {
	case domain.StatusOK, domain.StatusAlreadyApplied:
		r.Status = statusApplied
	default:
		r.Status = statusRefusedAfterSync
	}
	return r
}

// readOutcome reads the national decision on command id of office, if it
// has come back.
func readOutcome(ctx context.Context, js jetstream.JetStream, office, id string) (outcome, bool, error) {
	s, err := js.Stream(ctx, lrjs.OutcomeStream)
	if err != nil {
		return outcome{}, false, err
	}
	m, err := s.GetLastMsgForSubject(ctx, lrjs.OutcomeSubject(office, id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return outcome{}, false, nil
	}
	if err != nil {
		return outcome{}, false, err
	}
	var o outcome
	if err := json.Unmarshal(m.Data, &o); err != nil {
		return outcome{}, false, fmt.Errorf("outcome of %s: %w", id, err)
	}
	return o, true, nil
}

func writeProvinceResult(w io.Writer, r domain.CommandReport) {
	name := orDash(r.Command)
	switch r.Status {
	case statusPending:
		fmt.Fprintf(w, "%d pending %s command_id=%s (in the outbox: the national engine decides it when the link allows; 'landrelease sync status' shows it)\n", r.Line, name, r.CommandID)
	case statusApplied:
		fmt.Fprintf(w, "%d applied %s command_id=%s seq=%d (decided nationally)\n", r.Line, name, r.CommandID, r.Sequence)
	case statusRefusedAfterSync:
		fmt.Fprintf(w, "%d refused-after-sync %s command_id=%s kind=%s reason=%q\n", r.Line, name, r.CommandID, r.Error.Kind, r.Error.Message)
	default:
		writeResultText(w, r)
	}
}
