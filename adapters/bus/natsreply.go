package bus

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/components/requestreply"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
)

// Replies over NATS. A reply is a core NATS message, and core NATS delivers
// a message only to the subscriptions its server knows of when it arrives.
// In a cluster the sender's server tells the others of a new subscription
// asynchronously, over the routes, while the command travels through
// JetStream to a replica that may be connected to another server: a reply
// published there before the news arrived was dropped, and the sender waited
// ReplyTimeout for nothing (TestServeReplicasShareTheWork, one run in ten
// under load). Two things close that gap:
//
//   - each sending Bus subscribes once, when it starts, to
//     lrreply.<bus id>.*, and its operation IDs are <bus id>.<uuid>, so
//     the reply subject (ReplySubjectPrefix + operation ID) falls under a
//     subscription the cluster has long known of, instead of one made a
//     moment before the command was sent;
//   - the replica publishes a reply with a reply subject of its own, as a
//     request with no answer expected. A server with no subscriber for the
//     reply answers that at once with a no-responders status (503), and
//     the replica publishes the reply again, with backoff, for
//     replyRetryFor. No answer is the normal case: the sender does not
//     answer a reply (the engine may publish only to lr*, not to another
//     connection's inbox).
//
// The subjects and the reply's encoding (watermill-nats' NATSMarshaler,
// the operation ID in its metadata) are those of earlier versions, so a
// replica of one version answers a sender of the other during an upgrade.

const (
	// replyWatch is how long a reply's server has to say it had no
	// subscriber for it; the answer comes within a round trip.
	replyWatch = 3 * time.Second
	// replyRetryFor bounds how long a reply without a subscriber is
	// published again: interest crosses a cluster in milliseconds, so past
	// it the sender has gone.
	replyRetryFor = 10 * time.Second
	// replyFirstRetry is the first wait before a reply is published again;
	// it doubles up to replyMaxRetry.
	replyFirstRetry = 5 * time.Millisecond
	replyMaxRetry   = 500 * time.Millisecond
)

// replyInbox is the sending side: the Bus's one subscription to its replies
// and the Sends waiting on them, by operation ID.
type replyInbox struct {
	prefix string // ReplySubjectPrefix + bus ID + "."
	sub    *nats.Subscription

	mu      sync.Mutex
	waiting map[string]chan *nats.Msg // by reply subject
}

// newReplyInbox is the inbox of a Bus with the given ID; subscribe it
// before sending.
func newReplyInbox(id string) *replyInbox {
	return &replyInbox{prefix: ReplySubjectPrefix + id + ".", waiting: map[string]chan *nats.Msg{}}
}

// subscribe subscribes to the bus's reply subjects and waits until its
// server has the subscription.
func (in *replyInbox) subscribe(ctx context.Context, nc *nats.Conn) error {
	sub, err := nc.Subscribe(in.prefix+"*", in.deliver)
	if err != nil {
		return fmt.Errorf("bus: subscribe to replies: %w", err)
	}
	if err := flush(ctx, nc); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("bus: subscribe to replies: %w", err)
	}
	in.sub = sub
	return nil
}

// expect returns a new operation ID and the channel its reply will come on;
// forget it when done.
func (in *replyInbox) expect() (op string, reply <-chan *nats.Msg) {
	op = strings.TrimPrefix(in.prefix, ReplySubjectPrefix) + uuid.NewString()
	ch := make(chan *nats.Msg, 1)
	in.mu.Lock()
	in.waiting[ReplySubjectPrefix+op] = ch
	in.mu.Unlock()
	return op, ch
}

func (in *replyInbox) forget(op string) {
	in.mu.Lock()
	delete(in.waiting, ReplySubjectPrefix+op)
	in.mu.Unlock()
}

// deliver hands a reply to its Send; a second one (a command delivered
// twice) or one for a Send that has given up is dropped. Decoding is left
// to the Send, in its own goroutine.
func (in *replyInbox) deliver(m *nats.Msg) {
	in.mu.Lock()
	ch := in.waiting[m.Subject]
	in.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m:
		default:
		}
	}
}

func (in *replyInbox) close() error {
	if in.sub == nil {
		return nil
	}
	return in.sub.Unsubscribe()
}

// replier is the handling side: it publishes replies and publishes one again
// while its server says no one subscribes to it.
type replier struct {
	nc     *nats.Conn
	logger watermill.LoggerAdapter
	inbox  string // the no-responders answers come to inbox.<n>
	sub    *nats.Subscription

	mu      sync.Mutex
	next    uint64
	pending map[uint64]*pendingReply
	closed  bool
}

type pendingReply struct {
	msg   *nats.Msg
	first time.Time     // first published
	wait  time.Duration // before the next publication
	watch *time.Timer   // forgets the reply replyWatch after its last publication
}

func newReplier(ctx context.Context, nc *nats.Conn, logger watermill.LoggerAdapter) (*replier, error) {
	r := &replier{nc: nc, logger: logger, inbox: nc.NewInbox(), pending: map[uint64]*pendingReply{}}
	sub, err := nc.Subscribe(r.inbox+".*", r.answered)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe to reply statuses: %w", err)
	}
	if err := flush(ctx, nc); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("bus: subscribe to reply statuses: %w", err)
	}
	r.sub = sub
	return r, nil
}

// publish publishes the reply (its Reply field is set here) and watches for
// its server's answer.
func (r *replier) publish(m *nats.Msg) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return r.nc.PublishMsg(m)
	}
	r.next++
	id := r.next
	p := &pendingReply{msg: m, first: time.Now(), wait: replyFirstRetry}
	p.watch = time.AfterFunc(replyWatch, func() { r.forget(id, p) })
	r.pending[id] = p
	m.Reply = r.inbox + "." + strconv.FormatUint(id, 36)
	r.mu.Unlock()
	return r.nc.PublishMsg(m)
}

// answered takes the server's no-responders status for a reply and
// publishes it again after a wait. Any other answer (an older sender
// acknowledges its reply) means it was delivered.
func (r *replier) answered(m *nats.Msg) {
	id, err := strconv.ParseUint(strings.TrimPrefix(m.Subject, r.inbox+"."), 36, 64)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pending[id]
	if p == nil {
		return
	}
	if len(m.Data) > 0 || m.Header.Get(statusHeader) != noRespondersStatus {
		p.watch.Stop()
		delete(r.pending, id)
		return
	}
	if time.Since(p.first) > replyRetryFor {
		p.watch.Stop()
		delete(r.pending, id)
		r.logger.Info("No sender listens for a command's reply: dropped", watermill.LogFields{
			"subject": p.msg.Subject, "for": time.Since(p.first).Round(time.Millisecond).String()})
		return
	}
	p.watch.Stop()
	wait := p.wait
	p.wait = min(2*p.wait, replyMaxRetry)
	time.AfterFunc(wait, func() {
		r.mu.Lock()
		if r.pending[id] != p {
			r.mu.Unlock()
			return
		}
		p.watch.Reset(replyWatch)
		r.mu.Unlock()
		if err := r.nc.PublishMsg(p.msg); err != nil {
			r.logger.Error("Cannot publish a command reply again", err, watermill.LogFields{"subject": p.msg.Subject})
		}
	})
}

func (r *replier) forget(id uint64, p *pendingReply) {
	r.mu.Lock()
	if r.pending[id] == p {
		delete(r.pending, id)
	}
	r.mu.Unlock()
}

// close stops watching: replies still waiting for a subscriber are dropped.
func (r *replier) close() error {
	r.mu.Lock()
	r.closed = true
	for id, p := range r.pending {
		p.watch.Stop()
		delete(r.pending, id)
	}
	r.mu.Unlock()
	return r.sub.Unsubscribe()
}

// The status header a server puts on its answer to a request no
// subscription took (nats.go does not export them).
const (
	statusHeader       = "Status"
	noRespondersStatus = "503"
)

// replyMessage is the reply on the wire: its JSON body in a watermill message
// carrying the operation ID and the command's correlation ID, encoded as
// watermill-nats' core publisher did.
func replyMessage(subject, op, correlation string, body []byte) (*nats.Msg, error) {
	wm := message.NewMessage(watermill.NewUUID(), body)
	wm.Metadata.Set(requestreply.OperationIDMetadataKey, op)
	if correlation != "" {
		middleware.SetCorrelationID(correlation, wm)
	}
	return (&wmnats.NATSMarshaler{}).Marshal(subject, wm)
}

// replyBody reads a reply message's JSON body.
func replyBody(m *nats.Msg) ([]byte, error) {
	wm, err := (&wmnats.NATSMarshaler{}).Unmarshal(m)
	if err != nil {
		return nil, err
	}
	return wm.Payload, nil
}

// flush waits until the server has processed what nc sent (its
// subscriptions), within ctx or a minute.
func flush(ctx context.Context, nc *nats.Conn) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	return nc.FlushWithContext(ctx)
}

// validOperation reports whether op can end a reply subject: dot-separated
// tokens, none empty, no wildcard or white space.
func validOperation(op string) bool {
	if op == "" || len(op) > 200 {
		return false
	}
	for _, tok := range strings.Split(op, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n") {
			return false
		}
	}
	return true
}
