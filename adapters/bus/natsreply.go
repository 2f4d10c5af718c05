package bus

import (
	"context"
	"errors"
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
//     lrreply.<bus id>.*, and its commands carry the bus ID
//     (MetadataReplyBus) beside the operation ID (a UUID, watermill's
//     requestreply metadata key): the replica answers on
//     lrreply.<bus id>.<operation id>, under a subscription the cluster has
//     long known of, instead of one made a moment before the command;
//   - the replica publishes such a reply with a reply subject of its own,
//     as a request with no answer expected. A server with no subscriber for
//     the reply answers that at once with a no-responders status (503), and
//     the replica publishes the reply again, with backoff, for
//     replyRetryFor. No answer is the normal case: the sender does not
//     answer a reply (the engine may publish only to lr*, not to another
//     connection's inbox).
//
// Versions before this one subscribed to lrreply.<operation id> per Send
// and answered on it. So that replicas of both can serve each other during
// a rolling upgrade, a command without MetadataReplyBus is answered there,
// plainly (as before), and a sending Bus also subscribes to lrreply.*,
// where only an older replica publishes.

const (
	// replyWatch is how long a reply's server has to say it had no
	// subscriber for it; the answer comes within a round trip. Each
	// reply's message is held that long.
	replyWatch = 2 * time.Second
	// replyRetryFor bounds how long a reply without a subscriber is
	// published again: interest crosses a cluster in milliseconds, so past
	// it the sender has gone.
	replyRetryFor = 10 * time.Second
	// replyFirstRetry is the first wait before a reply is published again;
	// it doubles up to replyMaxRetry.
	replyFirstRetry = 5 * time.Millisecond
	replyMaxRetry   = 500 * time.Millisecond
)

// MetadataReplyBus carries the sending Bus's ID: the reply goes to
// ReplySubjectPrefix + bus ID + "." + operation ID.
const MetadataReplyBus = "Lr-Reply-Bus"

// replyInbox is the sending side: the Bus's subscriptions to its replies
// and the Sends waiting on them, by operation ID.
type replyInbox struct {
	id   string // the bus ID
	subs []*nats.Subscription

	mu      sync.Mutex
	waiting map[string]chan *nats.Msg // by operation ID
}

// newReplyInbox is the inbox of a Bus with the given ID; subscribe it
// before sending.
func newReplyInbox(id string) *replyInbox {
	return &replyInbox{id: id, waiting: map[string]chan *nats.Msg{}}
}

// subscribe subscribes to the bus's reply subjects (and to those older
// replicas answer on) and waits until its server has the subscriptions.
func (in *replyInbox) subscribe(ctx context.Context, nc *nats.Conn) error {
	for _, subject := range []string{ReplySubjectPrefix + in.id + ".*", ReplySubjectPrefix + "*"} {
		sub, err := nc.Subscribe(subject, in.deliver)
		if err != nil {
			_ = in.close()
			return fmt.Errorf("bus: subscribe to replies: %w", err)
		}
		in.subs = append(in.subs, sub)
	}
	if err := flush(ctx, nc); err != nil {
		_ = in.close()
		return fmt.Errorf("bus: subscribe to replies: %w", err)
	}
	return nil
}

// expect returns a new operation ID and the channel its reply will come on;
// forget it when done.
func (in *replyInbox) expect() (op string, reply <-chan *nats.Msg) {
	op = uuid.NewString()
	ch := make(chan *nats.Msg, 1)
	in.mu.Lock()
	in.waiting[op] = ch
	in.mu.Unlock()
	return op, ch
}

func (in *replyInbox) forget(op string) {
	in.mu.Lock()
	delete(in.waiting, op)
	in.mu.Unlock()
}

// deliver hands a reply to its Send; a second one (a command delivered
// twice), one for a Send that has given up or another bus's (on lrreply.*)
// is dropped. Decoding is left to the Send, in its own goroutine.
func (in *replyInbox) deliver(m *nats.Msg) {
	op := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	in.mu.Lock()
	ch := in.waiting[op]
	in.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m:
		default:
		}
	}
}

func (in *replyInbox) close() error {
	var errs []error
	for _, sub := range in.subs {
		if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, err)
		}
	}
	in.subs = nil
	return errors.Join(errs...)
}

// replier is the handling side: it publishes replies and publishes one again
// while its server says no one subscribes to it.
type replier struct {
	nc     *nats.Conn
	logger watermill.LoggerAdapter
	inbox  string // the no-responders answers come to inbox.<n>
	sub    *nats.Subscription

	mu       sync.Mutex
	next     uint64
	pending  map[uint64]*pendingReply
	retrying int // pending replies a server has said no one listens to
	closed   bool
}

type pendingReply struct {
	msg      *nats.Msg
	first    time.Time     // first published
	wait     time.Duration // before the next publication
	watch    *time.Timer   // forgets the reply replyWatch after its last publication
	gen      int           // of the watch; a watch of an older one forgets nothing
	retrying bool
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
	r.pending[id] = p
	r.watchLocked(id, p)
	m.Reply = r.inbox + "." + strconv.FormatUint(id, 36)
	r.mu.Unlock()
	return r.nc.PublishMsg(m)
}

// watchLocked (re)starts p's watch: replyWatch from now, p is forgotten.
func (r *replier) watchLocked(id uint64, p *pendingReply) {
	if p.watch != nil {
		p.watch.Stop()
	}
	p.gen++
	gen := p.gen
	p.watch = time.AfterFunc(replyWatch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.pending[id] == p && p.gen == gen {
			r.dropLocked(id, p)
		}
	})
}

func (r *replier) dropLocked(id uint64, p *pendingReply) {
	p.watch.Stop()
	p.gen++
	delete(r.pending, id)
	if p.retrying {
		r.retrying--
	}
}

// answered takes the server's no-responders status for a reply and
// publishes it again after a wait. Any other answer means it was delivered.
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
		r.dropLocked(id, p)
		return
	}
	if time.Since(p.first) > replyRetryFor {
		r.dropLocked(id, p)
		r.logger.Info("No sender listens for a command's reply: dropped", watermill.LogFields{
			"subject": p.msg.Subject, "for": time.Since(p.first).Round(time.Millisecond).String()})
		return
	}
	if !p.retrying {
		p.retrying = true
		r.retrying++
	}
	p.watch.Stop()
	p.gen++ // no watch forgets p until it is published again
	wait := p.wait
	p.wait = min(2*p.wait, replyMaxRetry)
	time.AfterFunc(wait, func() {
		r.mu.Lock()
		if r.pending[id] != p {
			r.mu.Unlock()
			return
		}
		r.watchLocked(id, p)
		r.mu.Unlock()
		if err := r.nc.PublishMsg(p.msg); err != nil {
			r.logger.Error("Cannot publish a command reply again", err, watermill.LogFields{"subject": p.msg.Subject})
		}
	})
}

// close stops watching after the replies being published again have been
// delivered or given up, for at most drain: Close's promise that a command
// handled before it is answered holds for a sender whose subscription had
// not reached this server yet.
func (r *replier) close(drain time.Duration) error {
	deadline := time.Now().Add(min(drain, replyRetryFor))
	for {
		r.mu.Lock()
		if r.retrying == 0 || !time.Now().Before(deadline) {
			r.closed = true
			for id, p := range r.pending {
				r.dropLocked(id, p)
			}
			r.mu.Unlock()
			break
		}
		r.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return err
	}
	return nil
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

// validToken reports whether v can be one token of a reply subject: no
// dot, wildcard or white space, not empty, not long.
func validToken(v string) bool {
	return v != "" && len(v) <= 100 && !strings.ContainsAny(v, ".*> \t\r\n")
}
