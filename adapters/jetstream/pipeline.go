package jetstream

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/landrelease/landrelease/events"
)

// A replay decodes on more than one core: one goroutine reads the stream
// with the ordered consumer and cuts what it reads into batches, one worker
// per core decodes the batches, and the caller's goroutine takes them back in
// stream order and calls fn for each event (or skipped for each quarantined
// message), one at a time, exactly as a serial read would. Decoding (the
// header checks, IDs, dates and the JSON body) is most of a replay's work
// on the client side; the fold stays single-threaded and in order.
//
// Memory is bounded: at most pipelineDepth batches of pipelineBatch
// messages are read ahead of the one fn is working through; the reader
// waits when they are all in flight. Batches and their slots are reused.
const (
	pipelineBatch = 256
	// pipelineMin is the smallest replay worth the goroutines: a short
	// read (a catch-up of a few events) decodes on the caller's goroutine.
	pipelineMin = 2 * pipelineBatch
)

// parallelReplay turns the decoding workers on where there are cores to
// spare. On 2 cores the embedded server, the client's read loop (which
// builds every message's header map) and the fold already use both, and
// BenchmarkReplay measured the workers slower than decoding on the
// caller's goroutine (54–63k against 66–67k events/s); from 4 cores the
// decoding moves off the fold's core. Tests and the benchmark set it
// either way (SetParallelReplay).
var parallelReplay = runtime.GOMAXPROCS(0) > 2

// pipelineDepth is how many batches may be read ahead: enough to keep
// every worker busy while the caller folds one batch and the reader fills
// another.
func pipelineDepth() int { return 2*pipelineWorkers() + 2 }

// pipelineWorkers is how many goroutines decode: one per core, at most 8
// (more would not keep up with one consumer's reads, and would only hold
// more batches in memory).
func pipelineWorkers() int { return min(runtime.GOMAXPROCS(0), 8) }

// slot is one message read: what the reader saw, then what the worker
// made of it.
type slot struct {
	subject string
	seq     uint64
	stamp   time.Time
	h       nats.Header
	data    []byte
	env     events.Envelope
	q       *events.Quarantined
}

// batch is a run of consecutive messages; done is closed once every slot
// is decoded.
type batch struct {
	slots []slot
	done  chan struct{}
}

// replayParallel is replay's decoding read: fn and skipped as in
// ReplayQuarantine, over the messages from sequence from to upTo.
func (s *Store) replayParallel(ctx context.Context, from, upTo uint64, fn func(events.Envelope) error, skipped func(events.Quarantined) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	depth := pipelineDepth()
	workers := pipelineWorkers()
	free := make(chan *batch, depth+1) // batches to reuse
	for range depth + 1 {
		free <- &batch{slots: make([]slot, 0, pipelineBatch)}
	}
	work := make(chan *batch, depth)    // to the workers, in any order
	ordered := make(chan *batch, depth) // to the caller, in stream order
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				for i := range b.slots {
					sl := &b.slots[i]
					sl.env, sl.q = s.decodeRaw(sl.subject, sl.seq, sl.stamp, sl.h, sl.data)
				}
				close(b.done)
			}
		}()
	}
	var readErr error
	go func() {
		defer close(ordered)
		defer close(work)
		var cur *batch
		send := func() bool {
			if cur == nil || len(cur.slots) == 0 {
				return true
			}
			cur.done = make(chan struct{})
			select {
			case ordered <- cur:
			case <-ctx.Done(): // the caller has stopped (or panicked)
				cur = nil
				return false
			}
			select {
			case work <- cur:
			case <-ctx.Done():
				close(cur.done) // undecoded: the caller stops at ctx
				cur = nil
				return false
			}
			cur = nil
			return true
		}
		readErr = s.replay(ctx, from, upTo, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) error {
			if cur == nil {
				select {
				case cur = <-free:
				case <-ctx.Done():
					return ctx.Err()
				}
				cur.slots = cur.slots[:0]
			}
			cur.slots = append(cur.slots, slot{subject: msg.Subject(), seq: meta.Sequence.Stream, stamp: meta.Timestamp,
				h: msg.Headers(), data: msg.Data()})
			if len(cur.slots) == pipelineBatch && !send() {
				return ctx.Err()
			}
			return nil
		})
		if readErr == nil || ctx.Err() == nil {
			send() // what was read before an error is still delivered, as a serial read would
		}
	}()
	defer wg.Wait()
	defer cancel()
	for b := range ordered {
		<-b.done
		if err := ctx.Err(); err != nil {
			drain(ordered)
			return err
		}
		for i := range b.slots {
			sl := &b.slots[i]
			var err error
			switch {
			case sl.q == nil:
				err = fn(sl.env)
			case skipped != nil:
				err = skipped(*sl.q)
			}
			if err != nil {
				cancel()
				drain(ordered)
				return err
			}
		}
		clear(b.slots) // drop the references to bodies and events
		free <- b
	}
	// ordered is closed: the reader has ended and readErr is set.
	return readErr
}

// drain empties ordered after the caller stopped, so that the reader is
// never left waiting on it.
func drain(ordered <-chan *batch) {
	for range ordered {
	}
}

// decodeRaw decodes a message read by a consumer: an event, or the record
// of why it is quarantined.
func (s *Store) decodeRaw(subject string, seq uint64, stamp time.Time, h nats.Header, data []byte) (events.Envelope, *events.Quarantined) {
	e, err := decode(s.cfg.Registry, subject, seq, h, data)
	if err == nil {
		return e, nil
	}
	q, ok := events.AsQuarantined(err)
	if !ok { // decode returns nothing else; be safe
		q = &events.Quarantined{Sequence: seq, Subject: events.Clip(subject), Reason: events.Clip(err.Error()), BatchEnd: true}
	}
	q.StoredAt = stamp.UTC()
	return events.Envelope{}, q
}
