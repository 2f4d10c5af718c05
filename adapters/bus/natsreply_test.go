package bus

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
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
	defer r.close()
	in := newReplyInbox("late-sender")
	defer in.close()
	op, replies := in.expect()
	m, err := replyMessage(ReplySubjectPrefix+op, op, "", []byte(`{"result":{"sequence":7}}`))
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
