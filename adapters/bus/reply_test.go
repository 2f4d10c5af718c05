package bus

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// reply is what Send returns.
type reply struct {
	HandlerResult domain.Result
	Error         error
}

// roundTrip encodes a reply as a replica does and decodes it as Send does,
// through the NATS message.
func roundTrip(t *testing.T, res domain.Result, handleErr error) reply {
	t.Helper()
	body, err := encodeReply("ClearArea", res, handleErr)
	if err != nil {
		t.Fatalf("encode reply: %v", err)
	}
	m, err := replyMessage(ReplySubjectPrefix+"bus.op", "bus.op", "", body)
	if err != nil {
		t.Fatal(err)
	}
	if body, err = replyBody(m); err != nil {
		t.Fatal(err)
	}
	got, handleErr, err := decodeReply(events.NewRegistry(), body)
	if err != nil {
		t.Fatalf("decode reply: %v", err)
	}
	return reply{got, handleErr}
}

func TestResultRoundTrip(t *testing.T) {
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.New()}
	cmd := uuid.Must(uuid.NewV7())
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	env := func(seq uint64, data events.Event) events.Envelope {
		return events.Envelope{
			ID: uuid.Must(uuid.NewV7()), Type: data.EventType(), Schema: data.SchemaVersion(), Aggregate: ref,
			Sequence: seq, OccurredOn: events.MustDate("2024-05-01"), RecordedAt: at, Actor: "qa",
			CommandID: cmd, CorrelationID: uuid.New(), CausationID: uuid.New(), Data: data,
		}
	}
	res := domain.Result{CommandID: cmd, Command: "ConfirmHazardousArea", Aggregate: ref, Sequence: 12, Events: []events.Envelope{
		env(11, events.AreaCancelled{AreaID: ref.ID, On: events.MustDate("2024-05-01"), Method: events.CancelByNTS, SizeM2: 400, RemainingM2: 600, Reason: "survey"}),
		env(12, events.AreaConfirmed{AreaID: ref.ID, On: events.MustDate("2024-05-01"), SizeM2: 600}),
	}}
	reply := roundTrip(t, res, nil)
	if reply.Error != nil {
		t.Fatalf("reply error: %v", reply.Error)
	}
	if !reflect.DeepEqual(reply.HandlerResult, res) {
		t.Errorf("result after the round trip:\n got %+v\nwant %+v", reply.HandlerResult, res)
	}

	dup := domain.Result{CommandID: cmd, Command: "ClearArea", Aggregate: ref, Duplicate: true, Sequence: 12}
	if got := roundTrip(t, dup, nil).HandlerResult; !reflect.DeepEqual(got, dup) {
		t.Errorf("duplicate after the round trip = %+v, want %+v", got, dup)
	}
	if got := roundTrip(t, domain.Result{}, nil).HandlerResult; !reflect.DeepEqual(got, domain.Result{}) {
		t.Errorf("empty result after the round trip = %+v", got)
	}
}

func TestErrorRoundTripKeepsKindOpProblemsAndCause(t *testing.T) {
	for _, kind := range []domain.Kind{domain.ErrInvalid, domain.ErrNotFound, domain.ErrConflict, domain.ErrForbidden, domain.ErrUnavailable, domain.ErrInternal} {
		t.Run(kind.Error(), func(t *testing.T) {
			sent := &domain.Error{Op: "ClearArea", Kind: kind, Problems: []domain.Problem{
				{Field: "size_m2", Reason: "more than remains"}, {Field: "evidence[0].kind", Reason: "unknown"},
			}, Err: errors.New("wrong last sequence")}
			err := roundTrip(t, domain.Result{}, fmt.Errorf("wrapped: %w", sent)).Error
			var got *domain.Error
			if !errors.As(err, &got) {
				t.Fatalf("err is %T, want *domain.Error", err)
			}
			if !errors.Is(err, kind) || got.Op != sent.Op || !reflect.DeepEqual(got.Problems, sent.Problems) {
				t.Errorf("got %#v, want %#v", got, sent)
			}
			if err.Error() != sent.Error() {
				t.Errorf("message %q, want %q", err.Error(), sent.Error())
			}
		})
	}
	t.Run("plain error", func(t *testing.T) {
		err := roundTrip(t, domain.Result{}, errors.New("store unavailable")).Error
		var remote *RemoteError
		if domain.KindOf(err) != domain.ErrInternal || !errors.As(err, &remote) || remote.Message != "store unavailable" {
			t.Errorf("err = %#v, want internal with the message as cause", err)
		}
		if err.Error() != "ClearArea: internal error: store unavailable" {
			t.Errorf("message %q", err.Error())
		}
	})
	t.Run("bare kind", func(t *testing.T) {
		err := roundTrip(t, domain.Result{}, fmt.Errorf("append: %w", domain.ErrConflict)).Error
		if !errors.Is(err, domain.ErrConflict) {
			t.Errorf("err = %v, want a conflict", err)
		}
	})
}

func TestReplyWithAnUndecodableEventSaysTheCommandWasApplied(t *testing.T) {
	body := []byte(`{"result":{"command_id":"` + uuid.NewString() + `","sequence":9,"events":[{"id":"` + uuid.NewString() +
		`","type":"AreaCancelled","schema":99,"aggregate":"","sequence":9,"occurred_on":null,"recorded_at":"2024-01-01T00:00:00Z","command_id":"` +
		uuid.NewString() + `","correlation_id":"` + uuid.NewString() + `","causation_id":"` + uuid.NewString() + `","data":{}}]}}`)
	res, handleErr, err := decodeReply(events.NewRegistry(), body)
	if err != nil {
		t.Fatal(err)
	}
	if handleErr == nil || res.Sequence != 9 {
		t.Fatalf("reply = %+v, %v; want an error and the result's sequence", res, handleErr)
	}
	if want := "was applied (sequence 9)"; !strings.Contains(handleErr.Error(), want) {
		t.Errorf("error %q does not say %q", handleErr, want)
	}
}
