package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
)

// How Load reads an aggregate; the benchmark compares them.
const (
	loadBackward = iota // walk back from the last message (loadBackward), else loadForward
	loadForward         // batched gets from the subject's first message, on getMux
	loadGetBatch        // batched gets with jetstreamext.GetBatch
)

var loadPath = loadBackward

// getMux sends direct gets whose replies share one subscription.
// jetstreamext.GetBatch (through natsext.RequestMany) subscribes to a new
// inbox for every request and unsubscribes after it: two protocol
// operations, the server's subscription index changed twice, and a channel
// and a goroutine per load, which cost more than the get itself for an
// aggregate of a few events. getMux subscribes once to <inbox>.* and tells
// the replies of concurrent requests apart by the last token of their reply
// subject, as nats.go does for Request.
type getMux struct {
	nc      *nats.Conn
	api     string // $JS.API.DIRECT.GET.<stream>
	startMu sync.Mutex
	started bool
	prefix  string // <inbox>. : a request's reply subject is prefix + token
	next    atomic.Uint64
	mu      sync.Mutex
	waiting map[string]chan *nats.Msg
}

func newGetMux(nc *nats.Conn, stream string) *getMux {
	return &getMux{nc: nc, api: "$JS.API.DIRECT.GET." + stream, waiting: map[string]chan *nats.Msg{}}
}

// start subscribes on first use; a failed subscription is tried again by
// the next request.
func (g *getMux) start() error {
	g.startMu.Lock()
	defer g.startMu.Unlock()
	if g.started {
		return nil
	}
	prefix := g.nc.NewInbox() + "."
	// The handler runs on the subscription's own goroutine and never
	// blocks: each request's channel holds a whole batch and its end.
	_, err := g.nc.Subscribe(prefix+"*", func(m *nats.Msg) {
		token := m.Subject[len(prefix):]
		g.mu.Lock()
		ch := g.waiting[token]
		if ch != nil && len(ch) == cap(ch) {
			ch = nil // more than was asked for: the waiter sees the batch as incomplete
		}
		if ch != nil {
			ch <- m
		}
		g.mu.Unlock()
	})
	if err != nil {
		return fmt.Errorf("subscribe to the replies of direct gets: %w", err)
	}
	g.prefix, g.started = prefix, true
	return nil
}

// getBatchRequest is the body of a batched direct get (ADR-31): up to batch
// messages on subject from sequence seq.
type getBatchRequest struct {
	Seq     uint64 `json:"seq"`
	NextFor string `json:"next_by_subj"`
	Batch   int    `json:"batch"`
}

// rawMsg is one message of a batched get.
type rawMsg struct {
	subject string
	seq     uint64
	pending uint64 // messages on the subject after this one (Nats-Num-Pending)
	header  nats.Header
	data    []byte
}

// errNoMessages: the subject has no message from the sequence asked.
var errNoMessages = errors.New("no messages")

// getBatch asks for up to batch messages on subject from sequence from and
// calls fn for each, in order. It returns errNoMessages when there are none,
// errIncomplete when the batch did not end within ctx.
func (g *getMux) getBatch(ctx context.Context, subject string, from uint64, batch int, fn func(rawMsg) error) error {
	return g.request(ctx, getBatchRequest{Seq: from, NextFor: subject, Batch: batch}, batch+2, fn)
}

// getRequest is the body of a single direct get: the message at Seq, or the
// last on LastFor.
type getRequest struct {
	Seq     uint64 `json:"seq,omitempty"`
	LastFor string `json:"last_by_subj,omitempty"`
}

// getOne returns one message: the one at sequence seq (subject ""), or the
// last on subject (seq 0); errNoMessages when there is none.
func (g *getMux) getOne(ctx context.Context, seq uint64, subject string) (rawMsg, error) {
	var out rawMsg
	err := g.request(ctx, getRequest{Seq: seq, LastFor: subject}, 1, func(m rawMsg) error {
		out = m
		return nil
	})
	return out, err
}

// request sends one direct get and calls fn for each message of its reply;
// a single get (room 1) ends with its message, a batch with its end marker.
func (g *getMux) request(ctx context.Context, body any, room int, fn func(rawMsg) error) error {
	if err := g.start(); err != nil {
		return err
	}
	req, err := json.Marshal(body)
	if err != nil {
		return err
	}
	single := room == 1
	token := strconv.FormatUint(g.next.Add(1), 36)
	ch := make(chan *nats.Msg, room)
	g.mu.Lock()
	g.waiting[token] = ch
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.waiting, token)
		g.mu.Unlock()
	}()
	if err := g.nc.PublishMsg(&nats.Msg{Subject: g.api, Reply: g.prefix + token, Data: req}); err != nil {
		return err
	}
	n := 0
	for {
		var m *nats.Msg
		select {
		case m = <-ch:
		case <-ctx.Done():
			if n == 0 {
				return errIncomplete
			}
			return fmt.Errorf("%w after %d messages: %w", errIncomplete, n, ctx.Err())
		}
		if len(m.Data) == 0 {
			switch status := m.Header.Get("Status"); {
			case status == "204" && m.Header.Get("Description") == "EOB":
				if n == 0 {
					return errIncomplete
				}
				return nil
			case status == "404":
				if n == 0 {
					return errNoMessages
				}
				return nil
			case status == "503":
				return nats.ErrNoResponders
			case status != "":
				return fmt.Errorf("direct get: status %s %s", status, m.Header.Get("Description"))
			}
		}
		r, err := parseDirectMsg(m, !single)
		if err != nil {
			return err
		}
		n++
		if err := fn(r); err != nil {
			return err
		}
		if single {
			return nil
		}
	}
}

// parseDirectMsg reads the headers the server puts on a message of a
// batched direct get.
func parseDirectMsg(m *nats.Msg, batch bool) (rawMsg, error) {
	pending := m.Header.Get("Nats-Num-Pending")
	if batch && pending == "" {
		// A reply without it is not a batched get's (a server
		// older than 2.11 answers a single get): the version was checked
		// at Open, so this is a server in the middle of a change.
		return rawMsg{}, nats.ErrNoResponders
	}
	r := rawMsg{subject: m.Header.Get("Nats-Subject"), header: m.Header, data: m.Data}
	var err1, err2 error
	if batch {
		r.pending, err1 = strconv.ParseUint(pending, 10, 64)
	}
	r.seq, err2 = strconv.ParseUint(m.Header.Get("Nats-Sequence"), 10, 64)
	if err := errors.Join(err1, err2); err != nil || r.subject == "" || r.seq == 0 {
		return rawMsg{}, fmt.Errorf("batched get: invalid reply (subject %q, sequence %q, pending %q)",
			r.subject, m.Header.Get("Nats-Sequence"), pending)
	}
	return r, nil
}
