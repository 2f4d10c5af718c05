// Package projectiontest is the conformance suite every projections.Store
// passes (adapters/sqlstore on SQLite and on PostgreSQL, and any store
// written later): commits round-trip every row type, are atomic and move the
// checkpoint; statistics add up; a rebuild swaps in one step and an error
// inside it changes nothing. It imports only the standard library, uuid,
// events and projections, never an adapter.
package projectiontest

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/projections"
)

// Reader is what a store may offer beyond projections.Store, for the suite
// to check what Load does not return: stored geometry and the append-only
// rows. The suite checks them when the store has these methods and says so
// in the log when it has not.
type Reader interface {
	// Area returns one area with its geometry.
	Area(ctx context.Context, id uuid.UUID) (projections.AreaRow, error)
	// Pledges, Shortfalls, Deadlines and AuditTrail return every row in
	// sequence order.
	Pledges(ctx context.Context) ([]projections.PledgeRow, error)
	Shortfalls(ctx context.Context) ([]projections.ShortfallRow, error)
	Deadlines(ctx context.Context) ([]projections.DeadlineRow, error)
	AuditTrail(ctx context.Context) ([]projections.AuditRow, error)
}

// Run runs the suite. open must return a new, empty store for each call and
// register its cleanup with t.
//
// Timestamps in the suite are whole microseconds: a store may keep no finer.
func Run(t *testing.T, open func(t *testing.T) projections.Store) {
	t.Run("EmptyLoadsVersionZero", func(t *testing.T) { testEmpty(t, open(t)) })
	t.Run("RoundTripEveryRowType", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("UpsertsReplaceRows", func(t *testing.T) { testUpsert(t, open(t)) })
	t.Run("NilGeometryKeepsStoredGeometry", func(t *testing.T) { testGeometry(t, open(t)) })
	t.Run("StatisticsDeltasAddUp", func(t *testing.T) { testStatsAdd(t, open(t)) })
	t.Run("EmptyChangesMoveOnlyTheCheckpoint", func(t *testing.T) { testCheckpointOnly(t, open(t)) })
	t.Run("FailedCommitChangesNothing", func(t *testing.T) { testAtomicCommit(t, open(t)) })
	t.Run("CancelledCommitChangesNothing", func(t *testing.T) { testCancelledCommit(t, open(t)) })
	t.Run("LoadSeesWholeCommits", func(t *testing.T) { testLoadSnapshot(t, open(t)) })
	t.Run("RebuildSwapsInOneStep", func(t *testing.T) { testRebuild(t, open(t)) })
	t.Run("FailedRebuildLeavesLiveTables", func(t *testing.T) { testRebuildError(t, open(t)) })
	t.Run("RebuildTwiceThenCommit", func(t *testing.T) { testRebuildTwice(t, open(t)) })
}

func testEmpty(t *testing.T, s projections.Store) {
	st := mustLoad(t, s)
	assertState(t, "empty store", st, projections.State{})
}

func testRoundTrip(t *testing.T, s projections.Store) {
	c := fullChanges(100)
	mustCommit(t, s, c)
	assertState(t, "after one commit", mustLoad(t, s), want(c))
	r, ok := s.(Reader)
	if !ok {
		t.Logf("%T has no Reader methods: geometry, pledges, shortfalls, deadlines and audit rows not checked", s)
		return
	}
	ctx := context.Background()
	a, err := r.Area(ctx, c.Areas[0].ID)
	if err != nil {
		t.Fatalf("Area: %v", err)
	}
	a.FirstRecordedAt, a.LastRecordedAt = utc(a.FirstRecordedAt), utc(a.LastRecordedAt)
	if !reflect.DeepEqual(a, c.Areas[0]) {
		t.Errorf("Area with geometry\n got: %+v\nwant: %+v", a, c.Areas[0])
	}
	assertHistory(t, r, c)
}

// assertHistory checks the append-only rows against those committed.
func assertHistory(t *testing.T, r Reader, commits ...projections.Changes) {
	t.Helper()
	ctx := context.Background()
	var pledges []projections.PledgeRow
	var shortfalls []projections.ShortfallRow
	var deadlines []projections.DeadlineRow
	var audit []projections.AuditRow
	for _, c := range commits {
		pledges = append(pledges, c.Pledges...)
		shortfalls = append(shortfalls, c.Shortfalls...)
		deadlines = append(deadlines, c.Deadlines...)
		audit = append(audit, c.Audit...)
	}
	slices.SortFunc(pledges, func(a, b projections.PledgeRow) int { return cmpSeq(a.Sequence, b.Sequence) })
	slices.SortFunc(shortfalls, func(a, b projections.ShortfallRow) int { return cmpSeq(a.Sequence, b.Sequence) })
	slices.SortFunc(deadlines, func(a, b projections.DeadlineRow) int { return cmpSeq(a.Sequence, b.Sequence) })
	slices.SortFunc(audit, func(a, b projections.AuditRow) int { return cmpSeq(a.Sequence, b.Sequence) })

	gotP, err := r.Pledges(ctx)
	check(t, "pledges", gotP, pledges, err)
	gotS, err := r.Shortfalls(ctx)
	check(t, "shortfalls", gotS, shortfalls, err)
	gotD, err := r.Deadlines(ctx)
	check(t, "deadlines", gotD, deadlines, err)
	gotA, err := r.AuditTrail(ctx)
	for i := range gotA {
		gotA[i].RecordedAt = utc(gotA[i].RecordedAt)
	}
	check(t, "audit rows", gotA, audit, err)
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func check[T any](t *testing.T, what string, got, want []T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s differ\n got: %+v\nwant: %+v", what, got, want)
	}
}

func testUpsert(t *testing.T, s projections.Store) {
	c1 := fullChanges(100)
	mustCommit(t, s, c1)
	a := c1.Areas[0]
	a.RemainingM2, a.Status, a.ClearedM2, a.LastOperator, a.LastSequence = 0, "RELEASED", 94_000, "NPA", 105
	a.Geometry = nil
	var lifted projections.AreaRow // an access restriction lifted: its fields back to zero
	a.RestrictedSince, a.RestrictedUntil, a.RestrictionReason = lifted.RestrictedSince, lifted.RestrictedUntil, lifted.RestrictionReason
	d := c1.Deployments[0]
	d.Withdrawn, d.WithdrawReason, d.To, d.LastSequence = true, "funding ended", day1, 104
	w := c1.WorkPlans[0]
	w.Revision, w.Status, w.EndorsedBy, w.AreaIDs, w.LastSequence = 3, projections.WorkPlanApproved, "", []uuid.UUID{c1.Areas[0].ID}, 106
	w2 := projections.WorkPlanRow{Province: "Pailin", Year: 2021, Revision: 1, Status: projections.WorkPlanApproved,
		ApprovedBy: "PMAC Pailin", LastSequence: 106}
	c2 := projections.Changes{Areas: []projections.AreaRow{a}, Deployments: []projections.DeploymentRow{d},
		WorkPlans: []projections.WorkPlanRow{w, w2}, Sequence: 106}
	mustCommit(t, s, c2)
	assertState(t, "after an update", mustLoad(t, s), want(c1, c2))
}

func testGeometry(t *testing.T, s projections.Store) {
	r, ok := s.(Reader)
	if !ok {
		t.Skipf("%T has no Area method to read geometry back", s)
	}
	ctx := context.Background()
	c1 := fullChanges(100)
	mustCommit(t, s, c1)
	a := c1.Areas[0]
	a.Geometry, a.RemainingM2, a.LastSequence = nil, 1, 101
	mustCommit(t, s, projections.Changes{Areas: []projections.AreaRow{a}, Sequence: 101})
	got, err := r.Area(ctx, a.ID)
	if err != nil {
		t.Fatalf("Area: %v", err)
	}
	if string(got.Geometry) != string(c1.Areas[0].Geometry) || got.RemainingM2 != 1 {
		t.Errorf("after a commit without geometry: geometry %s, remaining %d; want the stored geometry %s and remaining 1",
			got.Geometry, got.RemainingM2, c1.Areas[0].Geometry)
	}
	a.Geometry, a.LastSequence = geometry(104.1), 102
	mustCommit(t, s, projections.Changes{Areas: []projections.AreaRow{a}, Sequence: 102})
	if got, err = r.Area(ctx, a.ID); err != nil {
		t.Fatalf("Area: %v", err)
	}
	if string(got.Geometry) != string(a.Geometry) {
		t.Errorf("after a commit with a new geometry: geometry %s, want %s", got.Geometry, a.Geometry)
	}
	// An area first committed without geometry has none.
	if got, err = r.Area(ctx, c1.Areas[1].ID); err != nil || got.Geometry != nil {
		t.Errorf("area registered without geometry: geometry %q, err %v; want none", got.Geometry, err)
	}
}

func testStatsAdd(t *testing.T, s projections.Store) {
	var commits []projections.Changes
	for i := range 3 {
		c := projections.Changes{Stats: []projections.StatRow{
			statRow(2019, "Battambang", projections.MethodNTS, 1_000*int64(i+1)),
			statRow(2020+i, "Pailin", projections.MethodTS, 7),
		}, Sequence: uint64(10 * (i + 1))}
		if i == 1 { // a correction is signed
			c.Stats = append(c.Stats, statRow(2019, "Battambang", projections.MethodCorrection, -500))
		}
		mustCommit(t, s, c)
		commits = append(commits, c)
	}
	st := mustLoad(t, s)
	assertState(t, "after three commits of deltas", st, want(commits...))
	for _, r := range st.Stats {
		if r.Method == projections.MethodNTS && (r.AreaM2 != 6_000 || r.Events != 3 || r.Women != 27) {
			t.Errorf("NTS 2019 Battambang: %+v; want area 6000, events 3, women 27", r)
		}
	}
}

func testCheckpointOnly(t *testing.T, s projections.Store) {
	c := fullChanges(100)
	mustCommit(t, s, c)
	mustCommit(t, s, projections.Changes{Sequence: 250})
	w := want(c)
	w.Sequence = 250
	assertState(t, "after empty changes", mustLoad(t, s), w)
}

func testAtomicCommit(t *testing.T, s projections.Store) {
	c1 := fullChanges(100)
	mustCommit(t, s, c1)
	before := mustLoad(t, s)

	// Rows of every kind, then an audit row whose sequence is already
	// stored: the store must refuse it and keep none of the rest.
	a := c1.Areas[0]
	a.RemainingM2, a.LastSequence = 0, 150
	c2 := fullChanges(160)
	c2.Areas = append(c2.Areas, a)
	c2.Audit = append(c2.Audit, auditRow(c1.Audit[0].Sequence, a))
	if err := s.Commit(context.Background(), c2); err == nil {
		t.Fatalf("Commit with an audit row at an already stored sequence %d succeeded", c1.Audit[0].Sequence)
	}
	assertState(t, "after a failed commit", mustLoad(t, s), before)
	if r, ok := s.(Reader); ok {
		assertHistory(t, r, c1)
	}
	// The store still works.
	c3 := fullChanges(170)
	mustCommit(t, s, c3)
	assertState(t, "after the next commit", mustLoad(t, s), want(c1, c3))
}

func testCancelledCommit(t *testing.T, s projections.Store) {
	c1 := fullChanges(100)
	mustCommit(t, s, c1)
	before := mustLoad(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Commit(ctx, fullChanges(200)); err == nil {
		t.Fatal("Commit with a cancelled context succeeded")
	}
	assertState(t, "after a cancelled commit", mustLoad(t, s), before)
}

// testLoadSnapshot commits while loading: every Load must see whole commits
// (each adds one event to one statistic and moves the checkpoint by one).
func testLoadSnapshot(t *testing.T, s projections.Store) {
	const commits = 40
	key := projections.StatKey{Year: 2019, Province: "Pailin", Operator: "CMAC", Method: projections.MethodClearance}
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= commits; i++ {
			a := area(uint64(i), "Pailin", nil)
			c := projections.Changes{Areas: []projections.AreaRow{a},
				Stats: []projections.StatRow{{StatKey: key, AreaM2: 10, Events: 1}}, Sequence: uint64(i)}
			if err := s.Commit(ctx, c); err != nil {
				errc <- err
				return
			}
		}
	}()
	for {
		st, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load while committing: %v", err)
		}
		var events int64
		for _, r := range st.Stats {
			if r.StatKey == key {
				events = r.Events
			}
		}
		if uint64(events) != st.Sequence || len(st.Areas) != int(st.Sequence) {
			t.Fatalf("Load saw part of a commit: checkpoint %d, %d events counted, %d areas", st.Sequence, events, len(st.Areas))
		}
		if st.Sequence == commits {
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("Commit: %v", err)
		default:
		}
	}
	wg.Wait()
}

// Runner is a runner on store committing every maxBatch events at most.
func Runner(t testing.TB, store projections.Store, maxBatch int) *projections.Runner {
	t.Helper()
	r, err := projections.NewRunner(store, projections.RunnerConfig{MaxBatch: maxBatch})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
