package domain_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// The codes are on the wire (exec --json, the API, the command bus between
// replicas of different builds): they never change.
func TestKindCodesAreStable(t *testing.T) {
	want := map[domain.Kind]string{
		domain.ErrInternal: "internal", domain.ErrInvalid: "invalid", domain.ErrNotFound: "not_found",
		domain.ErrConflict: "conflict", domain.ErrForbidden: "forbidden", domain.ErrUnavailable: "unavailable",
		domain.ErrTooLarge: "too_large",
	}
	if len(domain.Kinds()) != len(want) {
		t.Errorf("%d kinds have codes, this test knows %d: add the new one here", len(domain.Kinds()), len(want))
	}
	for k, code := range want {
		if got := k.Code(); got != code {
			t.Errorf("%v.Code() = %q, want %q", k, got, code)
		}
		if got := domain.KindOfCode(code); got != k {
			t.Errorf("KindOfCode(%q) = %v, want %v", code, got, k)
		}
	}
	if got := domain.KindOfCode("from_the_future"); got != domain.ErrInternal {
		t.Errorf("an unknown code: %v, want internal", got)
	}
}

func TestReportSaysWhatHappened(t *testing.T) {
	id := uuid.New()
	env := domain.CommandEnvelope{ID: id, Command: domain.WithdrawCapacity{DeploymentID: uuid.New()}}
	ev := events.Envelope{ID: uuid.New()}

	ok := domain.Report(3, env, domain.Outcome{Result: domain.Result{CommandID: id, Sequence: 9, Events: []events.Envelope{ev}}})
	if ok.Line != 3 || ok.Status != domain.StatusOK || ok.Command != "WithdrawCapacity" || ok.CommandID != id.String() ||
		ok.Sequence != 9 || len(ok.EventIDs) != 1 || ok.EventIDs[0] != ev.ID.String() || ok.Error != nil {
		t.Errorf("applied: %+v", ok)
	}
	dup := domain.Report(4, env, domain.Outcome{Result: domain.Result{CommandID: id, Sequence: 9, Duplicate: true}})
	if dup.Status != domain.StatusAlreadyApplied || dup.Sequence != 9 || dup.EventIDs != nil {
		t.Errorf("duplicate: %+v", dup)
	}
	err := domain.Errorf(domain.ErrNotFound, "deployment_id", "no such deployment")
	ref := domain.Report(5, env, domain.Outcome{Err: err})
	if ref.Status != domain.StatusRefused || ref.Sequence != 0 || ref.CommandID != id.String() || ref.Error == nil ||
		ref.Error.Kind != "not_found" || ref.Error.Field != "deployment_id" || len(ref.Error.Problems) != 1 {
		t.Errorf("refused: %+v (error %+v)", ref, ref.Error)
	}
	plain := domain.ReportError(errors.New("disk on fire"))
	if plain.Kind != "internal" || plain.Message != "disk on fire" {
		t.Errorf("a plain error: %+v", plain)
	}
}

// Input that is not a command at all is marked Malformed, so an edge can
// tell it from a command that breaks a rule without reading its text.
func TestDecodeMarksMalformedInput(t *testing.T) {
	for _, c := range []struct {
		line      string
		malformed bool
	}{
		{`{"command":`, true},
		{`{"command":"Nope","data":{}}`, true},
		{`{"command":"WithdrawCapacity"}`, true},
		{`{"command":"WithdrawCapacity","data":{"deployment_id":5,"on":"2024-01-01"}}`, true},
		{`{"command":"WithdrawCapacity","data":{"colour":"red"}}`, true},
		{`{"command":"WithdrawCapacity","command":"WithdrawCapacity","data":{}}`, true},
		{`{"command":"WithdrawCapacity","data":{"on":"2024-01-01"}}`, false}, // a missing field breaks a rule
	} {
		_, err := domain.DecodeCommand([]byte(c.line))
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
			t.Errorf("%s: %v, want an invalid *domain.Error", c.line, err)
			continue
		}
		if de.Malformed != c.malformed {
			t.Errorf("%s: Malformed = %v, want %v (%v)", c.line, de.Malformed, c.malformed, err)
		}
	}
}
