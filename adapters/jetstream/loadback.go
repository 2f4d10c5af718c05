package jetstream

import (
	"context"
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
// subject's last sequence before storing it (0: the subject had none), and
// the other events of a write follow the one before them. So a load asks
// for the subject's last message and walks back, one direct get by
// sequence per event, each a lookup in one block.
//
// Anything else ends the walk and the load reads forward as before: a
// message without the header whose predecessor is not on the subject (two
// writes to one aggregate in one batch, a message another client
// published), a header checked against another subject, a gap, or a history
// longer than maxBackSteps.
const maxBackSteps = 32

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
	for len(msgs) <= maxBackSteps {
		if m.subject != subject || m.header.Get(headerExpectedSeqSubject) != "" {
			// Reached without the header, the message before is
			// another aggregate's: where this one's previous is, the
			// walk cannot tell (two writes in one batch, a foreign
			// message). Reached with it: a gap, or a check made on
			// another subject.
			return nil, 0, false, nil
		}
		prev := m.seq - 1
		if v := m.header.Get(HeaderExpectedSeq); v != "" {
			p, err := strconv.ParseUint(v, 10, 64)
			if err != nil || p >= m.seq {
				return nil, 0, false, nil
			}
			if p == 0 {
				break // the subject's first message
			}
			prev = p
		} else if prev == 0 {
			return nil, 0, false, nil
		}
		m, err = s.gets.getOne(ctx, prev, "")
		if err == errNoMessages {
			return nil, 0, false, nil
		}
		if err != nil {
			return nil, 0, false, err
		}
		msgs = append(msgs, m)
	}
	if len(msgs) > maxBackSteps {
		return nil, 0, false, nil
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
