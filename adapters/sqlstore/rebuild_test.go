package sqlstore

import (
	"context"
	"testing"

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
