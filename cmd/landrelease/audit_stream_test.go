package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// The audit verb prints its entries as the register reads them; over random
// histories in a SQLite read model, and over entries with odd text, its
// JSON and text are byte for byte what the whole document printed before
// (queries.AuditOf through writeJSON, and the table below).
func TestAuditStreamedEqualsTheWholeDocument(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		store := memory.New()
		h, err := handling.NewHandler(store, handling.DefaultHandlerConfig())
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range h.HandleBatch(ctx, synth.Mixed(synth.DefaultConfig(seed, 600)), nil) {
			if o.Err != nil {
				t.Fatalf("seed %d: command %d refused: %v", seed, i, o.Err)
			}
		}
		db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "rm.sqlite"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := projections.NewRunner(db, projections.RunnerConfig{MaxBatch: 97})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Rebuild(ctx, store, nil); err != nil {
			t.Fatal(err)
		}
		fold, reg := r.Fold(), sqlRegister{db}
		rows, err := db.Audit(ctx, sqlstore.AuditFilter{})
		if err != nil || len(rows) == 0 {
			t.Fatalf("seed %d: %d audit rows, %v", seed, len(rows), err)
		}
		rng := rand.New(rand.NewPCG(seed, 3))
		some := rows[rng.IntN(len(rows))]
		qs := []queries.AuditQuery{{}, {Limit: 1000}, {Limit: 7}, {Area: some.AreaID}, {Action: "CANCELLED", IdleYears: 2},
			{Flag: projections.FlagNoEvidence, From: some.OccurredOn}, {To: some.OccurredOn, Limit: 50, IdleYears: 30},
			{Action: "NOTHING"}, {Flag: queries.FlagQuarantined, Limit: 3}}
		for _, q := range qs {
			checkAuditOutputs(t, fmt.Sprintf("seed %d, %+v", seed, q), reg, fold, q)
		}
		db.Close()
	}
	// Text the table must measure in runes, cells tabwriter would split,
	// empty flags.
	fold := projections.NewNational()
	reasons := []string{"ok", "déminage → NTS", "tab\there", "line\nbreak", "", "ក្រុមហ៊ុន", "form\ffeed"}
	for i := range reasons {
		var rows []projections.AuditRow
		for j := 0; j <= i; j++ {
			rows = append(rows, projections.AuditRow{Sequence: uint64(j + 1), AreaID: uuid.New(), Action: "CANCELLED",
				Province: "Bântéay Méanchey", FromClass: "SHA", Reason: reasons[j], OccurredOn: events.NewDate(2020, 1, j+1),
				Evidence: make([]events.Evidence, j), Flags: []string{"A", "B"}[:j%3%2]})
		}
		checkAuditOutputs(t, fmt.Sprintf("odd text %d", i), &fixedRegister{rows}, fold, queries.AuditQuery{Limit: 100})
	}
}

func checkAuditOutputs(t *testing.T, what string, reg queries.Register, fold *projections.National, q queries.AuditQuery) {
	t.Helper()
	ctx := context.Background()
	doc, err := queries.AuditOf(ctx, reg, fold, q)
	if err != nil {
		t.Fatal(err)
	}
	var want, got bytes.Buffer
	if err := writeJSON(&want, doc); err != nil {
		t.Fatal(err)
	}
	head, err := queries.AuditHead(ctx, reg, fold, q)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeAuditJSON(ctx, &got, reg, head, q); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("%s: streamed JSON\n%s\nwant\n%s", what, got.String(), want.String())
	}
	want.Reset()
	got.Reset()
	wholeAuditText(&want, doc, q)
	if err := writeAuditText(ctx, &got, reg, head, q); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("%s: streamed text\n%q\nwant\n%q", what, got.String(), want.String())
	}
}

// wholeAuditText is how the audit verb printed the whole document before
// it streamed its entries.
func wholeAuditText(w io.Writer, doc queries.Audit, f queries.AuditQuery) {
	if doc.Quarantined != nil {
		q := *doc.Quarantined
		if len(q) == 0 {
			fmt.Fprintln(w, "No quarantined messages: every message of the history is an event.")
		}
		writeQuarantine(w, q)
		if len(q) == f.Limit && f.Limit > 0 {
			fmt.Fprintf(w, "(first %d messages; --limit 0 for all)\n", f.Limit)
		}
		return
	}
	entries, share := doc.Entries, doc.EvidenceShare
	var idle []queries.IdleArea
	if doc.IdleAreas != nil {
		idle = *doc.IdleAreas
	}
	period := "all time"
	if share.From != "" || share.To != "" {
		period = fmt.Sprintf("%s … %s", orDash(share.From), orDash(share.To))
	}
	fmt.Fprintf(w, "Areas added (%s): %d, %s m²; with evidence: %d areas, %s m² (%.0f%% of the area)\n\n", period,
		share.AreasAdded, m2(share.AddedM2), share.WithEvidenceAreas, m2(share.WithEvidenceM2), 100*share.ShareWithEvidence)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "occurred\taction\tarea\tprovince\tclass\tm²\tmethod\tactor\treason\tevidence\tflags")
	for _, e := range entries {
		class := e.To
		if e.From != "" {
			class = e.From + "→" + orDash(e.To)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", e.OccurredOn, e.Action, e.AreaID, e.Province,
			orDash(class), m2(e.SizeM2), orDash(e.Method), orDash(e.Actor), orDash(e.Reason), len(e.Evidence), strings.Join(e.Flags, ","))
	}
	tw.Flush()
	if len(entries) == f.Limit && f.Limit > 0 {
		fmt.Fprintf(w, "(first %d entries; --limit 0 for all)\n", f.Limit)
	}
	if f.IdleYears > 0 {
		fmt.Fprintf(w, "\nOpen areas with no activity for %d years (desk-analysis candidates): %d\n", f.IdleYears, len(idle))
		for _, i := range idle {
			fmt.Fprintf(w, "  %s  %-16s %s  %s m²  last activity %s\n", i.AreaID, i.Province, i.Status, m2(i.RemainingM2), i.LastActivityOn)
		}
	}
}

// fixedRegister is a register of given audit rows (no streaming: the
// entries come from Audit).
type fixedRegister struct{ rows []projections.AuditRow }

func (r *fixedRegister) Areas(context.Context, queries.AreaFilter) ([]projections.AreaRow, error) {
	return nil, nil
}
func (r *fixedRegister) Area(context.Context, uuid.UUID) (projections.AreaRow, error) {
	return projections.AreaRow{}, nil
}
func (r *fixedRegister) Audit(_ context.Context, f queries.AuditFilter) ([]projections.AuditRow, error) {
	if f.Limit > 0 && len(r.rows) > f.Limit {
		return r.rows[:f.Limit], nil
	}
	return r.rows, nil
}
func (r *fixedRegister) Quarantine(context.Context, int) ([]events.Quarantined, error) {
	return nil, nil
}
