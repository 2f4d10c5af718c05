package peers

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// Landrelease is landrelease's engine as `landrelease serve` wires it: the
// embedded nats-server with SyncAlways (the default), the JetStream store,
// group commit in front of it and the command handler with its state cache
// warmed from the history. A command is RecordEvidence, whose
// EvidenceRecorded event is EventJSONBytes of JSON.
type Landrelease struct {
	dir     string
	srv     *lrjs.Embedded
	nc      *nats.Conn
	store   *lrjs.Store
	group   *handling.GroupCommit
	handler *handling.Handler
	refs    []events.Ref
	ids     []uuid.UUID
	on      events.Date
}

// OpenLandrelease starts an embedded server with its data under dir.
func OpenLandrelease(ctx context.Context, dir string) (*Landrelease, error) {
	l := &Landrelease{dir: dir, on: events.MustDate(observedOn)}
	cfg := lrjs.DefaultEmbeddedConfig(filepath.Join(dir, "landrelease"))
	if !cfg.SyncAlways {
		return nil, errors.New("the embedded server's default is no longer SyncAlways: the comparison would not be durable")
	}
	var err error
	if l.srv, err = lrjs.StartEmbedded(cfg); err != nil {
		return nil, err
	}
	if l.nc, err = l.srv.Connect(); err != nil {
		l.Close()
		return nil, err
	}
	if l.store, err = lrjs.Open(ctx, l.nc, lrjs.DefaultConfig()); err != nil {
		l.Close()
		return nil, err
	}
	if err := l.startEngine(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// startEngine (re)creates the group commit and the handler over the store
// and warms the handler, as the engine does when it starts.
func (l *Landrelease) startEngine(ctx context.Context) error {
	if l.group != nil {
		l.group.Close()
	}
	hc := handling.DefaultHandlerConfig()
	gc := handling.DefaultGroupCommitConfig()
	gc.MaxEvents = hc.MaxBatchEvents
	var err error
	if l.group, err = handling.NewGroupCommit(l.store, gc); err != nil {
		return err
	}
	if l.handler, err = handling.NewHandler(l.group, hc); err != nil {
		return err
	}
	if err := l.handler.Warm(ctx); err != nil {
		return err
	}
	// Its rows measure a started engine: Warm's scan of the seeded history
	// runs in the background, and commands met during it wait for it or
	// look their aggregate up in the store (the cold start is a row of
	// landrelease bench, not of this table).
	return l.handler.WaitWarm(ctx)
}

func (l *Landrelease) Name() string { return "landrelease" }

// Seed registers one area per ID with the bulk path (HandleBatch), then
// restarts the handler so that it warms its cache from the stored history.
func (l *Landrelease) Seed(ctx context.Context, ids []uuid.UUID) error {
	l.ids = ids
	l.refs = make([]events.Ref, len(ids))
	envs := make([]domain.CommandEnvelope, len(ids))
	for i, id := range ids {
		l.refs[i] = events.Ref{Country: "KH", Kind: events.KindArea, ID: id}
		envs[i] = domain.CommandEnvelope{Actor: "bench", Command: domain.RegisterSuspectedArea{
			AreaID: id, Province: "Battambang", Hazard: "AP", SizeM2: 10_000,
			RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS", LandUse: "AGRICULTURE",
		}}
	}
	for i, o := range l.handler.HandleBatch(ctx, envs, nil) {
		if o.Err != nil {
			return fmt.Errorf("register area %d: %w", i, o.Err)
		}
	}
	return l.startEngine(ctx)
}

func (l *Landrelease) Command(ctx context.Context, agg int, n int64) (int, error) {
	ev := NewEvidence(l.ids[agg], n)
	_, err := l.handler.Handle(ctx, domain.CommandEnvelope{Actor: "bench", Command: domain.RecordEvidence{
		AreaID: l.ids[agg], Kind: events.EvidenceKind(ev.Kind), ObservedOn: l.on,
		Description: ev.Description, Reference: ev.Reference,
	}})
	return 0, err // the handler retries conflicts itself; see Conflicts
}

// Conflicts returns how many appends met a concurrent write so far.
func (l *Landrelease) Conflicts() int64 { return l.handler.Conflicts() }

// GroupStats returns how many store appends carried how many writes so far.
func (l *Landrelease) GroupStats() (appends, writes int64) { return l.group.Stats() }

// Replay reads the whole stream with store.Replay, decoding every message
// into an events.Envelope, and folds a counter.
func (l *Landrelease) Replay(ctx context.Context) (int, error) {
	var n, evidence int
	err := l.store.Replay(ctx, 1, func(e events.Envelope) error {
		n++
		if _, ok := e.Data.(events.EvidenceRecorded); ok {
			evidence++
		}
		return nil
	})
	if err == nil && evidence == 0 {
		err = errors.New("replay folded no EvidenceRecorded event")
	}
	return n, err
}

// Load reads one aggregate from the stream (batched direct gets by
// subject), bypassing the handler's cache.
func (l *Landrelease) Load(ctx context.Context, agg int) (int, error) {
	envs, _, err := l.store.Load(ctx, l.refs[agg])
	return len(envs), err
}

func (l *Landrelease) Close() error {
	if l.group != nil {
		l.group.Close()
	}
	if l.nc != nil {
		l.nc.Close()
	}
	if l.srv != nil {
		l.srv.Close()
	}
	return nil
}

// RawSyncPublisher publishes, on the same embedded server, messages shaped
// like the command path's (same headers, an EventJSONBytes body, the
// expected-subject-sequence header) one synchronous publish at a time, to a
// stream of its own with the history stream's configuration.
type RawSyncPublisher struct {
	js jetstream.JetStream
	nc *nats.Conn
}

const rawStream = "RAWBENCH"

// The raw stream's subjects: the engine's NATS identity may publish to
// lr.> (the history stream's), lrcmd.> and lrreply.> only
// (lrjs.EnginePermissions); the benchmark runs no command bus, so the
// command work queue's lrcmd.> is free for a stream of its own.
const (
	rawSubjectPrefix = "lrcmd.raw."
	rawSubjects      = rawSubjectPrefix + ">"
)

// RawSync returns the raw publisher on l's server.
func (l *Landrelease) RawSync(ctx context.Context) (*RawSyncPublisher, error) {
	sc := lrjs.StreamConfig(lrjs.DefaultConfig())
	sc.Name, sc.Description, sc.Subjects = rawStream, "bench: raw synchronous publish", []string{rawSubjects}
	js := l.store.JetStream()
	if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
		return nil, err
	}
	return &RawSyncPublisher{js: js, nc: l.nc}, nil
}

// Publish sends one message to a new subject expecting it empty.
func (r *RawSyncPublisher) Publish(ctx context.Context, n int64) error {
	m, err := rawMsg(n)
	if err != nil {
		return err
	}
	_, err = r.js.PublishMsg(ctx, m, jetstream.WithRetryAttempts(0))
	return err
}

// PublishBatch sends size such messages as one atomic batch, as group
// commit does with the writes of size concurrent commands.
func (r *RawSyncPublisher) PublishBatch(ctx context.Context, size int, n func() int64) error {
	msgs := make([]*nats.Msg, size)
	for i := range msgs {
		var err error
		if msgs[i], err = rawMsg(n()); err != nil {
			return err
		}
	}
	_, err := jetstreamext.PublishMsgBatch(ctx, r.js, msgs)
	return err
}

// PublishAsync sends count such messages with asynchronous publishes,
// keeping inFlight unacknowledged at a time (each acknowledged only once
// the server has synced it to disk, under SyncAlways): the ceiling of
// commands pipelined over one connection at that concurrency. It returns
// each message's latency, publish to acknowledgement.
func (r *RawSyncPublisher) PublishAsync(ctx context.Context, count, inFlight int, n func() int64) ([]time.Duration, error) {
	js, err := jetstream.New(r.nc, jetstream.WithPublishAsyncMaxPending(inFlight+1))
	if err != nil {
		return nil, err
	}
	type sent struct {
		f  jetstream.PubAckFuture
		at time.Time
	}
	slots := make(chan struct{}, inFlight)
	futures := make(chan sent, inFlight)
	lat := make([]time.Duration, 0, count)
	var ackErr error
	acked := make(chan struct{})
	go func() { // acknowledgements come back in publish order on one stream
		defer close(acked)
		for s := range futures {
			select {
			case <-s.f.Ok():
			case err := <-s.f.Err():
				if ackErr == nil {
					ackErr = err
				}
			case <-ctx.Done():
				if ackErr == nil {
					ackErr = ctx.Err()
				}
			}
			lat = append(lat, time.Since(s.at))
			<-slots
		}
	}()
	for range count {
		m, err := rawMsg(n())
		if err != nil {
			close(futures)
			<-acked
			return nil, err
		}
		slots <- struct{}{}
		at := time.Now()
		f, err := js.PublishMsgAsync(m, jetstream.WithRetryAttempts(0))
		if err != nil {
			close(futures)
			<-acked
			return nil, err
		}
		futures <- sent{f, at}
	}
	close(futures)
	<-acked
	return lat, ackErr
}

func rawMsg(n int64) (*nats.Msg, error) {
	id := uuid.Must(uuid.NewV7())
	ev := NewEvidence(id, n)
	data, err := events.Encode(events.EvidenceRecorded{AreaID: id, Evidence: events.Evidence{
		Kind: events.EvidenceKind(ev.Kind), ObservedOn: events.MustDate(ev.ObservedOn), Description: ev.Description, Reference: ev.Reference}})
	if err != nil {
		return nil, err
	}
	s := id.String()
	now := time.Now().UTC()
	m := &nats.Msg{Subject: rawSubjectPrefix + "kh.area." + s, Data: data, Header: nats.Header{
		lrjs.HeaderMsgID: {s}, lrjs.HeaderEventType: {events.TypeEvidenceRecorded}, lrjs.HeaderSchema: {"1"},
		lrjs.HeaderOccurredOn: {ev.ObservedOn}, lrjs.HeaderRecordedAt: {now.Format(time.RFC3339Nano)},
		lrjs.HeaderActor: {"bench"}, lrjs.HeaderCommandID: {s}, lrjs.HeaderCorrelationID: {s}, lrjs.HeaderCausationID: {s},
		lrjs.HeaderExpectedSeq: {strconv.Itoa(0)},
	}}
	return m, nil
}
