package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/projections/projectiontest"
)

// benchChanges builds commit i of a run: areaRows area rows (half new, with
// geometry; half updates of the previous commit's areas, without), as many
// audit rows, and 500 statistics deltas.
func benchChanges(i, areaRows int, seq *uint64) projections.Changes {
	var c projections.Changes
	on := events.MustDate("2019-05-01")
	at := time.Date(2019, 5, 2, 9, 0, 0, 0, time.UTC)
	for k := range areaRows {
		n := i*areaRows/2 + k // the first half are the previous commit's new areas
		*seq++
		a := projections.AreaRow{ID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%d", n)),
			Province: provinces[n%len(provinces)], District: "Kamrieng", Commune: "Boeung Reang", Village: "O Da",
			Hazard: "AP", Classification: "SHA", Status: "SHA", Source: "BLS", SizeM2: 50_000, RemainingM2: int64(50_000 - k),
			CancelledNTSM2: int64(k), EvidenceCount: 1, LandUse: "AGRICULTURE", LastOperator: "CMAC",
			RegisteredOn: on, LastActivityOn: on, FirstRecordedAt: at, LastRecordedAt: at, LastSequence: *seq}
		if k >= areaRows/2 || i == 0 {
			a.Geometry = json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[102.%05d,13.1],[102.%05d,13.2],[102.%05d,13.1],[102.%05d,13.1]]]}`, n%99999, n%99999, (n+1)%99999, n%99999))
		}
		c.Areas = append(c.Areas, a)
		c.Audit = append(c.Audit, projections.AuditRow{Sequence: *seq, EventID: uuid.New(), AreaID: a.ID, Province: a.Province,
			Action: "CANCELLED", OccurredOn: on, RecordedAt: at, Actor: "bench", CommandID: uuid.New(), FromClass: "SHA",
			SizeM2: 1, Method: "NTS", Reason: "no evidence", EvidenceCount: 1, Flags: []string{projections.FlagDeskCancellation}})
	}
	for k := range 500 {
		c.Stats = append(c.Stats, projections.StatRow{StatKey: projections.StatKey{Year: 2015 + k%10,
			Province: provinces[k/10%len(provinces)], Operator: []string{"CMAC", "HALO"}[k/50%2],
			Method: []string{"NTS", "TS", "CLEARANCE", "REGISTERED", "DESK_ANALYSIS"}[k/100]}, AreaM2: 10, Events: 1})
	}
	c.Sequence = *seq
	return c
}

// BenchmarkCommit commits 100 Changes of 10,000 area rows, 10,000 audit rows
// and 500 statistics deltas per op, and reports rows written per second. The
// raw baseline, measured in the same run, upserts the same area rows one
// statement per row, 1,000 per transaction (DESIGN.md's ~114,000 rows/s).
func BenchmarkCommit(b *testing.B) {
	commits, areaRows := benchCommits(), 10_000
	for _, backend := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"SQLite", mustSQLite}, {"PostgreSQL", mustPostgres}} {
		b.Run(backend.name, func(b *testing.B) {
			s := backend.open(b)
			ctx := context.Background()
			var seq uint64
			rows := 0
			b.ResetTimer()
			for op := 0; op < b.N; op++ {
				for i := range commits {
					b.StopTimer()
					c := benchChanges(op*commits+i, areaRows, &seq)
					rows += len(c.Areas) + len(c.Audit) + len(c.Stats)
					b.StartTimer()
					if err := s.Commit(ctx, c); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.N*commits*areaRows)/b.Elapsed().Seconds(), "areas/s")
		})
		b.Run(backend.name+"/raw-single-row-upserts", func(b *testing.B) {
			s := backend.open(b)
			ctx := context.Background()
			var seq uint64
			q := newInsert(s.d, "areas", areaCols, newStatements(s.d, "").areas.tail).sql(s.d, 1)
			rows := 0
			b.ResetTimer()
			for op := 0; op < b.N; op++ {
				for i := range commits / 10 { // a tenth of the rows: the baseline is slow
					b.StopTimer()
					c := benchChanges(op*commits+i, areaRows, &seq)
					b.StartTimer()
					for start := 0; start < len(c.Areas); start += 1000 {
						tx, err := s.db.BeginTx(ctx, nil)
						if err != nil {
							b.Fatal(err)
						}
						stmt, err := tx.PrepareContext(ctx, q)
						if err != nil {
							b.Fatal(err)
						}
						w := &writer{ctx: ctx, tx: tx, d: s.d}
						for k := start; k < start+1000; k++ {
							if _, err := stmt.ExecContext(ctx, w.areaArgs(nil, &c.Areas[k])...); err != nil {
								b.Fatal(err)
							}
							rows++
						}
						stmt.Close()
						if err := tx.Commit(); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkRebuild rebuilds the read model from a history of about a million
// events held in memory (no decoding: the fold and the store alone) through
// projections.Runner (10,000 events a commit), and reports events per second
// and where the time went: folding, committing batches, and the final write
// and swap. Run it with -benchtime=1x: the history takes a while to make.
func BenchmarkRebuild(b *testing.B) {
	h := genHistory(9, 200_000)
	b.Logf("history of %d events", len(h))
	for _, backend := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"SQLite", mustSQLite}, {"PostgreSQL", mustPostgres}} {
		b.Run(backend.name, func(b *testing.B) {
			s := &timedStore{Store: backend.open(b)}
			b.ResetTimer()
			for op := 0; op < b.N; op++ {
				if err := projectiontest.Runner(b, s, 10_000).Rebuild(context.Background(), h, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(h))/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(s.commits.Seconds()/float64(b.N), "commit-s/op")
			b.ReportMetric(s.fold.Seconds()/float64(b.N), "fold-s/op")
			b.ReportMetric(s.swap.Seconds()/float64(b.N), "swap-s/op")
		})
	}
}

// timedStore measures where a rebuild spends its time.
type timedStore struct {
	*Store
	commits, fold, swap time.Duration
}

func (t *timedStore) Rebuild(ctx context.Context, fill func(commit func(projections.Changes) error) error) error {
	start := time.Now()
	var filled time.Time
	var commits time.Duration
	err := t.Store.Rebuild(ctx, func(commit func(projections.Changes) error) error {
		err := fill(func(c projections.Changes) error {
			s := time.Now()
			defer func() { commits += time.Since(s) }()
			return commit(c)
		})
		filled = time.Now()
		return err
	})
	t.commits += commits
	t.fold += filled.Sub(start) - commits
	t.swap += time.Since(filled)
	return err
}

// benchCommits is 100, or LANDRELEASE_BENCH_COMMITS for a shorter run
// (profiling).
func benchCommits() int {
	if n, err := strconv.Atoi(os.Getenv("LANDRELEASE_BENCH_COMMITS")); err == nil && n > 0 {
		return n
	}
	return 100
}

// followChanges is what a caught-up follower commits after one command: an
// area, its audit row, a statistics delta, the area's year and the year's
// event count.
func followChanges(i int, seq *uint64) projections.Changes {
	c := benchChanges(i, 2, seq) // one area updated, one new
	c.Areas, c.Audit, c.Stats = c.Areas[1:], c.Audit[1:], c.Stats[:1]
	a := c.Areas[0]
	c.AreaYears = []projections.AreaYear{{AreaID: a.ID, Year: 2019, Registered: true, Province: a.Province,
		Classification: a.Classification, SizeM2: a.SizeM2, RemainingM2: a.RemainingM2, Events: 1,
		FirstSequence: *seq, LastSequence: *seq}}
	c.YearEvents = []projections.YearEventsRow{{YearKey: projections.YearKey{Year: 2019, Province: a.Province},
		Events: int64(i + 1), FirstSequence: 1, LastSequence: *seq}}
	return c
}

// BenchmarkFollowCommit commits what a caught-up follower commits after
// each command (followChanges), one transaction per op, with the live
// tables' small statements kept prepared across commits (Store.Commit) and,
// in the same run, prepared again in every transaction (as before issue 17):
// commits/s for each; the difference is the statement cache's gain.
func BenchmarkFollowCommit(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"SQLite", mustSQLite}, {"PostgreSQL", mustPostgres}} {
		for _, cached := range []bool{true, false} {
			name := backend.name + "/prepared-once"
			if !cached {
				name = backend.name + "/prepared-per-commit"
			}
			b.Run(name, func(b *testing.B) {
				s := backend.open(b)
				ctx := context.Background()
				var seq uint64
				cache := s.prepared
				if !cached {
					cache = nil
				}
				for op := 0; op < b.N; op++ {
					b.StopTimer()
					c := followChanges(op, &seq)
					b.StartTimer()
					if err := s.commit(ctx, s.db, s.live, c, true, cache); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			})
		}
	}
}
