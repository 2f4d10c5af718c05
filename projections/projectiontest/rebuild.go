package projectiontest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/landrelease/landrelease/projections"
)

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
