// Package projectiontest is the conformance suite every projections.Store
// passes (adapters/sqlstore on SQLite and on PostgreSQL, and any store
// written later): commits round-trip every row type, are atomic and move the
// checkpoint; statistics add up; a rebuild swaps in one step and an error
// inside it changes nothing. It imports only the standard library, uuid,
// events and projections, never an adapter.
package projectiontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
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

var (
	day0 = events.MustDate("2019-02-11")
	day1 = events.MustDate("2019-07-30")
	day2 = events.MustDate("2020-01-15")
	// Whole microseconds, in and out of daylight saving nowhere: UTC.
	at0 = time.Date(2019, 2, 12, 8, 30, 0, 123456000, time.UTC)
	at1 = time.Date(2019, 8, 1, 14, 5, 9, 654321000, time.UTC)
)

// geometry is a small GeoJSON polygon.
func geometry(x float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,13.1],[%g,13.1],[%g,13.2],[%g,13.1]]]}`, x, x+0.01, x, x))
}

// area returns a row with every field set, distinct where it can be, so a
// column mix-up cannot go unnoticed.
func area(seq uint64, province string, geom json.RawMessage) projections.AreaRow {
	return projections.AreaRow{
		ID: uuid.New(), Province: province, District: "Kamrieng", Commune: "Boeung Reang", Village: "O Da",
		Hazard: "AP", Classification: "CHA", Status: "CHA", Source: "BLS", SizeM2: 120_000, RemainingM2: 80_000,
		CancelledNTSM2: 11_000, CancelledDeskM2: 2_000, ReducedM2: 13_000, ClearedM2: 14_000, ReopenedM2: 5_000,
		EvidenceCount: 3, DirectEvidence: 2, LandUse: "AGRICULTURE", CasualtiesLast5y: 4, CommunityRequest: true,
		APMinesDestroyed: 21, ATMinesDestroyed: 2, ERWDestroyed: 17, Reclassifications: 1, LastOperator: "CMAC",
		Geometry: geom, RegisteredOn: day0, LastActivityOn: day1, ReleasedOn: day2,
		FirstRecordedAt: at0, LastRecordedAt: at1, LastSequence: seq,
	}
}

func deployment(seq uint64) projections.DeploymentRow {
	return projections.DeploymentRow{
		ID: uuid.New(), Operator: "HALO", Province: "Pailin", Method: "CLEARANCE", Deminers: 120, Women: 45,
		From: day0, To: day2, ProductivityM2PerDeminerDay: 31.25, WorkingDaysPerYear: 220,
		AnnualCostUSD: 2_400_000, LastSequence: seq,
	}
}

func statRow(year int, province, method string, m2 int64) projections.StatRow {
	return projections.StatRow{
		StatKey: projections.StatKey{Year: year, Province: province, Operator: "CMAC", Method: method},
		AreaM2:  m2, Events: 1, EvidenceM2: 3, EvidenceAreas: 4, APMinesDestroyed: 5, ATMinesDestroyed: 6,
		ERWDestroyed: 7, Deminers: 8, Women: 9,
	}
}

func auditRow(seq uint64, a projections.AreaRow) projections.AuditRow {
	return projections.AuditRow{
		Sequence: seq, EventID: uuid.New(), AreaID: a.ID, Province: a.Province, Action: "CANCELLED",
		OccurredOn: day1, RecordedAt: at1, Actor: "cmaa.analyst", CommandID: uuid.New(), FromClass: "SHA",
		ToClass: "CHA", SizeM2: 11_000, Method: "NTS", Reason: "no evidence of contamination",
		Evidence: []events.Evidence{
			{Kind: "ACCIDENT", ObservedOn: day0, Description: "cow killed", Reference: "MIS-77"},
			{Kind: "DEVICE_FOUND", ObservedOn: day1},
		},
		EvidenceCount: 2, Flags: []string{projections.FlagDeskCancellation, projections.FlagCancelledCHA},
	}
}

// fullChanges returns changes with every row type, up to sequence seq.
func fullChanges(seq uint64) projections.Changes {
	a1 := area(seq-3, "Battambang", geometry(102.9))
	a2 := area(seq-2, "Pailin", nil)
	a2.Status, a2.Classification, a2.CommunityRequest, a2.ReleasedOn = "SHA", "SHA", false, events.Date{}
	return projections.Changes{
		Areas:       []projections.AreaRow{a1, a2},
		Deployments: []projections.DeploymentRow{deployment(seq - 4)},
		Pledges: []projections.PledgeRow{{ID: uuid.New(), Donor: "Japan", Year: 2020, AmountUSD: 1_500_000,
			Operator: "CMAC", Province: "Battambang", Sequence: seq - 5}},
		Shortfalls: []projections.ShortfallRow{{Sequence: seq - 6, Year: 2021, AmountUSD: 300_000,
			Reason: "pledge not renewed", Operator: "HALO", Province: "Pailin", RecordedOn: day2}},
		Deadlines: []projections.DeadlineRow{{Sequence: seq - 7, Country: "KH", Deadline: events.MustDate("2025-12-31"),
			PreviousDeadline: events.MustDate("2019-12-31"), Reason: "extension granted",
			Milestones: []events.Milestone{{Year: 2020, ReleaseM2: 100_000_000}, {Year: 2021, ReleaseM2: 110_000_000}},
			SetOn:      day1}},
		WorkPlans: []projections.WorkPlanRow{{Province: "Battambang", Year: 2020, Revision: 2,
			Status: projections.WorkPlanEndorsed, ApprovedBy: "PMAC Battambang", EndorsedBy: "CMAA",
			AreaIDs: []uuid.UUID{a2.ID, a1.ID}, LastSequence: seq - 1}},
		Stats: []projections.StatRow{
			statRow(2019, "Battambang", projections.MethodNTS, 11_000),
			statRow(2019, "Pailin", projections.MethodClearance, 14_000),
		},
		Audit:    []projections.AuditRow{auditRow(seq-8, a1), auditRow(seq, a2)},
		Sequence: seq,
	}
}

func mustCommit(t *testing.T, s projections.Store, c projections.Changes) {
	t.Helper()
	if err := s.Commit(context.Background(), c); err != nil {
		t.Fatalf("Commit up to %d: %v", c.Sequence, err)
	}
}

func mustLoad(t *testing.T, s projections.Store) projections.State {
	t.Helper()
	st, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return normalState(st)
}

// want is the State a store must load after the given commits, computed
// the way the fold sees it: rows replaced by ID, statistics added up.
func want(commits ...projections.Changes) projections.State {
	areas := map[uuid.UUID]projections.AreaRow{}
	deps := map[uuid.UUID]projections.DeploymentRow{}
	plans := map[projections.WorkPlanKey]projections.WorkPlanRow{}
	stats := map[projections.StatKey]projections.StatRow{}
	var st projections.State
	for _, c := range commits {
		for _, a := range c.Areas {
			areas[a.ID] = a
		}
		for _, d := range c.Deployments {
			deps[d.ID] = d
		}
		for _, w := range c.WorkPlans {
			plans[projections.WorkPlanKey{Province: w.Province, Year: w.Year}] = w
		}
		for _, s := range c.Stats {
			sum := stats[s.StatKey]
			sum.StatKey = s.StatKey
			sum.AreaM2 += s.AreaM2
			sum.Events += s.Events
			sum.EvidenceM2 += s.EvidenceM2
			sum.EvidenceAreas += s.EvidenceAreas
			sum.APMinesDestroyed += s.APMinesDestroyed
			sum.ATMinesDestroyed += s.ATMinesDestroyed
			sum.ERWDestroyed += s.ERWDestroyed
			sum.Deminers += s.Deminers
			sum.Women += s.Women
			stats[s.StatKey] = sum
		}
		st.Sequence = c.Sequence
		st.Version = projections.NationalVersion
	}
	for _, a := range areas {
		st.Areas = append(st.Areas, a)
	}
	for _, d := range deps {
		st.Deployments = append(st.Deployments, d)
	}
	for _, w := range plans {
		st.WorkPlans = append(st.WorkPlans, w)
	}
	for _, s := range stats {
		st.Stats = append(st.Stats, s)
	}
	return normalState(st)
}

// normalState sorts a State and drops what Load need not return (geometry)
// and what does not count (empty versus nil lists, time zones).
func normalState(st projections.State) projections.State {
	for i := range st.Areas {
		a := &st.Areas[i]
		a.Geometry = nil
		a.FirstRecordedAt, a.LastRecordedAt = utc(a.FirstRecordedAt), utc(a.LastRecordedAt)
	}
	slices.SortFunc(st.Areas, func(a, b projections.AreaRow) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	slices.SortFunc(st.Deployments, func(a, b projections.DeploymentRow) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	slices.SortFunc(st.WorkPlans, func(a, b projections.WorkPlanRow) int {
		return strings.Compare(fmt.Sprintf("%s/%06d", a.Province, a.Year), fmt.Sprintf("%s/%06d", b.Province, b.Year))
	})
	for i := range st.WorkPlans {
		if len(st.WorkPlans[i].AreaIDs) == 0 {
			st.WorkPlans[i].AreaIDs = nil
		}
	}
	slices.SortFunc(st.Stats, func(a, b projections.StatRow) int {
		return strings.Compare(fmt.Sprintf("%06d/%s/%s/%s", a.Year, a.Province, a.Operator, a.Method),
			fmt.Sprintf("%06d/%s/%s/%s", b.Year, b.Province, b.Operator, b.Method))
	})
	if len(st.Areas) == 0 {
		st.Areas = nil
	}
	if len(st.Deployments) == 0 {
		st.Deployments = nil
	}
	if len(st.WorkPlans) == 0 {
		st.WorkPlans = nil
	}
	if len(st.Stats) == 0 {
		st.Stats = nil
	}
	return st
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func assertState(t *testing.T, what string, got, want projections.State) {
	t.Helper()
	if got.Sequence != want.Sequence || got.Version != want.Version {
		t.Errorf("%s: checkpoint %d version %d, want %d version %d", what, got.Sequence, got.Version, want.Sequence, want.Version)
	}
	check := func(name string, g, w any) {
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s differ\n got: %+v\nwant: %+v", what, name, g, w)
		}
	}
	check("areas", got.Areas, want.Areas)
	check("deployments", got.Deployments, want.Deployments)
	check("work plans", got.WorkPlans, want.WorkPlans)
	check("statistics", got.Stats, want.Stats)
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

var errFill = errors.New("the event source failed")

func testRebuild(t *testing.T, s projections.Store) {
	live := fullChanges(100)
	mustCommit(t, s, live)
	before := mustLoad(t, s)

	b1, b2 := fullChanges(50), fullChanges(90)
	// The second batch updates an area of the first and adds to its stats.
	a := b1.Areas[0]
	a.RemainingM2, a.Geometry, a.LastSequence = 3, nil, 88
	b2.Areas = append(b2.Areas, a)
	b2.Stats = append(b2.Stats, b1.Stats[0])
	err := s.Rebuild(context.Background(), func(commit func(projections.Changes) error) error {
		for _, c := range []projections.Changes{b1, b2} {
			if err := commit(c); err != nil {
				return err
			}
			// Readers still see the live read model, whole.
			assertState(t, "during the rebuild", mustLoad(t, s), before)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	assertState(t, "after the rebuild", mustLoad(t, s), want(b1, b2))
	if r, ok := s.(Reader); ok {
		assertHistory(t, r, b1, b2)
		got, err := r.Area(context.Background(), a.ID)
		if err != nil || string(got.Geometry) != string(b1.Areas[0].Geometry) {
			t.Errorf("rebuilt area: geometry %s, err %v; want the geometry of its first commit %s", got.Geometry, err, b1.Areas[0].Geometry)
		}
	}
}

func testRebuildError(t *testing.T, s projections.Store) {
	mustCommit(t, s, fullChanges(100))
	before := mustLoad(t, s)
	var history []projections.AuditRow
	r, hasReader := s.(Reader)
	if hasReader {
		var err error
		if history, err = r.AuditTrail(context.Background()); err != nil {
			t.Fatalf("AuditTrail: %v", err)
		}
	}
	err := s.Rebuild(context.Background(), func(commit func(projections.Changes) error) error {
		if err := commit(fullChanges(500)); err != nil {
			return err
		}
		return errFill
	})
	if !errors.Is(err, errFill) {
		t.Fatalf("Rebuild with a failing fill: %v, want an error wrapping %v", err, errFill)
	}
	assertState(t, "after a failed rebuild", mustLoad(t, s), before)
	if hasReader {
		got, err := r.AuditTrail(context.Background())
		if err != nil || len(got) != len(history) {
			t.Errorf("after a failed rebuild: %d audit rows (err %v), want the %d there before", len(got), err, len(history))
		}
	}
	// A commit inside fill that fails makes the rebuild fail too.
	dup := fullChanges(600)
	dup.Audit = append(dup.Audit, dup.Audit[0])
	err = s.Rebuild(context.Background(), func(commit func(projections.Changes) error) error { return commit(dup) })
	if err == nil {
		t.Fatal("Rebuild whose commit fails succeeded")
	}
	assertState(t, "after a rebuild whose commit failed", mustLoad(t, s), before)
	// And the next rebuild starts from clean shadow tables.
	c := fullChanges(700)
	if err := s.Rebuild(context.Background(), func(commit func(projections.Changes) error) error { return commit(c) }); err != nil {
		t.Fatalf("Rebuild after failed ones: %v", err)
	}
	assertState(t, "after a rebuild that follows failed ones", mustLoad(t, s), want(c))
}

func testRebuildTwice(t *testing.T, s projections.Store) {
	mustCommit(t, s, fullChanges(100))
	var last projections.Changes
	for i := range 2 {
		last = fullChanges(uint64(200 + 100*i))
		if err := s.Rebuild(context.Background(), func(commit func(projections.Changes) error) error { return commit(last) }); err != nil {
			t.Fatalf("Rebuild %d: %v", i+1, err)
		}
		assertState(t, fmt.Sprintf("after rebuild %d", i+1), mustLoad(t, s), want(last))
	}
	// The rebuilt tables take commits as the first ones did.
	next := fullChanges(400)
	next.Stats = last.Stats
	mustCommit(t, s, next)
	assertState(t, "after a commit on rebuilt tables", mustLoad(t, s), want(last, next))
}
