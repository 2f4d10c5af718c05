package httpapi

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"

	"github.com/landrelease/landrelease/domain"
)

// commandsAnswer is the answer to POST /api/v1/commands.
type commandsAnswer struct {
	Results  []domain.CommandReport `json:"results"`
	Sequence uint64                 `json:"sequence"` // the last stored event of these commands; read with ?min_sequence=
	Applied  int                    `json:"applied"`
	Already  int                    `json:"already_applied"`
	Refused  int                    `json:"refused"`
	Pending  int                    `json:"pending,omitempty"` // a provincial office: queued in its outbox, decided nationally later
}

// Queuer is what a backend of a provincial office adds: its commands are not
// applied there but validated on its mirror of the national history and held
// in the office's outbox until the national engine decides them
// (docs/operations.md, "Provincial office"). Queue answers a report with
// status pending, or the national outcome once known (applied,
// refused-after-sync), or the local refusal as an error. Queues is false on
// a backend that applies commands itself.
type Queuer interface {
	Queues() bool
	Queue(ctx context.Context, env domain.CommandEnvelope) (domain.CommandReport, error)
}

// maxBatchCommands bounds one JSON Lines request.
const maxBatchCommands = 10_000

// commands takes one command (a JSON object) or a batch (JSON Lines, one
// command per line, with Content-Type application/x-ndjson or several
// lines). One command goes through the command bus and a refusal answers
// with its error status; a batch goes through the bulk path and answers
// 200 with a result per line, as exec does.
func (s *Server) commands(w http.ResponseWriter, r *http.Request, p *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonError(err)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return badRequest("", "empty body: send one command as a JSON object, or JSON Lines")
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	batch := ctype == "application/x-ndjson" || ctype == "application/jsonl" || (bytes.IndexByte(body, '\n') >= 0 && !json.Valid(body))
	if !batch {
		env, err := domain.DecodeCommand(body)
		if err != nil {
			return commandDecodeError(err)
		}
		env.Principal = p
		if q, ok := s.backend.(Queuer); ok && q.Queues() {
			rep, err := q.Queue(r.Context(), env)
			if err != nil {
				return err
			}
			rep.Line = 1
			status := http.StatusOK
			if rep.Status == domain.StatusPending {
				status = http.StatusAccepted
			}
			writeJSON(w, status, answerOf([]domain.CommandReport{rep}))
			return nil
		}
		res, err := s.backend.Handle(r.Context(), env)
		if err != nil {
			return err
		}
		out := domain.Report(1, env, domain.Outcome{Result: res})
		writeJSON(w, http.StatusOK, answerOf([]domain.CommandReport{out}))
		return nil
	}
	var lines []int
	var envs []domain.CommandEnvelope
	var results []domain.CommandReport
	var decodeErrs []error
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), len(body)+1)
	n := 0
	for sc.Scan() {
		n++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		if len(envs)+len(results) >= maxBatchCommands {
			return badRequest("", "more than %d commands in one request; split the batch or use 'landrelease exec'", maxBatchCommands)
		}
		env, err := domain.DecodeCommand(text)
		if err != nil {
			results = append(results, domain.Report(n, env, domain.Outcome{Err: err}))
			decodeErrs = append(decodeErrs, err)
			continue
		}
		env.Principal = p
		envs, lines = append(envs, env), append(lines, n)
	}
	if len(envs)+len(results) == 0 {
		return badRequest("", "no command in the body (only blank or # comment lines)")
	}
	var firstErr error
	if len(decodeErrs) > 0 {
		firstErr = commandDecodeError(decodeErrs[0])
	}
	if q, ok := s.backend.(Queuer); ok && q.Queues() {
		for i, env := range envs {
			rep, err := q.Queue(r.Context(), env)
			if err != nil {
				firstErr = cmp.Or(firstErr, err)
				rep = domain.Report(0, env, domain.Outcome{Err: err})
			}
			rep.Line = lines[i]
			results = append(results, rep)
		}
		envs = nil
	}
	outcomes := s.backend.HandleBatch(r.Context(), envs)
	for i, o := range outcomes {
		if o.Err != nil && firstErr == nil {
			firstErr = o.Err
		}
		results = append(results, domain.Report(lines[i], envs[i], o))
	}
	sortByLine(results)
	a := answerOf(results)
	status := http.StatusOK
	if a.Refused == len(results) && firstErr != nil {
		// Nothing was accepted: the batch answers with the status of a
		// refusal, so that a client that checks only the status sees it.
		status = toError(firstErr).Status
	}
	writeJSON(w, status, a)
	return nil
}

// commandDecodeError is the answer to a command that cannot be decoded:
// malformed JSON, an unknown command or field, or a value of the wrong type
// is a 400; a value that breaks a rule is a 422, as the domain says.
func commandDecodeError(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || !de.Malformed {
		return err
	}
	e := toError(err)
	e.Status, e.Kind = http.StatusBadRequest, KindBadRequest
	return e
}

func answerOf(results []domain.CommandReport) commandsAnswer {
	a := commandsAnswer{Results: results}
	for _, r := range results {
		switch r.Status {
		case domain.StatusOK, domain.StatusApplied:
			a.Applied++
		case domain.StatusAlreadyApplied:
			a.Already++
		case domain.StatusPending:
			a.Pending++
		default:
			a.Refused++
		}
		a.Sequence = max(a.Sequence, r.Sequence)
	}
	return a
}

func sortByLine(rs []domain.CommandReport) {
	slices.SortStableFunc(rs, func(a, b domain.CommandReport) int { return a.Line - b.Line })
}
