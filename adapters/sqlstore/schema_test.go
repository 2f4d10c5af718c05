package sqlstore

import (
	"context"
	"database/sql"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/projections"
)

// columns describes a table's columns as the database reports them.
func columns(t *testing.T, s *Store, table string) []string {
	t.Helper()
	q := `SELECT name || ' ' || type || ' ' || "notnull" || ' ' || pk FROM pragma_table_info(?) ORDER BY cid`
	if s.d.name == "postgres" {
		q = `SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	}
	cols, err := queryRows(context.Background(), s.db, q, []any{table}, func(r *sql.Rows) (string, error) {
		var c string
		return c, r.Scan(&c)
	})
	if err != nil {
		t.Fatalf("columns of %s: %v", table, err)
	}
	return cols
}

// catalogue lists the indexes and views of the database, and any shadow
// table left over.
func catalogue(t *testing.T, s *Store) []string {
	t.Helper()
	q := `SELECT type || ' ' || name FROM sqlite_master WHERE (type IN ('index', 'view') AND name NOT LIKE 'sqlite_%') OR name LIKE '%rebuild%'`
	if s.d.name == "postgres" {
		q = `SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = current_schema()
UNION ALL SELECT 'view ' || table_name FROM information_schema.views WHERE table_schema = current_schema()
UNION ALL SELECT 'table ' || table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE '%rebuild%'`
	}
	names, err := queryRows(context.Background(), s.db, q, nil, func(r *sql.Rows) (string, error) {
		var c string
		return c, r.Scan(&c)
	})
	if err != nil {
		t.Fatalf("catalogue: %v", err)
	}
	sort.Strings(names)
	return names
}

// A migrated read model has the shape a rebuild creates (see the rule in
// migrations.go), and a rebuild leaves the same indexes, views and
// constraint names as migration, with no shadow table behind.
func TestMigratedSchemaMatchesRebuild(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		ctx := context.Background()
		s := open(t)
		before := catalogue(t, s)
		if err := s.createShadows(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tbl := range tables {
			live, shadow := columns(t, s, tbl.name), columns(t, s, tbl.name+shadowSuffix)
			if !reflect.DeepEqual(live, shadow) || len(live) == 0 {
				t.Errorf("%s: migrated columns\n%s\nrebuild columns\n%s", tbl.name, strings.Join(live, "\n"), strings.Join(shadow, "\n"))
			}
		}
		if err := s.dropShadows(ctx); err != nil {
			t.Fatal(err)
		}
		h := genHistory(8, 30)
		fold(t, s, h, 10)
		for i := range 2 {
			if err := s.Rebuild(ctx, func(commit func(projections.Changes) error) error { return commit(drained(h)) }); err != nil {
				t.Fatalf("Rebuild %d: %v", i+1, err)
			}
			if after := catalogue(t, s); !reflect.DeepEqual(after, before) {
				t.Errorf("after rebuild %d the catalogue is\n%s\nnot as migrated\n%s", i+1, strings.Join(after, "\n"), strings.Join(before, "\n"))
			}
		}
		if s.d.name == "postgres" {
			cons, err := queryRows(ctx, s.db, `SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = current_schema() AND conname LIKE '%rebuild%'`, nil, func(r *sql.Rows) (string, error) {
				var c string
				return c, r.Scan(&c)
			})
			if err != nil || len(cons) > 0 {
				t.Errorf("constraints still named after the shadow tables: %v (%v)", cons, err)
			}
		}
		if _, err := s.ProvinceSummary(ctx); err != nil {
			t.Errorf("province_summary after rebuilds: %v", err)
		}
	})
}
