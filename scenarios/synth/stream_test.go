package synth_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// Over random histories, the lean replay of state --as-of and --as-recorded
// (no audit rows, no geometry) answers the document the full fold answered,
// and a replay that streams its audit rows hands over exactly the rows the
// full fold held, in the same order.
func TestStreamedReplaysEqualTheFullFold(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 30; seed++ {
		store := apply(t, synth.Mixed(synth.DefaultConfig(seed, 400)))
		rng := rand.New(rand.NewPCG(seed, 7))
		var first, last events.Date
		var firstAt, lastAt time.Time
		store.Replay(ctx, 1, func(e events.Envelope) error {
			if first.IsZero() || e.OccurredOn.Before(first) {
				first = e.OccurredOn
			}
			if e.OccurredOn.After(last) {
				last = e.OccurredOn
			}
			if firstAt.IsZero() {
				firstAt = e.RecordedAt
			}
			lastAt = e.RecordedAt
			return nil
		})
		days := int(last.Time().Sub(first.Time()).Hours()/24) + 1
		for _, q := range []queries.StateQuery{
			{AsOf: ptr(events.DateOf(first.Time().AddDate(0, 0, rng.IntN(days))))},
			{AsOf: ptr(last)},
			{AsRecorded: ptr(firstAt.Add(time.Duration(rng.Int64N(int64(lastAt.Sub(firstAt)) + 1))))},
		} {
			keep, doc := queries.StateKeep(q)
			full, err := projections.Replay(ctx, store, keep)
			if err != nil {
				t.Fatal(err)
			}
			lean, err := queries.ReplayState(ctx, store, keep)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(queries.StateOf(doc, full))
			got, _ := json.Marshal(queries.StateOf(doc, lean))
			if string(got) != string(want) {
				t.Fatalf("seed %d, %+v: lean replay answers\n%s\nthe full fold\n%s", seed, doc, got, want)
			}
			if len(lean.Audit) != 0 || (q.AsOf != nil && *q.AsOf == last && len(full.Audit) == 0) {
				t.Fatalf("seed %d: the lean fold holds %d audit rows, the full one %d", seed, len(lean.Audit), len(full.Audit))
			}
			if len(lean.Areas) != len(full.Areas) {
				t.Fatalf("seed %d: %d areas, want %d", seed, len(lean.Areas), len(full.Areas))
			}
			for id, a := range full.Areas {
				b := *lean.Areas[id]
				want := *a
				want.Geometry = nil
				if !reflect.DeepEqual(b, want) {
					t.Fatalf("seed %d: area %s\n%+v\nwant\n%+v", seed, id, b, want)
				}
			}

			var streamed []projections.AuditRow
			s, err := projections.ReplayWith(ctx, store, projections.ReplayOptions{Keep: keep,
				Audit: func(r projections.AuditRow) { streamed = append(streamed, r) }})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(streamed, full.Audit) || len(s.Audit) != 0 {
				t.Fatalf("seed %d: %d audit rows streamed (%d held), the full fold holds %d", seed, len(streamed), len(s.Audit), len(full.Audit))
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
