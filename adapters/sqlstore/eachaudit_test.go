package sqlstore

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/landrelease/landrelease/projections"
)

// EachAudit hands over, one at a time and in order, the entries Audit
// returns for the same filter, on either database; an error of the
// callback stops it and comes back as it is.
func TestEachAuditStreamsWhatAuditReturns(t *testing.T) {
	h := genHistory(11, 200)
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		ctx := context.Background()
		s := open(t)
		n := fold(t, s, h, 300)
		mid := n.Audit[len(n.Audit)/2]
		for _, f := range []AuditFilter{{}, {Limit: 9}, {AreaID: mid.AreaID}, {From: mid.OccurredOn, Action: mid.Action},
			{Flag: projections.FlagNoEvidence, To: mid.OccurredOn}} {
			want, err := s.Audit(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []projections.AuditRow
			if err := s.EachAudit(ctx, f, func(r projections.AuditRow) error { got = append(got, r); return nil }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) || len(want) == 0 {
				t.Errorf("%+v: EachAudit gave %d entries, Audit %d", f, len(got), len(want))
			}
		}
		stop := errors.New("enough")
		calls := 0
		err := s.EachAudit(ctx, AuditFilter{}, func(projections.AuditRow) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("a failing callback: %d calls, %v; want 1 call and its error", calls, err)
		}
	})
}
