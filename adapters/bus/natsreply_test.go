package bus

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/requestreply"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// retried reports whether the server has answered a pending reply with
// no-responders (its wait before the next publication has grown).
func (r *replier) retried() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pending {
		if p.wait > replyFirstRetry {
			return true
		}
	}
	return false
}

// A reply published before its server knows of the sender's subscription
// (in a cluster the news crosses the routes while the command crosses
// JetStream) reaches the sender once it subscribes: the server answers the
// first publication with no-responders and the replier publishes it again.
func TestReplyPublishedBeforeTheSenderSubscribesArrives(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	ctx := context.Background()
	r, err := newReplier(ctx, jetstreamtest.MustConnect(t, srv), watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.close(0)
	in := newReplyInbox("late-sender")
	defer in.close()
	op, replies := in.expect()
	m, err := replyMessage(ReplySubjectPrefix+in.id+"."+op, op, "", []byte(`{"result":{"sequence":7}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.publish(m); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(replyRetryFor / 2)
	for !r.retried() {
		if time.Now().After(deadline) {
			t.Fatal("the server never answered the reply with no-responders")
		}
		time.Sleep(time.Millisecond)
	}
	if err := in.subscribe(ctx, jetstreamtest.MustConnect(t, srv)); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-replies:
		body, err := replyBody(msg)
		if err != nil {
			t.Fatal(err)
		}
		res, handleErr, err := decodeReply(events.NewRegistry(), body)
		if err != nil || handleErr != nil || res.Sequence != 7 {
			t.Errorf("reply = %+v, %v, %v; want sequence 7", res, handleErr, err)
		}
	case <-time.After(replyRetryFor):
		t.Fatalf("no reply %s after its first publication", replyRetryFor)
	}
}

// natsBus starts a Bus over NATS on nc.
func natsBus(t *testing.T, nc *nats.Conn, h CommandHandler) *Bus {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Transport, cfg.Conn = TransportNATS, nc
	cfg.ReplyTimeout = 30 * time.Second
	b, err := New(context.Background(), cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

type answerAt uint64

func (a answerAt) Handle(_ context.Context, env domain.CommandEnvelope) (domain.Result, error) {
	return domain.Result{CommandID: env.ID, Command: env.Command.CommandName(), Sequence: uint64(a)}, nil
}

// A replica of an earlier version answers on lrreply.<operation id>, which
// a sender of this version also listens to (a rolling upgrade).
func TestSenderTakesTheReplyOfAnEarlierReplica(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	sender := natsBus(t, jetstreamtest.MustConnect(t, srv), nil)
	js, err := jetstream.New(jetstreamtest.MustConnect(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cons, err := js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{Durable: ConsumerName,
		AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: CommandTopic})
	if err != nil {
		t.Fatal(err)
	}
	go func() { // the earlier replica: one command, answered as it did
		msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(20*time.Second))
		if err != nil {
			t.Error(err)
			return
		}
		for msg := range msgs.Messages() {
			op := msg.Headers().Get(requestreply.OperationIDMetadataKey)
			body, _ := encodeReply("CancelArea", domain.Result{Sequence: 42}, nil)
			m, _ := replyMessage(ReplySubjectPrefix+op, op, "", body)
			if err := jetstreamtest.MustConnect(t, srv).PublishMsg(m); err != nil {
				t.Error(err)
			}
			msg.Ack()
		}
	}()
	res, err := sender.Send(ctx, domain.CommandEnvelope{Command: domain.CancelArea{AreaID: uuid.New(),
		On: events.MustDate("2021-03-04"), Method: events.CancelByNTS, Reason: "no evidence"}})
	if err != nil || res.Sequence != 42 {
		t.Fatalf("Send = %+v, %v; want the earlier replica's reply (sequence 42)", res, err)
	}
}

// A sender of an earlier version sends no reply bus and listens on
// lrreply.<operation id> alone: a replica of this version answers there.
func TestReplicaAnswersAnEarlierSender(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	natsBus(t, jetstreamtest.MustConnect(t, srv), answerAt(7))
	old := natsBus(t, jetstreamtest.MustConnect(t, srv), nil) // its command bus publishes as an earlier sender did
	nc := jetstreamtest.MustConnect(t, srv)
	op := uuid.NewString()
	replies, err := nc.SubscribeSync(ReplySubjectPrefix + op)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	env := domain.CommandEnvelope{ID: uuid.New(), Command: domain.CancelArea{AreaID: uuid.New(),
		On: events.MustDate("2021-03-04"), Method: events.CancelByNTS, Reason: "no evidence"}}
	wire, err := domain.EncodeCommand(env)
	if err != nil {
		t.Fatal(err)
	}
	err = old.commands.SendWithModifiedMessage(context.Background(), &commandMessage{wire: wire, command: "CancelArea"},
		func(m *message.Message) error {
			m.Metadata.Set(requestreply.OperationIDMetadataKey, op)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	m, err := replies.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no reply on %s%s: %v", ReplySubjectPrefix, op, err)
	}
	if m.Reply != "" {
		t.Errorf("the reply to an earlier sender has a reply subject (%s): it would acknowledge it and wait", m.Reply)
	}
	body, err := replyBody(m)
	if err != nil {
		t.Fatal(err)
	}
	res, handleErr, err := decodeReply(events.NewRegistry(), body)
	if err != nil || handleErr != nil || res.Sequence != 7 || res.CommandID != env.ID {
		t.Errorf("reply = %+v, %v, %v; want command %s at sequence 7", res, handleErr, err, env.ID)
	}
}
