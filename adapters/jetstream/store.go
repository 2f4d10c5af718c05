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
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// StreamName is the one stream that holds landrelease's history.
const StreamName = "LANDRELEASE"

// MinServerVersion is the oldest nats-server the store runs on: atomic batch
// publish arrived in 2.12.
const MinServerVersion = "2.12.0"

// Config configures the store.
type Config struct {
	Stream string // stream name; StreamName by default
	// Replicas of the stream: 0 chooses (3 when the client sees a cluster
	// of 3 or more servers, else 1) and keeps an existing stream's count; 1
	// to 5 asks for that count, and changes an existing stream to it.
	Replicas        int
	DuplicateWindow time.Duration // how long JetStream remembers message IDs
	Timeout         time.Duration // per request (publish, get, stream info)
	// RetryFor is how long a call keeps retrying while the store cannot be
	// reached (connection down, no stream leader, requests timing out)
	// before it fails with domain.ErrUnavailable. It counts from the start
	// of the outage, so during a long outage calls fail at once.
	RetryFor time.Duration
	Registry *events.Registry
}

// DefaultConfig returns the store configuration the engine runs with.
func DefaultConfig() Config {
	return Config{
		Stream: StreamName, DuplicateWindow: 30 * time.Second,
		Timeout: 2 * time.Second, RetryFor: 5 * time.Second, Registry: events.NewRegistry(),
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Stream == "" || strings.ContainsAny(c.Stream, ". *>") {
		errs = append(errs, fmt.Errorf("stream name %q: must be non-empty without '.', ' ', '*' or '>'", c.Stream))
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas: must be between 1 and 5 (or 0 to choose), got %d", c.Replicas))
	}
	if c.DuplicateWindow < time.Second {
		errs = append(errs, fmt.Errorf("duplicate window: must be at least 1s, got %s", c.DuplicateWindow))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("timeout: must be positive"))
	}
	if c.RetryFor < 0 {
		errs = append(errs, fmt.Errorf("retry for: must not be negative, got %s", c.RetryFor))
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
		Replicas:           max(c.Replicas, 1),
		Duplicates:         c.DuplicateWindow,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowDirect:        true,
		AllowAtomicPublish: true,
	}
}

// Store is the JetStream event store. Safe for concurrent use.
//
// It rides out leader elections and reconnects: a call that finds the
// store unreachable (no connection, no stream leader, a request timing out)
// retries with backoff for up to Config.RetryFor and then fails with
// domain.ErrUnavailable; a retry with the same event IDs is applied at most
// once (Nats-Msg-Id and the expected sequence). Replay and Follow recreate
// their ordered consumer when it is lost and resume after the last event
// delivered.
type Store struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	notice string // about the replica count, for the operator
	gets   *getMux
	down   outage
	tail   *tail // what the store's own appends tell of the stream's end (tail.go)
}

var _ domain.EventStore = (*Store)(nil)

// Open checks the server, creates the stream with the safe configuration or
// brings an existing one to it, and returns the store. It refuses a server
// older than MinServerVersion with an error that names the version
// required. See Config.Replicas for how the replica count is chosen; Notice
// tells when an existing stream has fewer replicas than the cluster allows.
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
	s := &Store{cfg: cfg, nc: nc, js: js, gets: newGetMux(nc, cfg.Stream), tail: newTail()}
	if err := s.ensureStream(ctx); err != nil {
		return nil, err
	}
	return s, nil
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

// MaxEventBytes returns the largest message the server takes (its
// max_payload, as announced to this connection): Append refuses an event
// larger than that, headers included, with domain.ErrTooLarge.
func (s *Store) MaxEventBytes() int64 { return s.nc.MaxPayload() }

// StreamName returns the stream's name.
func (s *Store) StreamName() string { return s.cfg.Stream }

// Append stores the writes: one event as a single publish, anything more as
// one atomic batch. Each aggregate's first message carries
// Nats-Expected-Last-Subject-Sequence; each message carries its event ID as
// Nats-Msg-Id. A lost acknowledgement is retried with the same IDs; if the
// retry finds the events stored, Append returns sequence 0 (see
// domain.EventStore). A lone event whose ID the server remembers on another
// subject (its command ID used on another aggregate within the duplicate
// window) is refused with a domain ErrConflict caused by
// handling.ErrCommandIDReused, naming where the ID is stored. When the store stays unreachable for Config.RetryFor
// the error is a domain ErrUnavailable: the events may or may not be stored,
// and appending them again (the same command ID) stores them at most once.
// An event larger than the connection's MaxPayload is refused before
// anything is sent, with a domain ErrTooLarge naming its largest field.
func (s *Store) Append(ctx context.Context, writes []domain.Write) (uint64, error) {
	msgs := make([]*nats.Msg, 0, len(writes))
	seen := make(map[string]bool, len(writes))
	limit := s.MaxEventBytes()
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
			// An event over the server's limit would be refused by the
			// client library as a connection problem and retried until
			// the store counts as unavailable: refuse it here, naming its
			// largest field, and store nothing of the writes.
			if size := msgSize(m); limit > 0 && size > limit {
				return 0, domain.TooLarge(e, m.Data, size, limit)
			}
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return 0, errors.New("append: no events")
	}
	var first, dupAt uint64
	last, fast := s.tail.begin(msgs)
	defer func() { s.tail.done(msgs, first) }()
	if fast && limit > 0 && msgSize(msgs[0])+expectStreamRoom > limit {
		fast = false // no room for the stream-wide check's header
	}
	if fast {
		expectStream(msgs, last)
	}
	unclear := false // an attempt failed in a way that may have stored it
	err := s.retry(ctx, "append", func(ctx context.Context) error {
		seq, err := s.publish(ctx, msgs, &dupAt)
		if fast && wrongLast(err) {
			// Another writer got in since the store's last append (or an
			// earlier attempt of this one was stored): check each
			// aggregate's version instead.
			fast = false
			s.tail.lost()
			expectSubjects(msgs)
			seq, err = s.publish(ctx, msgs, &dupAt)
		}
		// A clustered stream refuses an expected-sequence check with the
		// constant "wrong last sequence" (10164) while an earlier message
		// on the subject is still being applied, even our own whose
		// acknowledgement we already hold. Nothing was stored: try again
		// shortly; a real conflict then shows as 10071.
		for wait := time.Millisecond; inProcess(err) && wait <= 32*time.Millisecond && ctx.Err() == nil; wait *= 2 {
			<-time.After(wait)
			seq, err = s.publish(ctx, msgs, &dupAt)
		}
		if err == nil {
			first = seq
			return nil
		}
		if unclear && batchIncomplete(err) {
			// An earlier attempt of this call may be stored, or still being
			// stored, with its answer lost (a timeout on a slow disk):
			// JetStream then drops the retried messages as duplicates and
			// calls the batch incomplete. Read the batch's last message
			// back; until it shows, the outcome is unknown (retried, then
			// ErrUnavailable), never a refusal.
			if seq, ok := s.storedBatch(ctx, msgs); ok {
				first = seq
				return nil
			}
			return fmt.Errorf("append: an earlier attempt of this batch may still be stored (%s)", err.Error())
		}
		dup, err := classify(err)
		if dup {
			first = 0
			return nil
		}
		unclear = true
		return err
	})
	if err == nil && first == 0 && dupAt > 0 {
		err = s.checkDuplicate(ctx, msgs[0], dupAt)
	}
	return first, err
}

func batchIncomplete(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstreamext.JSErrCodeBatchPublishIncomplete
}

// storedBatch reports whether the atomic batch msgs is stored, by the ID of
// the last message on its last subject, and the sequence of its first
// message (a batch is stored contiguously).
func (s *Store) storedBatch(ctx context.Context, msgs []*nats.Msg) (uint64, bool) {
	last := msgs[len(msgs)-1]
	m, err := s.stream.GetLastMsgForSubject(ctx, last.Subject)
	if err != nil || header(m.Header, HeaderMsgID) != header(last.Header, HeaderMsgID) || m.Sequence < uint64(len(msgs)) {
		return 0, false
	}
	return m.Sequence - uint64(len(msgs)) + 1, true
}

// checkDuplicate tells a retry (the event stored at seq is on m's subject)
// from a command ID reused on another aggregate (it is not).
func (s *Store) checkDuplicate(ctx context.Context, m *nats.Msg, seq uint64) error {
	var stored *jetstream.RawStreamMsg
	err := s.retry(ctx, "get duplicate", func(ctx context.Context) error {
		var err error
		stored, err = s.stream.GetMsg(ctx, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("append: check the duplicate at sequence %d: %w", seq, err)
	}
	if stored.Subject == m.Subject {
		return nil
	}
	what := "an event"
	if name := header(stored.Header, HeaderCommand); name != "" {
		what = "an event of " + name
	}
	return &domain.Error{Op: "append", Kind: domain.ErrConflict, Err: handling.ErrCommandIDReused, Problems: []domain.Problem{{
		Field: "command_id", Reason: fmt.Sprintf("command ID %s was first used on %s: %s with the same event ID is stored there at sequence %d; send this command with a new ID",
			header(m.Header, HeaderCommandID), stored.Subject, what, seq)}}}
}

// publish sends msgs; a lone message the server deduplicated returns 0 and
// sets *dupAt to the sequence of the message stored before under its ID.
func (s *Store) publish(ctx context.Context, msgs []*nats.Msg, dupAt *uint64) (uint64, error) {
	if len(msgs) == 1 {
		ack, err := s.js.PublishMsg(ctx, msgs[0], jetstream.WithRetryAttempts(0))
		if err != nil {
			return 0, err
		}
		if ack.Duplicate {
			*dupAt = ack.Sequence
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

func wrongLast(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

func inProcess(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// classify sorts a publish error: a concurrency conflict becomes a domain
// ErrConflict, a duplicate means "already stored"; anything else is
// returned for retry to judge (transient or final).
func classify(err error) (duplicate bool, _ error) {
	if errors.Is(err, nats.ErrMaxPayload) {
		// Our own size check passed, so the server's limit is lower than
		// the one it announced to this connection (a cluster of servers
		// configured differently): as final as the check itself.
		return false, &domain.Error{Op: "append", Kind: domain.ErrTooLarge, Problems: []domain.Problem{{
			Reason: "an event is over the NATS server's max_payload: " + err.Error()}}, Err: err}
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false, err
	}
	switch apiErr.ErrorCode {
	case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
		return false, &domain.Error{Op: "append", Kind: domain.ErrConflict, Problems: []domain.Problem{{
			Field: "aggregate", Reason: "another command changed the aggregate since it was read (" + apiErr.Description + ")"}}, Err: err}
	case jetstreamext.JSErrCodeBatchPublishDuplicateMsgID:
		return true, nil
	}
	return false, fmt.Errorf("append: %w", err)
}

// errIncomplete: a batched direct get gave neither a message nor "no
// messages", which is how a timed-out batch looks.
var errIncomplete = errors.New("batched get ended early")

// Load returns the events of one aggregate: it walks back from the
// subject's last message with direct gets by sequence (loadback.go), and
// reads forward with batched direct gets when the walk cannot tell.
// Messages on the aggregate's subject that are not events (see decode) are
// left out of the events but count for the version: the version is the
// sequence of the last message on the subject, which is what the store's
// expected-sequence check compares with, so the aggregate stays writable.
func (s *Store) Load(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error) {
	var out []events.Envelope
	var version uint64
	err := s.retry(ctx, "load", func(ctx context.Context) error {
		var err error
		out, version, err = s.load(ctx, ref)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, version, nil
}

func (s *Store) load(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error) {
	switch loadPath {
	case loadGetBatch:
		return s.loadGetBatch(ctx, ref)
	case loadBackward:
		out, last, ok, err := s.loadBackward(ctx, ref)
		if err != nil || ok {
			return out, last, err
		}
	}
	const batch = 256
	subject := ref.Subject()
	var out []events.Envelope
	next, last := uint64(1), uint64(0)
	for {
		pending := uint64(0)
		err := s.gets.getBatch(ctx, subject, next, batch, func(m rawMsg) error {
			if e, err := decode(s.cfg.Registry, m.subject, m.seq, m.header, m.data); err == nil {
				out = append(out, e)
			} else if _, ok := events.AsQuarantined(err); !ok {
				return permanent{err}
			}
			next, last, pending = m.seq+1, m.seq, m.pending
			return nil
		})
		switch {
		case errors.Is(err, errNoMessages):
			return out, last, nil
		case err != nil:
			return nil, 0, fmt.Errorf("load %s: %w", subject, err)
		case pending == 0:
			return out, last, nil
		}
		// More to read: the batch was full or capped.
	}
}

// loadGetBatch is load with jetstreamext.GetBatch (a subscription per
// request), kept for the benchmark that compares the two.
func (s *Store) loadGetBatch(ctx context.Context, ref events.Ref) ([]events.Envelope, uint64, error) {
	const batch = 256
	subject := ref.Subject()
	var out []events.Envelope
	next, last := uint64(1), uint64(0)
	for {
		it, err := jetstreamext.GetBatch(ctx, s.js, s.cfg.Stream, batch,
			jetstreamext.GetBatchSubject(subject), jetstreamext.GetBatchSeq(next))
		if err != nil {
			return nil, 0, fmt.Errorf("load %s: %w", subject, err)
		}
		n, empty := 0, false
		pending := uint64(0)
		for msg, err := range it {
			if errors.Is(err, jetstreamext.ErrNoMessages) {
				empty = true
				break
			}
			if errors.Is(err, jetstreamext.ErrBatchUnsupported) {
				// A status reply without Nats-Num-Pending: "no
				// responders" during an election (the version was
				// checked at Open).
				return nil, 0, fmt.Errorf("load %s: %w", subject, nats.ErrNoResponders)
			}
			if err != nil {
				return nil, 0, fmt.Errorf("load %s: %w", subject, err)
			}
			if e, err := decode(s.cfg.Registry, msg.Subject, msg.Sequence, msg.Header, msg.Data); err == nil {
				out = append(out, e)
			} else if _, ok := events.AsQuarantined(err); !ok {
				return nil, 0, permanent{err}
			}
			n++
			next, last = msg.Sequence+1, msg.Sequence
			pending, _ = strconv.ParseUint(msg.Header.Get("Nats-Num-Pending"), 10, 64)
		}
		switch {
		case n == 0 && !empty:
			// Neither a message nor "no messages": the batch timed out
			// (its iterator then ends without an error).
			return nil, 0, fmt.Errorf("load %s: %w", subject, errIncomplete)
		case n == 0 || pending == 0:
			return out, last, nil
		}
		// More to read: the batch was full, capped or cut short.
	}
}

// Version returns the sequence of the last event of one aggregate (0 if it
// has none) with one direct get of its subject's last message.
func (s *Store) Version(ctx context.Context, ref events.Ref) (uint64, error) {
	var seq uint64
	err := s.retry(ctx, "version", func(ctx context.Context) error {
		m, err := s.stream.GetLastMsgForSubject(ctx, ref.Subject())
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			seq = 0
			return nil
		}
		if err != nil {
			return err
		}
		seq = m.Sequence
		return nil
	})
	return seq, err
}

// LastSequence returns the stream's last sequence.
func (s *Store) LastSequence(ctx context.Context) (uint64, error) {
	var last uint64
	err := s.retry(ctx, "stream info", func(ctx context.Context) error {
		info, err := s.stream.Info(ctx)
		if err != nil {
			return err
		}
		last = info.State.LastSeq
		return nil
	})
	return last, err
}
