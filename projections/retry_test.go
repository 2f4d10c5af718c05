package projections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// FollowRetrying rides out a read-model store that refuses every commit for
// a while, and one that stores commits but loses the answers: it reports
// each failure, starts again with backoff, resumes from the stored
// checkpoint, and the store ends equal to a rebuild: no event skipped, none
// counted twice. (cmd/landrelease's
// TestProjectionsRideOutPostgreSQLOutage does the same against PostgreSQL
// behind a loopback proxy that is really cut.)
func TestFollowRetryingResumesFromCheckpoint(t *testing.T) {
	src := &liveSource{notify: make(chan struct{})}
	store := newMemStore()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var failures atomic.Int64
	var committed atomic.Uint64
	done := make(chan error, 1)
	follower := mustRunner(t, store, 7)
	go func() {
		done <- FollowRetrying(ctx, follower, src, Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
			func(seq uint64) { committed.Store(seq) },
			func(err error, attempt int) { failures.Add(1) })
	}()
	areas := make([]uuid.UUID, 5)
	for i := range areas {
		areas[i] = uuid.Must(uuid.NewV7())
		src.add(registered(areas[i]))
	}
	for i := range 45 {
		src.add(reduced(areas[i%len(areas)]))
	}
	waitUntil(t, "checkpoint 50", func() bool { return committed.Load() == 50 })

	store.down.Store(true)
	for i := range 50 {
		src.add(reduced(areas[i%len(areas)]))
	}
	waitUntil(t, "three failed attempts", func() bool { return failures.Load() >= 3 })
	if got := store.state().Sequence; got != 50 {
		t.Fatalf("checkpoint moved to %d while the store refused commits", got)
	}
	store.down.Store(false)
	for i := range 50 {
		src.add(reduced(areas[i%len(areas)]))
	}
	waitUntil(t, "checkpoint 150", func() bool { return store.state().Sequence == 150 })

	// Commits that are stored but reported as failed (the answer lost):
	// the runner reloads what the store holds and counts nothing twice.
	store.loseAnswers.Store(true)
	before := failures.Load()
	for i := range 20 {
		src.add(reduced(areas[i%len(areas)]))
	}
	waitUntil(t, "a commit whose answer was lost", func() bool { return failures.Load() > before })
	store.loseAnswers.Store(false)
	for i := range 30 {
		src.add(reduced(areas[i%len(areas)]))
	}
	waitUntil(t, "checkpoint 200", func() bool { return store.state().Sequence == 200 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("FollowRetrying returned %v after ctx ended, want nil", err)
	}

	fresh := newMemStore()
	if err := mustRunner(t, fresh, 1000).Rebuild(context.Background(), src, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := store.state(), fresh.state(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the outage the read model differs from a rebuild:\n got %+v\nwant %+v", got, want)
	}
	t.Logf("%d failed attempts while the store was down", failures.Load())
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	wait := 10 * time.Minute // until shortly before the test binary's deadline: a busy machine is slow, not wrong
	if dl, ok := t.Deadline(); ok {
		wait = time.Until(dl) * 9 / 10
	}
	deadline := time.After(wait)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case <-deadline:
			t.Fatalf("no %s after %s", what, wait)
		case <-tick.C:
		}
	}
}

func registered(id uuid.UUID) events.Event {
	return events.AreaRegistered{AreaID: id, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 1000,
		RegisteredOn: events.MustDate("2020-01-15"), Source: "BLS"}
}

func reduced(id uuid.UUID) events.Event {
	return events.AreaReduced{AreaID: id, On: events.MustDate("2021-03-01"), SizeM2: 1, Operator: "HALO"}
}

// liveSource is an event history in memory that can be followed.
type liveSource struct {
	mu     sync.Mutex
	envs   []events.Envelope
	notify chan struct{} // closed and replaced on each add
}

func (s *liveSource) add(e events.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var id uuid.UUID
	switch d := e.(type) {
	case events.AreaRegistered:
		id = d.AreaID
	case events.AreaReduced:
		id = d.AreaID
	}
	s.envs = append(s.envs, events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: e.EventType(), Schema: e.SchemaVersion(),
		Aggregate: events.Ref{Country: "KH", Kind: events.KindArea, ID: id}, Sequence: uint64(len(s.envs) + 1),
		OccurredOn: events.MustDate("2021-03-01"), RecordedAt: time.Unix(1_600_000_000, 0).UTC(), BatchEnd: true, Data: e})
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *liveSource) from(seq uint64) ([]events.Envelope, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < 1 {
		seq = 1
	}
	if int(seq) > len(s.envs) {
		return nil, s.notify
	}
	return slices.Clone(s.envs[seq-1:]), s.notify
}

func (s *liveSource) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	envs, _ := s.from(from)
	for _, e := range envs {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *liveSource) Follow(ctx context.Context, from uint64, fn func(e events.Envelope, pending uint64) error) error {
	for {
		envs, more := s.from(from)
		for i, e := range envs {
			if err := fn(e, uint64(len(envs)-i-1)); err != nil {
				return err
			}
			from = e.Sequence + 1
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-more:
		}
	}
}

// memStore keeps the projections in maps; while down is set every Load,
// Commit and Rebuild fails as a database that cannot be reached would;
// while loseAnswers is set, commits are stored but reported as failed.
type memStore struct {
	down        atomic.Bool
	loseAnswers atomic.Bool
	mu          sync.Mutex
	areas       map[uuid.UUID]AreaRow
	deployments map[uuid.UUID]DeploymentRow
	plans       map[WorkPlanKey]WorkPlanRow
	stats       map[StatKey]StatRow
	seq         uint64
	version     int
}

var errDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func newMemStore() *memStore {
	return &memStore{areas: map[uuid.UUID]AreaRow{}, deployments: map[uuid.UUID]DeploymentRow{},
		plans: map[WorkPlanKey]WorkPlanRow{}, stats: map[StatKey]StatRow{}}
}

func (m *memStore) state() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := State{Sequence: m.seq, Version: m.version}
	for _, a := range m.areas {
		st.Areas = append(st.Areas, a)
	}
	for _, d := range m.deployments {
		st.Deployments = append(st.Deployments, d)
	}
	for _, p := range m.plans {
		st.WorkPlans = append(st.WorkPlans, p)
	}
	for _, s := range m.stats {
		st.Stats = append(st.Stats, s)
	}
	slices.SortFunc(st.Areas, func(a, b AreaRow) int { return cmp.Compare(a.ID.String(), b.ID.String()) })
	slices.SortFunc(st.Deployments, func(a, b DeploymentRow) int { return cmp.Compare(a.ID.String(), b.ID.String()) })
	slices.SortFunc(st.WorkPlans, func(a, b WorkPlanRow) int {
		return cmp.Or(cmp.Compare(a.Province, b.Province), cmp.Compare(a.Year, b.Year))
	})
	slices.SortFunc(st.Stats, func(a, b StatRow) int { return cmp.Compare(fmt.Sprint(a.StatKey), fmt.Sprint(b.StatKey)) })
	return st
}

func (m *memStore) Load(ctx context.Context) (State, error) {
	if m.down.Load() {
		return State{}, errDown
	}
	return m.state(), nil
}

func (m *memStore) Commit(ctx context.Context, c Changes) error {
	if m.down.Load() {
		return errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.Sequence <= m.seq {
		return fmt.Errorf("commit at %d does not move the checkpoint %d forward", c.Sequence, m.seq)
	}
	m.apply(c)
	if m.loseAnswers.Load() {
		return errors.New("read tcp 127.0.0.1:5432: connection reset by peer")
	}
	return nil
}

func (m *memStore) apply(c Changes) {
	for _, a := range c.Areas {
		if a.Geometry == nil {
			a.Geometry = m.areas[a.ID].Geometry
		}
		m.areas[a.ID] = a
	}
	for _, d := range c.Deployments {
		m.deployments[d.ID] = d
	}
	for _, p := range c.WorkPlans {
		m.plans[WorkPlanKey{p.Province, p.Year}] = p
	}
	for _, s := range c.Stats {
		row, ok := m.stats[s.StatKey]
		if !ok {
			row = StatRow{StatKey: s.StatKey}
		}
		row.add(s)
		m.stats[s.StatKey] = row
	}
	m.seq, m.version = c.Sequence, NationalVersion
}

func (m *memStore) Rebuild(ctx context.Context, fill func(commit func(Changes) error) error) error {
	if m.down.Load() {
		return errDown
	}
	shadow := newMemStore()
	if err := fill(func(c Changes) error { shadow.apply(c); return nil }); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.areas, m.deployments, m.plans, m.stats, m.seq, m.version =
		shadow.areas, shadow.deployments, shadow.plans, shadow.stats, shadow.seq, shadow.version
	return nil
}
