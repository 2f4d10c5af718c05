package sqlstore

import (
	"context"
	"slices"
	"testing"

	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/projections/projectiontest"
)

// A rebuild whose area buffer fills many times (each area then written in
// several transactions, the latest row last) gives the read model a live
// catch-up gives, row for row.
func TestRebuildWithAFullAreaBuffer(t *testing.T) {
	h := genHistory(3, 300)
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		ctx := context.Background()
		s := open(t)
		if err := projectiontest.Runner(t, s, 23).CatchUp(ctx, h, nil); err != nil {
			t.Fatalf("CatchUp: %v", err)
		}
		live := mustDump(t, s)
		s.rebuildRows = 17
		if err := projectiontest.Runner(t, s, 41).Rebuild(ctx, h, nil); err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		if rebuilt := mustDump(t, s); live != rebuilt {
			t.Fatalf("live and rebuilt read models differ:\n%s", firstDiff(live, rebuilt))
		}
	})
}

// The live tables' small statements stay prepared across commits, and a
// rebuild's swap replaces the tables they name: commits after a rebuild
// write to the new tables (SQLite and PostgreSQL).
func TestCommitAfterARebuildWritesTheNewTables(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		ctx := context.Background()
		s := open(t)
		var seq uint64
		for i := range 3 {
			if err := s.Commit(ctx, followChanges(i, &seq)); err != nil {
				t.Fatal(err)
			}
		}
		rebuilt := followChanges(10, &seq)
		if err := s.Rebuild(ctx, func(commit func(projections.Changes) error) error { return commit(rebuilt) }); err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		after := followChanges(20, &seq)
		if err := s.Commit(ctx, after); err != nil {
			t.Fatalf("Commit after the rebuild: %v", err)
		}
		var ids []string
		rows, err := s.db.QueryContext(ctx, "SELECT id FROM areas ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		want := []string{rebuilt.Areas[0].ID.String(), after.Areas[0].ID.String()}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("areas after rebuild and commit = %v, want %v", ids, want)
		}
	})
}
