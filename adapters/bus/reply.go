package bus

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// RemoteError is the cause of an error that happened in the process that
// handled the command: only its text crosses the wire. The structured part
// of a domain error (kind, operation, problems) is rebuilt exactly.
type RemoteError struct{ Message string }

func (e *RemoteError) Error() string { return e.Message }

// replyWire is the JSON body of a reply.
type replyWire struct {
	Result *resultWire `json:"result,omitempty"`
	Error  *errorWire  `json:"error,omitempty"`
}

type errorWire struct {
	Kind     string           `json:"kind"`
	Op       string           `json:"op,omitempty"`
	Problems []domain.Problem `json:"problems,omitempty"`
	Cause    string           `json:"cause,omitempty"`
}

type resultWire struct {
	CommandID uuid.UUID   `json:"command_id"`
	Command   string      `json:"command,omitempty"`
	Aggregate string      `json:"aggregate,omitempty"` // subject, lr.<country>.<kind>.<id>
	Duplicate bool        `json:"duplicate,omitempty"`
	Sequence  uint64      `json:"sequence,omitempty"`
	Events    []eventWire `json:"events,omitempty"`
}

type eventWire struct {
	ID            uuid.UUID       `json:"id"`
	Type          string          `json:"type"`
	Schema        int             `json:"schema"`
	Aggregate     string          `json:"aggregate"`
	Sequence      uint64          `json:"sequence"`
	OccurredOn    events.Date     `json:"occurred_on"`
	RecordedAt    time.Time       `json:"recorded_at"`
	Actor         string          `json:"actor,omitempty"`
	CommandID     uuid.UUID       `json:"command_id"`
	CorrelationID uuid.UUID       `json:"correlation_id"`
	CausationID   uuid.UUID       `json:"causation_id"`
	Data          json.RawMessage `json:"data"`
}

// encodeError keeps what the sender needs to rebuild the error: the kind,
// and the operation and problems of a *domain.Error. op names the command
// when the error does not.
func encodeError(op string, err error) *errorWire {
	w := &errorWire{Kind: domain.KindOf(err).Code(), Op: op}
	var de *domain.Error
	if errors.As(err, &de) {
		if de.Op != "" {
			w.Op = de.Op
		}
		w.Problems = de.Problems
		if de.Err != nil {
			w.Cause = de.Err.Error()
		}
		return w
	}
	w.Cause = err.Error()
	return w
}

func (w *errorWire) decode() *domain.Error {
	e := &domain.Error{Op: w.Op, Kind: domain.KindOfCode(w.Kind), Problems: w.Problems}
	if w.Cause != "" {
		e.Err = &RemoteError{Message: w.Cause}
	}
	return e
}

func subjectOf(r events.Ref) string {
	if r == (events.Ref{}) {
		return ""
	}
	return r.Subject()
}

func refOf(subject string) (events.Ref, error) {
	if subject == "" {
		return events.Ref{}, nil
	}
	return events.ParseSubject(subject)
}

func encodeResult(r domain.Result) (*resultWire, error) {
	w := &resultWire{
		CommandID: r.CommandID, Command: r.Command, Aggregate: subjectOf(r.Aggregate),
		Duplicate: r.Duplicate, Sequence: r.Sequence,
	}
	for _, e := range r.Events {
		data, err := events.Encode(e.Data)
		if err != nil {
			return nil, fmt.Errorf("encode event %s %s: %w", e.Type, e.ID, err)
		}
		w.Events = append(w.Events, eventWire{
			ID: e.ID, Type: e.Type, Schema: e.Schema, Aggregate: subjectOf(e.Aggregate), Sequence: e.Sequence,
			OccurredOn: e.OccurredOn, RecordedAt: e.RecordedAt, Actor: e.Actor, CommandID: e.CommandID,
			CorrelationID: e.CorrelationID, CausationID: e.CausationID, Data: data,
		})
	}
	return w, nil
}

// decodeResult rebuilds a Result; on error it returns what it could decode.
func decodeResult(reg *events.Registry, w *resultWire) (domain.Result, error) {
	if w == nil {
		return domain.Result{}, nil
	}
	r := domain.Result{CommandID: w.CommandID, Command: w.Command, Duplicate: w.Duplicate, Sequence: w.Sequence}
	var err error
	if r.Aggregate, err = refOf(w.Aggregate); err != nil {
		return r, err
	}
	for _, ew := range w.Events {
		e := events.Envelope{
			ID: ew.ID, Type: ew.Type, Schema: ew.Schema, Sequence: ew.Sequence, OccurredOn: ew.OccurredOn,
			RecordedAt: ew.RecordedAt, Actor: ew.Actor, CommandID: ew.CommandID,
			CorrelationID: ew.CorrelationID, CausationID: ew.CausationID,
		}
		if e.Aggregate, err = refOf(ew.Aggregate); err != nil {
			return r, fmt.Errorf("event %s: %w", ew.ID, err)
		}
		if e.Data, err = reg.Decode(ew.Type, ew.Schema, ew.Data); err != nil {
			return r, fmt.Errorf("event %s at sequence %d: %w", ew.ID, ew.Sequence, err)
		}
		r.Events = append(r.Events, e)
	}
	return r, nil
}

// encodeReply is the JSON body of a reply: the result and, if the handler
// failed, its error; op names the command when the error does not.
func encodeReply(op string, res domain.Result, handleErr error) ([]byte, error) {
	r, err := encodeResult(res)
	if err != nil {
		return nil, err
	}
	w := replyWire{Result: r}
	if handleErr != nil {
		if op == "" {
			op = res.Command
		}
		w.Error = encodeError(op, handleErr)
	}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	return body, nil
}

// decodeReply returns the handler's Result and its error, a *domain.Error.
// A reply whose events this build cannot decode (a newer replica's schema)
// comes back as an error that says the command was applied, with the Result
// decoded so far. err is set only when the body is not a reply.
func decodeReply(reg *events.Registry, body []byte) (res domain.Result, handleErr, err error) {
	var w replyWire
	if err := json.Unmarshal(body, &w); err != nil {
		return domain.Result{}, nil, fmt.Errorf("decode reply: %w", err)
	}
	res, derr := decodeResult(reg, w.Result)
	switch {
	case w.Error != nil:
		handleErr = w.Error.decode()
	case derr != nil:
		handleErr = fmt.Errorf("command %s was applied (sequence %d) but its reply does not decode: %w", res.CommandID, res.Sequence, derr)
	}
	return res, handleErr, nil
}
