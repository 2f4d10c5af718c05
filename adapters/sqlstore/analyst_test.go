package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// An analyst answers the ministry's two usual questions with one plain SQL
// query each, through database/sql, on either database.
func TestAnalystQueries(t *testing.T) {
	h := genHistory(6, 300)
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		n := fold(t, s, h, 500)

		// "How much land remains to be released, province by province?"
		rows, err := s.db.Query(`SELECT province, SUM(remaining_m2) FROM areas GROUP BY province ORDER BY province`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for rows.Next() {
			var p string
			var m2 int64
			if err := rows.Scan(&p, &m2); err != nil {
				t.Fatal(err)
			}
			got[p] = m2
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{}
		for _, a := range n.Areas {
			want[a.Province] += a.RemainingM2
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("remaining m² by province: %v, want %v", got, want)
		}

		// "How much area did non-technical survey cancel in 2019?"
		var nts2019 int64
		if err := s.db.QueryRow(`SELECT SUM(area_m2) FROM land_release_stats WHERE year = 2019 AND method = 'NTS'`).Scan(&nts2019); err != nil {
			t.Fatal(err)
		}
		var wantNTS int64
		for _, e := range h {
			if c, ok := e.Data.(events.AreaCancelled); ok && c.Method == events.CancelByNTS && e.OccurredOn.Year() == 2019 {
				wantNTS += c.SizeM2
			}
		}
		if nts2019 != wantNTS || wantNTS == 0 {
			t.Errorf("cancelled by NTS in 2019: %d m², want %d (from the events)", nts2019, wantNTS)
		}

		// The province_summary view agrees with the register.
		sum, err := s.ProvinceSummary(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range sum {
			if r.RemainingM2 != want[r.Province] || r.RemainingSHAM2+r.RemainingCHAM2 != r.RemainingM2 {
				t.Errorf("province_summary %s: %+v; remaining should be %d = SHA + CHA", r.Province, r, want[r.Province])
			}
		}
		if len(sum) != len(want) {
			t.Errorf("province_summary has %d provinces, the register %d", len(sum), len(want))
		}
	})
}

// The read methods filter and order as documented.
func TestReadMethods(t *testing.T) {
	h := genHistory(7, 250)
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		ctx := context.Background()
		s := open(t)
		n := fold(t, s, h, 400)

		// Areas: by province and status, paged.
		var wantIDs []string
		for _, a := range n.Areas {
			if a.Province == "Pailin" && a.Status == "SHA" {
				wantIDs = append(wantIDs, a.ID.String())
			}
		}
		sort.Strings(wantIDs)
		var gotIDs []string
		for off := 0; ; off += 7 {
			page, err := s.Areas(ctx, AreaFilter{Province: "Pailin", Status: "SHA", Limit: 7, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page {
				gotIDs = append(gotIDs, a.ID.String())
			}
			if len(page) < 7 {
				break
			}
		}
		if !reflect.DeepEqual(gotIDs, wantIDs) || len(wantIDs) == 0 {
			t.Errorf("Pailin SHA areas, paged: %d, want %d", len(gotIDs), len(wantIDs))
		}
		all, err := s.Areas(ctx, AreaFilter{Offset: 3})
		if err != nil || len(all) != len(n.Areas)-3 {
			t.Errorf("Areas from offset 3: %d (%v), want %d", len(all), err, len(n.Areas)-3)
		}

		// Area: with geometry; unknown: not found.
		for _, e := range h {
			if reg, ok := e.Data.(events.AreaRegistered); ok && reg.Geometry != nil {
				a, err := s.Area(ctx, reg.AreaID)
				if err != nil || len(a.Geometry) == 0 {
					t.Errorf("Area %s: geometry %q, %v", reg.AreaID, a.Geometry, err)
				}
				break
			}
		}
		if _, err := s.Area(ctx, [16]byte{1}); !errorsIsNotFound(err) {
			t.Errorf("Area of an unknown ID: %v, want domain.ErrNotFound", err)
		}

		// Audit: by flag, by area, by dates and action, limited.
		check := func(name string, f AuditFilter, keep func(projections.AuditRow) bool) {
			t.Helper()
			got, err := s.Audit(ctx, f)
			if err != nil {
				t.Fatalf("Audit %s: %v", name, err)
			}
			var want []uint64
			for _, r := range n.Audit {
				if keep(r) {
					want = append(want, r.Sequence)
				}
			}
			if f.Limit > 0 && len(want) > f.Limit {
				want = want[:f.Limit]
			}
			var seqs []uint64
			for _, r := range got {
				seqs = append(seqs, r.Sequence)
			}
			if !reflect.DeepEqual(seqs, want) || len(want) == 0 {
				t.Errorf("Audit %s: %d rows %v, want %d %v", name, len(seqs), head(seqs), len(want), head(want))
			}
		}
		has := func(flags []string, f string) bool {
			for _, x := range flags {
				if x == f {
					return true
				}
			}
			return false
		}
		check("flag NO_EVIDENCE", AuditFilter{Flag: projections.FlagNoEvidence}, func(r projections.AuditRow) bool { return has(r.Flags, projections.FlagNoEvidence) })
		check("flag DESK_CANCELLATION", AuditFilter{Flag: projections.FlagDeskCancellation}, func(r projections.AuditRow) bool { return has(r.Flags, projections.FlagDeskCancellation) })
		area := n.Audit[len(n.Audit)/2].AreaID
		check("one area", AuditFilter{AreaID: area}, func(r projections.AuditRow) bool { return r.AreaID == area })
		from, to := events.MustDate("2019-01-01"), events.MustDate("2019-12-31")
		check("cancellations of 2019", AuditFilter{From: from, To: to, Action: "CANCELLED"}, func(r projections.AuditRow) bool {
			return r.Action == "CANCELLED" && !r.OccurredOn.Before(from) && !r.OccurredOn.After(to)
		})
		check("first 5", AuditFilter{Limit: 5}, func(projections.AuditRow) bool { return true })

		// Stats: by year and province, in key order.
		st, err := s.Stats(ctx, StatFilter{Year: 2019, Province: "Battambang"})
		if err != nil {
			t.Fatal(err)
		}
		var want []projections.StatRow
		for k, r := range n.Stats {
			if k.Year == 2019 && k.Province == "Battambang" {
				want = append(want, *r)
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i].Method+want[i].Operator < want[j].Method+want[j].Operator })
		sort.Slice(st, func(i, j int) bool { return st[i].Method+st[i].Operator < st[j].Method+st[j].Operator })
		if !reflect.DeepEqual(st, want) || len(want) == 0 {
			t.Errorf("Stats 2019 Battambang: %+v, want %+v", st, want)
		}

		// The rest: as many as the fold holds.
		deps, err1 := s.Deployments(ctx)
		pledges, err2 := s.Pledges(ctx)
		shortfalls, err3 := s.Shortfalls(ctx)
		deadlines, err4 := s.Deadlines(ctx)
		plans, err5 := s.WorkPlans(ctx)
		seq, err6 := s.Checkpoint(ctx)
		for _, err := range []error{err1, err2, err3, err4, err5, err6} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(deps) != len(n.Deployments) || len(pledges) != len(n.Pledges) || len(shortfalls) != len(n.Shortfalls) ||
			len(deadlines) != len(n.Deadlines) || len(plans) != len(n.WorkPlans) || seq != n.Sequence {
			t.Errorf("read %d deployments, %d pledges, %d shortfalls, %d deadlines, %d plans, checkpoint %d; the fold has %d, %d, %d, %d, %d, %d",
				len(deps), len(pledges), len(shortfalls), len(deadlines), len(plans), seq,
				len(n.Deployments), len(n.Pledges), len(n.Shortfalls), len(n.Deadlines), len(n.WorkPlans), n.Sequence)
		}
		if last := deadlines[len(deadlines)-1]; len(last.Milestones) != 2 || last.PreviousDeadline.IsZero() {
			t.Errorf("last deadline: %+v, want two milestones and a previous deadline", last)
		}
	})
}

func head(s []uint64) []uint64 {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// Every query of docs/schema.md runs, on either database.
func TestSchemaDocQueriesRun(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "schema.md"))
	if err != nil {
		t.Fatalf("read the analysts' page: %v", err)
	}
	var queries []string
	for _, block := range strings.Split(string(doc), "```sql\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		for _, q := range strings.Split(body, ";") {
			if strings.TrimSpace(stripComments(q)) != "" {
				queries = append(queries, q)
			}
		}
	}
	if len(queries) < 6 {
		t.Fatalf("found %d queries in docs/schema.md, want the 6 it shows", len(queries))
	}
	h := genHistory(10, 100)
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		fold(t, s, h, 1000)
		for _, q := range queries {
			rows, err := s.db.Query(q)
			if err != nil {
				t.Errorf("%v\n%s", err, q)
				continue
			}
			rows.Close()
		}
	})
}

func stripComments(q string) string {
	var b strings.Builder
	for _, line := range strings.Split(q, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
		}
	}
	return b.String()
}
