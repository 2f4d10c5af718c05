package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/projections/projectiontest"
)

// The read model built event by event, across restarts, is the one a
// rebuild from the whole history gives, row for row.
func TestLiveEqualsRebuild(t *testing.T) {
	h := genHistory(1, 400)
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		ctx := context.Background()
		s := open(t)
		// Live: three runs of the runner, each a restart from Load, with
		// small commits.
		for _, upTo := range []int{len(h) / 3, 2 * len(h) / 3, len(h)} {
			r := projectiontest.Runner(t, s, 37)
			if err := r.CatchUp(ctx, h[:upTo], nil); err != nil {
				t.Fatalf("CatchUp to %d: %v", upTo, err)
			}
		}
		live := mustDump(t, s)
		if err := projectiontest.Runner(t, s, 1000).Rebuild(ctx, h, nil); err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		rebuilt := mustDump(t, s)
		if live != rebuilt {
			t.Fatalf("live and rebuilt read models differ:\n%s", firstDiff(live, rebuilt))
		}
		if !strings.Contains(live, "== areas (400 rows)") {
			t.Fatalf("the dump does not hold the 400 areas:\n%.500s", live)
		}
	})
}

// SQLite and PostgreSQL hold the same rows for the same history.
func TestSQLiteAndPostgreSQLAgree(t *testing.T) {
	h := genHistory(2, 200)
	var dumps []string
	for _, open := range []func(testing.TB) *Store{mustSQLite, mustPostgres} {
		s := open(t)
		if err := projectiontest.Runner(t, s, 50).CatchUp(context.Background(), h, nil); err != nil {
			t.Fatalf("%s: CatchUp: %v", s.Dialect(), err)
		}
		dumps = append(dumps, mustDump(t, s))
	}
	if dumps[0] != dumps[1] {
		t.Fatalf("SQLite and PostgreSQL dumps differ:\n%s", firstDiff(dumps[0], dumps[1]))
	}
}

func mustDump(t *testing.T, s *Store) string {
	t.Helper()
	d, err := s.Dump(context.Background())
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	return d
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n- " + la[i] + "\n+ " + lb[i]
		}
	}
	return "one is a prefix of the other: " + strconv.Itoa(len(la)) + " lines against " + strconv.Itoa(len(lb))
}
