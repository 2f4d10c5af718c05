package jetstream

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/landrelease/landrelease/events"
)

// A batched get of a subject from its first message makes the server walk
// its blocks message by message from there (it knows where a subject
// starts and ends in each block, not where its messages are), so a load
// costs the span of the aggregate's history, not its length: at 100× an
// aggregate whose events lie years apart cost tens of milliseconds.
//
// The engine's events say where the previous message of their subject is:
// the first event of each aggregate in an append carries
// Nats-Expected-Last-Subject-Sequence, which the server checked against the
// subject's last sequence before storing it (0: the subject had none;
// mirrors and sources strip the header), or the same sequence in
// Nats-Expected-Lr-Previous-Sequence when the append expected the stream's
// last sequence instead (tail.go), and the aggregate's other events
// in that append follow in the same atomic batch, whose messages keep their
// place in it (Nats-Batch-Sequence). So a load asks for the subject's last
// message and walks back: one direct get by sequence per append, a lookup
// in one block, and one batched get over the batch for the events an
// append wrote after its first.
//
// Anything else ends the walk and the load reads forward as before: a
// message with neither header (another client's), a header checked
// against another subject, a gap, or more than maxBackSteps appends.
const maxBackSteps = 32

// maxBatchBack bounds how far back in an atomic batch a load reads (the
// handler's batches are far smaller).
const maxBatchBack = 100_000

const headerExpectedSeqSubject = "Nats-Expected-Last-Subject-Sequence-Subject"

// loadBackward reads ref's messages from the last back to the first. ok
// false: the walk could not tell, load forward instead.
func (s *Store) loadBackward(ctx context.Context, ref events.Ref) (out []events.Envelope, last uint64, ok bool, err error) {
	subject := ref.Subject()
	m, err := s.gets.getOne(ctx, 0, subject)
	if err == errNoMessages {
		return nil, 0, true, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	last = m.seq
	msgs := []rawMsg{m}
	for steps := 0; ; steps++ {
		if steps == maxBackSteps || m.subject != subject || m.header.Get(headerExpectedSeqSubject) != "" {
			// A long history, or a gap, or a check made on another
			// subject.
			return nil, 0, false, nil
		}
		v := m.header.Get(HeaderExpectedSeq)
		if v == "" {
			// Or the same, checked by the stream-wide check (tail.go).
			v = m.header.Get(headerPreviousSeq)
		}
		if v == "" {
			// Not the aggregate's first message in its append: the
			// ones before it in the same atomic batch lie between the
			// batch's first message and it.
			before, ok, err := s.sameBatch(ctx, subject, m)
			if err != nil || !ok {
				return nil, 0, false, err
			}
			msgs = append(msgs, before...)
			m = msgs[len(msgs)-1]
			continue
		}
		prev, err := strconv.ParseUint(v, 10, 64)
		if err != nil || prev >= m.seq {
			return nil, 0, false, nil
		}
		if prev == 0 {
			break // the subject's first message
		}
		if m, err = s.gets.getOne(ctx, prev, ""); err != nil {
			return nil, 0, false, nil
		}
		msgs = append(msgs, m)
	}
	slices.Reverse(msgs)
	for _, m := range msgs {
		if e, err := decode(s.cfg.Registry, m.subject, m.seq, m.header, m.data); err == nil {
			out = append(out, e)
		} else if _, ok := events.AsQuarantined(err); !ok {
			return nil, 0, false, permanent{err}
		}
	}
	return out, last, true, nil
}

// sameBatch returns the messages on subject before m in m's atomic batch,
// the nearest first: one batched get from the batch's first message (m's
// Nats-Batch-Sequence says how far back it is), which the server answers by
// walking at most the batch. What it returns is every message on the
// subject from there to m, whatever the header said; ok false when it
// found none before m (m is no engine message) or did not reach m.
func (s *Store) sameBatch(ctx context.Context, subject string, m rawMsg) ([]rawMsg, bool, error) {
	pos, err := strconv.ParseUint(m.header.Get("Nats-Batch-Sequence"), 10, 64)
	if err != nil || pos < 2 || pos > m.seq || pos > maxBatchBack {
		return nil, false, nil
	}
	var found []rawMsg
	reached := false
	err = s.gets.getBatch(ctx, subject, m.seq-(pos-1), int(pos), func(r rawMsg) error {
		if r.seq < m.seq {
			found = append(found, r)
		}
		reached = reached || r.seq == m.seq
		return nil
	})
	if err != nil && !errors.Is(err, errNoMessages) {
		return nil, false, err
	}
	if !reached || len(found) == 0 {
		return nil, false, nil
	}
	slices.Reverse(found)
	return found, true, nil
}
