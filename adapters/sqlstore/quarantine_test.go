package sqlstore

import (
	"context"
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
	all := migrations
	migrations = all[:1] // the build before the quarantine
	old, err := Open(ctx, path)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	if names, err := old.tableNames(ctx, old.db); err != nil || names["quarantine"] {
		t.Fatalf("version 1 has a quarantine table (%v)", err)
	}
	h := genHistory(4, 10)
	fold(t, old, h, 5)
	_, err = old.Dump(ctx)
	old.Close()
	if err == nil || !strings.Contains(err.Error(), "quarantine") {
		t.Fatalf("dump of a version 1 read model: %v (want it to miss the quarantine table)", err)
	}
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
