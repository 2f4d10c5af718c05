package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/landrelease/landrelease/projections"
)

// Dump returns every row of every projection table, and the checkpoint, as
// text: one section per table, one JSON line per row, rows in key order, all
// from one snapshot. Bookkeeping timestamps (when a checkpoint was written)
// are left out, so two read models built from the same events dump the same
// text whichever way they were built, and in either database when the
// events' timestamps are whole microseconds (PostgreSQL keeps no finer).
// Meant for tests and diagnosis, not for large read models.
func (s *Store) Dump(ctx context.Context) (string, error) {
	tx, err := s.readTx(ctx)
	if err != nil {
		return "", fmt.Errorf("sqlstore: dump: %w", err)
	}
	defer tx.Rollback()
	seq, version, err := checkpoint(ctx, tx)
	if err != nil {
		return "", fmt.Errorf("sqlstore: dump: checkpoint: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "== projection_checkpoints\nsequence %d version %d\n", seq, version)

	areas, err := queryRows(ctx, tx, "SELECT "+areaSelect(true)+" FROM areas ORDER BY id", nil, scanArea)
	type areaLine struct {
		projections.AreaRow
		Geometry string // as text: the stored geometry need not be valid JSON to be dumped
	}
	lines := make([]areaLine, len(areas))
	for i, a := range areas {
		lines[i] = areaLine{a, string(a.Geometry)}
	}
	if err := dumpRows(&b, "areas", lines, err); err != nil {
		return "", err
	}
	deps, err := s.deployments(ctx, tx)
	if err := dumpRows(&b, "deployments", deps, err); err != nil {
		return "", err
	}
	pledges, err := queryRows(ctx, tx, pledgesSQL, nil, scanPledge)
	if err := dumpRows(&b, "funding_pledges", pledges, err); err != nil {
		return "", err
	}
	shortfalls, err := queryRows(ctx, tx, shortfallsSQL, nil, scanShortfall)
	if err := dumpRows(&b, "funding_shortfalls", shortfalls, err); err != nil {
		return "", err
	}
	deadlines, err := queryRows(ctx, tx, deadlinesSQL, nil, scanDeadline)
	if err := dumpRows(&b, "article5_deadlines", deadlines, err); err != nil {
		return "", err
	}
	plans, err := s.workPlans(ctx, tx)
	if err := dumpRows(&b, "work_plans", plans, err); err != nil {
		return "", err
	}
	stats, err := s.stats(ctx, tx, StatFilter{})
	if err := dumpRows(&b, "land_release_stats", stats, err); err != nil {
		return "", err
	}
	audit, err := queryRows(ctx, tx, "SELECT "+strings.Join(auditCols, ", ")+" FROM audit_log ORDER BY sequence", nil, scanAudit)
	if err := dumpRows(&b, "audit_log", audit, err); err != nil {
		return "", err
	}
	quarantined, err := queryRows(ctx, tx, "SELECT "+strings.Join(quarantineCols, ", ")+" FROM quarantine ORDER BY sequence", nil, scanQuarantined)
	if err := dumpRows(&b, "quarantine", quarantined, err); err != nil {
		return "", err
	}
	years, err := queryRows(ctx, tx, areaYearsSQL, nil, scanAreaYear)
	if err := dumpRows(&b, "area_years", years, err); err != nil {
		return "", err
	}
	counts, err := queryRows(ctx, tx, yearEventsSQL, nil, scanYearEvents)
	if err := dumpRows(&b, "year_events", counts, err); err != nil {
		return "", err
	}
	return b.String(), nil
}

// dumpRows writes a section: its name, then each row as a JSON line.
func dumpRows[T any](b *strings.Builder, name string, rows []T, err error) error {
	if err != nil {
		return fmt.Errorf("sqlstore: dump %s: %w", name, err)
	}
	fmt.Fprintf(b, "== %s (%d rows)\n", name, len(rows))
	for _, r := range rows {
		line, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("sqlstore: dump %s: %w", name, err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return nil
}
