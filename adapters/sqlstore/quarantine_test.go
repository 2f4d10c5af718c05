package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// Quarantined messages are written with the checkpoint, read back in
// sequence order, counted by Load, dumped, and written the same by a
// rebuild.
func TestQuarantineRows(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		ctx := context.Background()
		s := open(t)
		at := time.Date(2026, 12, 5, 18, 0, 0, 123456000, time.UTC)
		rows := []events.Quarantined{
			{Sequence: 3, Subject: "lr.kh.area.x", Reason: "subject is not lr.<country>.<kind>.<id>", StoredAt: at},
			{Sequence: 7, Subject: "lr.kh.area.0192", Reason: "no Lr-Event-Type header: not written by the engine", StoredAt: at.Add(time.Second)},
		}
		if err := s.Commit(ctx, projections.Changes{Quarantined: rows[:1], Sequence: 3}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, projections.Changes{Quarantined: rows[1:], Sequence: 7}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Quarantine(ctx, 0)
		if err != nil || !reflect.DeepEqual(got, rows) {
			t.Fatalf("Quarantine = %+v, %v; want %+v", got, err, rows)
		}
		if got, _ := s.Quarantine(ctx, 1); len(got) != 1 || got[0].Sequence != 3 {
			t.Errorf("Quarantine(limit 1) = %+v", got)
		}
		st, err := s.Load(ctx)
		if err != nil || st.Quarantined != 2 || st.Sequence != 7 {
			t.Fatalf("Load: quarantined %d, sequence %d, %v; want 2 at 7", st.Quarantined, st.Sequence, err)
		}
		// The same record again is refused with the checkpoint: nothing
		// is listed twice.
		if err := s.Commit(ctx, projections.Changes{Quarantined: rows[1:], Sequence: 7}); err == nil {
			t.Error("committing a quarantined message again was accepted")
		}
		live, err := s.Dump(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(live, "== quarantine") || !strings.Contains(live, "lr.kh.area.0192") {
			t.Fatalf("dump does not list the quarantine:\n%s", live)
		}
		if err := s.Rebuild(ctx, func(commit func(projections.Changes) error) error {
			return commit(projections.Changes{Quarantined: rows, Sequence: 7})
		}); err != nil {
			t.Fatal(err)
		}
		rebuilt, err := s.Dump(ctx)
		if err != nil || rebuilt != live {
			t.Fatalf("rebuilt dump differs (%v)\n%s\nlive\n%s", err, rebuilt, live)
		}
	})
}

// A read model written by a build with schema version 1 gets the
// quarantine table when a newer build opens it, and keeps its rows.
func TestMigrationAddsQuarantine(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "readmodel.sqlite")
	old := downgraded(t, path, 1, genHistory(4, 10)) // the build before the quarantine
	if names, err := old.tableNames(ctx, old.db); err != nil || names["quarantine"] {
		t.Fatalf("version 1 has a quarantine table (%v)", err)
	}
	old.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a version 1 read model: %v", err)
	}
	defer s.Close()
	var v int
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil || v != schemaVersion() {
		t.Fatalf("schema version %d (%v), want %d", v, err, schemaVersion())
	}
	if err := s.createShadows(ctx); err != nil {
		t.Fatal(err)
	}
	if live, shadow := columns(t, s, "quarantine"), columns(t, s, "quarantine"+shadowSuffix); !reflect.DeepEqual(live, shadow) || len(live) == 0 {
		t.Errorf("migrated quarantine columns\n%s\nrebuild columns\n%s", strings.Join(live, "\n"), strings.Join(shadow, "\n"))
	}
	if err := s.dropShadows(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := s.Load(ctx)
	if err != nil || st.Quarantined != 0 || len(st.Areas) == 0 {
		t.Fatalf("after migration: %d areas, %d quarantined, %v", len(st.Areas), st.Quarantined, err)
	}
}

// downgraded folds h into a new SQLite read model at path, then takes it
// back to the schema of version (1, 2 or 3) the way that version's build
// would have left it: the later tables and columns dropped, and the later
// migrations unrecorded. (A build cannot write an older schema, so the
// data is folded first.)
func downgraded(t *testing.T, path string, version int, h []events.Envelope) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	fold(t, s, h, 5)
	stmts := []string{
		`DROP TABLE area_years`,
		`DROP TABLE year_events`,
		`DROP INDEX audit_log_action_idx`,
		`ALTER TABLE article5_deadlines DROP COLUMN decided_on`,
	}
	if version < 3 {
		stmts = append(stmts,
			`ALTER TABLE areas DROP COLUMN restriction_reason`,
			`ALTER TABLE areas DROP COLUMN restricted_until`,
			`ALTER TABLE areas DROP COLUMN restricted_since`)
	}
	if version < 2 {
		stmts = append(stmts, `DROP TABLE quarantine`)
	}
	stmts = append(stmts, fmt.Sprintf(`DELETE FROM schema_migrations WHERE version > %d`, version))
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return s
}

func TestMigrationAddsAreaRestrictions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "readmodel.sqlite")
	downgraded(t, path, 2, genHistory(4, 10)).Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a version 2 read model: %v", err)
	}
	defer s.Close()
	if err := s.createShadows(ctx); err != nil {
		t.Fatal(err)
	}
	if live, shadow := columns(t, s, "areas"), columns(t, s, "areas"+shadowSuffix); !reflect.DeepEqual(live, shadow) {
		t.Errorf("migrated areas columns\n%s\nrebuild columns\n%s", strings.Join(live, "\n"), strings.Join(shadow, "\n"))
	}
	if err := s.dropShadows(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := s.Load(ctx)
	if err != nil || len(st.Areas) == 0 {
		t.Fatalf("after migration: %d areas, %v", len(st.Areas), err)
	}
	for _, a := range st.Areas {
		if a.Restricted() || a.RestrictionReason != "" {
			t.Fatalf("area %s restricted after migrating a read model that knew no restriction: %+v", a.ID, a)
		}
	}
}

// A read model of schema version 3, written by a fold without year-end
// states (projections version 1), gets the annual report's tables, the
// deadlines' decision date and the audit index by action; the runner then
// rebuilds it from the history, which fills them as a fresh read model.
func TestMigrationAddsYearEndStates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "readmodel.sqlite")
	h := genHistory(6, 20)
	old := downgraded(t, path, 3, h)
	if _, err := old.db.ExecContext(ctx, `UPDATE projection_checkpoints SET version = 1`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a version 3 read model: %v", err)
	}
	defer s.Close()
	if err := s.createShadows(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"article5_deadlines", "area_years", "year_events"} {
		if live, shadow := columns(t, s, tbl), columns(t, s, tbl+shadowSuffix); !reflect.DeepEqual(live, shadow) || len(live) == 0 {
			t.Errorf("migrated %s columns\n%s\nrebuild columns\n%s", tbl, strings.Join(live, "\n"), strings.Join(shadow, "\n"))
		}
	}
	if err := s.dropShadows(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := projections.NewRunner(s, projections.RunnerConfig{MaxBatch: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CatchUp(ctx, h, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(ctx, filepath.Join(t.TempDir(), "fresh.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	fold(t, fresh, h, 5)
	want, err := fresh.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || !strings.Contains(got, "== area_years") || strings.Contains(got, "== area_years (0 rows)") {
		t.Fatalf("after the rebuild the read model differs from a fresh one:\n%s\nfresh\n%s", got, want)
	}
}
