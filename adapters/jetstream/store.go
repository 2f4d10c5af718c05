package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// StreamName is the one stream that holds landrelease's history.
const StreamName = "LANDRELEASE"

// MinServerVersion is the oldest nats-server the store runs on: atomic batch
// publish arrived in 2.12.
const MinServerVersion = "2.12.0"

// Config configures the store.
type Config struct {
	Stream          string        // stream name; StreamName by default
	Replicas        int           // stream replicas: 1 on a single server, 3 in a cluster
	DuplicateWindow time.Duration // how long JetStream remembers message IDs
	Timeout         time.Duration // per request (publish, get)
	PublishAttempts int           // tries of one append when the acknowledgement is lost
	Registry        *events.Registry
}

// DefaultConfig returns the store configuration the engine runs with.
func DefaultConfig() Config {
	return Config{
		Stream: StreamName, Replicas: 1, DuplicateWindow: 2 * time.Minute,
		Timeout: 10 * time.Second, PublishAttempts: 4, Registry: events.NewRegistry(),
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Stream == "" || strings.ContainsAny(c.Stream, ". *>") {
		errs = append(errs, fmt.Errorf("stream name %q: must be non-empty without '.', ' ', '*' or '>'", c.Stream))
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas: must be between 1 and 5, got %d", c.Replicas))
	}
	if c.DuplicateWindow < time.Second {
		errs = append(errs, fmt.Errorf("duplicate window: must be at least 1s, got %s", c.DuplicateWindow))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("timeout: must be positive"))
	}
	if c.PublishAttempts < 1 {
		errs = append(errs, fmt.Errorf("publish attempts: must be at least 1, got %d", c.PublishAttempts))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("registry: required"))
	}
	return errors.Join(errs...)
}

// StreamConfig is the safe configuration of the history stream: file
// storage, no limit that could ever delete an event, no deletes or purges,
// atomic batches and direct gets allowed.
func StreamConfig(c Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:               c.Stream,
		Description:        "landrelease event history: the source of truth",
		Subjects:           []string{events.SubjectPrefix + ".>"},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Discard:            jetstream.DiscardNew,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxAge:             0,
		MaxMsgsPerSubject:  -1,
		MaxMsgSize:         -1,
		Replicas:           c.Replicas,
		Duplicates:         c.DuplicateWindow,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowDirect:        true,
		AllowAtomicPublish: true,
	}
}

// Store is the JetStream event store. Safe for concurrent use.
type Store struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
}

var _ domain.EventStore = (*Store)(nil)

// Open checks the server, creates or updates the stream with the safe
// configuration and returns the store. It refuses a server older than
// MinServerVersion with an error that names the version required.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if v := nc.ConnectedServerVersion(); !VersionAtLeast(v, MinServerVersion) {
		return nil, fmt.Errorf("nats-server %s is too old: landrelease needs %s or newer (atomic batch publish)", v, MinServerVersion)
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(cfg.Timeout))
	if err != nil {
		return nil, err
	}
	sc := StreamConfig(cfg)
	stream, err := js.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("create or update stream %s: %w", cfg.Stream, err)
	}
	return &Store{cfg: cfg, nc: nc, js: js, stream: stream}, nil
}

// VersionAtLeast compares dotted versions such as "2.15.2" (suffixes such as
// "-beta" are ignored).
func VersionAtLeast(have, want string) bool {
	parse := func(s string) [3]int {
		var out [3]int
		s, _, _ = strings.Cut(s, "-")
		for i, p := range strings.SplitN(s, ".", 3) {
			out[i], _ = strconv.Atoi(p)
		}
		return out
	}
	h, w := parse(have), parse(want)
	for i := range h {
		if h[i] != w[i] {
			return h[i] > w[i]
		}
	}
	return true
}

// JetStream returns the JetStream context (for projections and tools).
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// StreamName returns the stream's name.
func (s *Store) StreamName() string { return s.cfg.Stream }

// Append stores the writes: one event as a single publish, anything more as
// one atomic batch. Each aggregate's first message carries
// Nats-Expected-Last-Subject-Sequence; each message carries its event ID as
// Nats-Msg-Id. A lost acknowledgement is retried with the same IDs; if the
// retry finds the events stored, Append returns sequence 0 (see
// domain.EventStore).
func (s *Store) Append(ctx context.Context, writes []domain.Write) (uint64, error) {
	msgs := make([]*nats.Msg, 0, len(writes))
	seen := make(map[string]bool, len(writes))
	for _, w := range writes {
		for i, e := range w.Events {
			m, err := encode(e)
			if err != nil {
				return 0, err
			}
			if i == 0 && !seen[m.Subject] {
				seen[m.Subject] = true
				m.Header[HeaderExpectedSeq] = []string{strconv.FormatUint(w.Expected, 10)}
			}
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return 0, errors.New("append: no events")
	}
	var lastErr error
	for attempt := 1; attempt <= s.cfg.PublishAttempts; attempt++ {
		first, err := s.publish(ctx, msgs)
		if err == nil {
			return first, nil
		}
		if dup, cerr := classify(err); cerr != nil {
			return 0, cerr
		} else if dup {
			return 0, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
		// The acknowledgement was lost or the server was busy: the same IDs
		// make the retry safe.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt*attempt) * 50 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("append to %s after %d attempts: %w", s.cfg.Stream, s.cfg.PublishAttempts, lastErr)
}

func (s *Store) publish(ctx context.Context, msgs []*nats.Msg) (uint64, error) {
	if len(msgs) == 1 {
		ack, err := s.js.PublishMsg(ctx, msgs[0], jetstream.WithRetryAttempts(0))
		if err != nil {
			return 0, err
		}
		if ack.Duplicate {
			return 0, nil
		}
		return ack.Sequence, nil
	}
	ack, err := jetstreamext.PublishMsgBatch(ctx, s.js, msgs)
	if err != nil {
		return 0, err
	}
	return ack.Sequence - ack.BatchSize + 1, nil
}

// classify sorts a publish error: a concurrency conflict becomes a domain
// ErrConflict, a duplicate means "already stored", another API error is
// final; anything else (a lost acknowledgement) may be retried.
func classify(err error) (duplicate bool, final error) {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return false, err
		}
		return false, nil
	}
	switch apiErr.ErrorCode {
	case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
		return false, &domain.Error{Op: "append", Kind: domain.ErrConflict, Problems: []domain.Problem{{
			Field: "aggregate", Reason: "another command changed the aggregate since it was read (" + apiErr.Description + ")"}}, Err: err}
	case jetstreamext.JSErrCodeBatchPublishDuplicateMsgID:
		return true, nil
	case jetstreamext.JSErrCodeAtomicPublishTooManyInflight, jetstreamext.JSErrCodeBatchPublishTooManyInflight:
		return false, nil // busy: retry
	}
	return false, fmt.Errorf("append: %w", err)
}

// Load returns the events of one aggregate with batched direct gets.
func (s *Store) Load(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error) {
	const batch = 256
	subject := ref.Subject()
	var out []events.Envelope
	next := uint64(1)
	for {
		it, err := jetstreamext.GetBatch(ctx, s.js, s.cfg.Stream, batch,
			jetstreamext.GetBatchSubject(subject), jetstreamext.GetBatchSeq(next))
		if err != nil {
			return nil, 0, fmt.Errorf("load %s: %w", subject, err)
		}
		n := 0
		pending := uint64(0)
		for msg, err := range it {
			if errors.Is(err, jetstreamext.ErrNoMessages) {
				break
			}
			if err != nil {
				return nil, 0, fmt.Errorf("load %s: %w", subject, err)
			}
			e, err := decode(s.cfg.Registry, msg.Subject, msg.Sequence, msg.Header, msg.Data)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, e)
			n++
			next = msg.Sequence + 1
			pending, _ = strconv.ParseUint(msg.Header.Get("Nats-Num-Pending"), 10, 64)
		}
		if n < batch || pending == 0 {
			break
		}
	}
	var version uint64
	if len(out) > 0 {
		version = out[len(out)-1].Sequence
	}
	return out, version, nil
}

// LastSequence returns the stream's last sequence.
func (s *Store) LastSequence(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// Replay reads the stream with an ordered consumer from sequence from up to
// the last sequence at the time of the call.
func (s *Store) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	return s.ReplayRaw(ctx, from, 0, func(subject string, seq uint64, h nats.Header, data []byte) error {
		e, err := decode(s.cfg.Registry, subject, seq, h, data)
		if err != nil {
			return err
		}
		return fn(e)
	})
}

// ReplayRaw is Replay without decoding: fn sees each message's subject,
// sequence, headers and body. upTo 0 means the last sequence now.
func (s *Store) ReplayRaw(ctx context.Context, from, upTo uint64, fn func(subject string, seq uint64, h nats.Header, data []byte) error) error {
	if from < 1 {
		from = 1
	}
	if upTo == 0 {
		last, err := s.LastSequence(ctx)
		if err != nil {
			return err
		}
		upTo = last
	}
	if from > upTo {
		return nil
	}
	return s.consume(ctx, "replay", from, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) (bool, error) {
		seq := meta.Sequence.Stream
		if err := fn(msg.Subject(), seq, msg.Headers(), msg.Data()); err != nil {
			return false, err
		}
		return seq >= upTo, nil
	})
}

// Follow reads the stream with an ordered consumer from sequence from and
// keeps waiting for new events until ctx ends (it then returns ctx.Err()).
// pending is the number of events the server holds after this one. The
// ordered consumer recreates itself after a lost heartbeat or a reconnect,
// resuming after the last sequence delivered.
func (s *Store) Follow(ctx context.Context, from uint64, fn func(e events.Envelope, pending uint64) error) error {
	if from < 1 {
		from = 1
	}
	return s.consume(ctx, "follow", from, func(msg jetstream.Msg, meta *jetstream.MsgMetadata) (bool, error) {
		e, err := decode(s.cfg.Registry, msg.Subject(), meta.Sequence.Stream, msg.Headers(), msg.Data())
		if err != nil {
			return false, err
		}
		return false, fn(e, meta.NumPending)
	})
}

// consume reads the stream with an ordered consumer from sequence from and
// calls fn for each message until fn says done, fn fails, or ctx ends (then
// it returns ctx.Err()). The ordered consumer recreates itself after a lost
// heartbeat or a reconnect, resuming after the last sequence delivered.
func (s *Store) consume(ctx context.Context, op string, from uint64, fn func(jetstream.Msg, *jetstream.MsgMetadata) (done bool, err error)) error {
	cons, err := s.js.OrderedConsumer(ctx, s.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.SubjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
	})
	if err != nil {
		return fmt.Errorf("%s: ordered consumer: %w", op, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2048))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s: %w", op, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if done, err := fn(msg, meta); err != nil || done {
			return err
		}
	}
}
