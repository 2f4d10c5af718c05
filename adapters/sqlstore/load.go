package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/projections"
)

// Load returns what the National fold needs after a restart: every area
// (without geometry), deployment, work plan (with its areas) and statistics
// row, and the checkpoint, all from one snapshot. An empty read model gives
// Version 0 and no rows. A checkpoint that does not cover every projection
// name at one sequence and version (a build that added a projection) gives
// Version -1, which makes the runner rebuild.
func (s *Store) Load(ctx context.Context) (projections.State, error) {
	var st projections.State
	tx, err := s.readTx(ctx)
	if err != nil {
		return st, fmt.Errorf("sqlstore: load: %w", err)
	}
	defer tx.Rollback()
	if st.Sequence, st.Version, err = checkpoint(ctx, tx); err != nil {
		return st, fmt.Errorf("sqlstore: load checkpoint: %w", err)
	}
	// The fold keeps the loaded area and area-year rows as its own
	// (projections.National.Restore): sized by a count first, they hold no
	// spare capacity for the life of the process.
	if st.Areas, err = queryRowsSized(ctx, tx, "SELECT COUNT(*) FROM areas", "SELECT "+areaSelect(false)+" FROM areas", scanArea); err != nil {
		return st, fmt.Errorf("sqlstore: load areas: %w", err)
	}
	if st.Deployments, err = s.deployments(ctx, tx); err != nil {
		return st, fmt.Errorf("sqlstore: load deployments: %w", err)
	}
	if st.WorkPlans, err = s.workPlans(ctx, tx); err != nil {
		return st, fmt.Errorf("sqlstore: load work plans: %w", err)
	}
	if st.Stats, err = s.stats(ctx, tx, StatFilter{}); err != nil {
		return st, fmt.Errorf("sqlstore: load statistics: %w", err)
	}
	if st.Pledges, err = queryRows(ctx, tx, pledgesSQL, nil, scanPledge); err != nil {
		return st, fmt.Errorf("sqlstore: load funding pledges: %w", err)
	}
	if st.Shortfalls, err = queryRows(ctx, tx, shortfallsSQL, nil, scanShortfall); err != nil {
		return st, fmt.Errorf("sqlstore: load funding shortfalls: %w", err)
	}
	if st.Deadlines, err = queryRows(ctx, tx, deadlinesSQL, nil, scanDeadline); err != nil {
		return st, fmt.Errorf("sqlstore: load Article 5 deadlines: %w", err)
	}
	if st.AreaYears, err = queryRowsSized(ctx, tx, "SELECT COUNT(*) FROM area_years", areaYearsSQL, scanAreaYear); err != nil {
		return st, fmt.Errorf("sqlstore: load area years: %w", err)
	}
	if st.YearEvents, err = queryRows(ctx, tx, yearEventsSQL, nil, scanYearEvents); err != nil {
		return st, fmt.Errorf("sqlstore: load year events: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM quarantine").Scan(&st.Quarantined); err != nil {
		return st, fmt.Errorf("sqlstore: load quarantine count: %w", err)
	}
	return st, nil
}

// readTx begins a read-only transaction that sees one snapshot.
func (s *Store) readTx(ctx context.Context) (*sql.Tx, error) {
	return s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: s.d.snapshot})
}

// checkpoint reads the checkpoint of the projections: the lowest sequence
// and, when every name is there at one version and sequence, that version.
func checkpoint(ctx context.Context, q querier) (seq uint64, version int, err error) {
	type row struct {
		seq     uint64
		version int
	}
	rows, err := q.QueryContext(ctx, "SELECT projection, sequence, version FROM projection_checkpoints")
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	byName := map[string]row{}
	for rows.Next() {
		var name string
		var r row
		if err := rows.Scan(&name, seqCol{&r.seq}, &r.version); err != nil {
			return 0, 0, err
		}
		byName[name] = r
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	have, mixed := false, false
	for _, name := range projections.Names {
		r, ok := byName[name]
		switch {
		case !ok:
			mixed = true
		case !have:
			seq, version, have = r.seq, r.version, true
		default:
			if r.seq != seq || r.version != version {
				mixed = true
			}
			seq = min(seq, r.seq)
		}
	}
	if len(byName) == 0 {
		return 0, 0, nil
	}
	if mixed {
		version = -1
	}
	return seq, version, nil
}

// queryRows runs a query and scans every row with scan.
func queryRows[T any](ctx context.Context, q querier, query string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	return scanRows(ctx, q, query, args, scan, nil)
}

// queryRowsSized is queryRows into a slice of the capacity count answers
// (run in the same transaction, so the two agree).
func queryRowsSized[T any](ctx context.Context, q querier, count, query string, scan func(*sql.Rows) (T, error)) ([]T, error) {
	var n int
	if err := q.QueryRowContext(ctx, count).Scan(&n); err != nil {
		return nil, err
	}
	return scanRows(ctx, q, query, nil, scan, make([]T, 0, n))
}

func scanRows[T any](ctx context.Context, q querier, query string, args []any, scan func(*sql.Rows) (T, error), out []T) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// areaSelect lists the area columns, geometry as NULL unless withGeometry.
func areaSelect(withGeometry bool) string {
	cols := strings.Join(areaCols, ", ")
	if !withGeometry {
		cols = strings.Replace(cols, "geometry", "NULL AS geometry", 1)
	}
	return cols
}

func scanArea(rows *sql.Rows) (projections.AreaRow, error) {
	var r projections.AreaRow
	err := rows.Scan(&r.ID, &r.Province, &r.District, &r.Commune, &r.Village, &r.Hazard, &r.Classification, &r.Status,
		&r.Source, &r.SizeM2, &r.RemainingM2, &r.CancelledNTSM2, &r.CancelledDeskM2, &r.ReducedM2, &r.ClearedM2,
		&r.ReopenedM2, &r.EvidenceCount, &r.DirectEvidence, &r.LandUse, &r.CasualtiesLast5y, &r.CommunityRequest,
		&r.APMinesDestroyed, &r.ATMinesDestroyed, &r.ERWDestroyed, &r.Reclassifications, &r.LastOperator,
		geomCol{&r.Geometry}, dateCol{&r.RegisteredOn}, dateCol{&r.LastActivityOn}, dateCol{&r.ReleasedOn},
		tsCol{&r.FirstRecordedAt}, tsCol{&r.LastRecordedAt}, seqCol{&r.LastSequence},
		dateCol{&r.RestrictedSince}, dateCol{&r.RestrictedUntil}, &r.RestrictionReason)
	return r, err
}

func (s *Store) deployments(ctx context.Context, q querier) ([]projections.DeploymentRow, error) {
	return queryRows(ctx, q, "SELECT "+strings.Join(deploymentCols, ", ")+" FROM deployments ORDER BY id", nil,
		func(rows *sql.Rows) (projections.DeploymentRow, error) {
			var r projections.DeploymentRow
			err := rows.Scan(&r.ID, &r.Operator, &r.Province, &r.Method, &r.Deminers, &r.Women, dateCol{&r.From},
				dateCol{&r.To}, &r.Withdrawn, &r.WithdrawReason, &r.ProductivityM2PerDeminerDay, &r.WorkingDaysPerYear,
				&r.AnnualCostUSD, seqCol{&r.LastSequence})
			return r, err
		})
}

func (s *Store) workPlans(ctx context.Context, q querier) ([]projections.WorkPlanRow, error) {
	plans, err := queryRows(ctx, q, "SELECT "+strings.Join(workPlanCols, ", ")+" FROM work_plans ORDER BY province, year", nil,
		func(rows *sql.Rows) (projections.WorkPlanRow, error) {
			var r projections.WorkPlanRow
			err := rows.Scan(&r.Province, &r.Year, &r.Revision, &r.Status, &r.ApprovedBy, &r.EndorsedBy, seqCol{&r.LastSequence})
			return r, err
		})
	if err != nil || len(plans) == 0 {
		return plans, err
	}
	at := map[projections.WorkPlanKey]int{}
	for i, p := range plans {
		at[projections.WorkPlanKey{Province: p.Province, Year: p.Year}] = i
	}
	rows, err := q.QueryContext(ctx, "SELECT province, year, area_id FROM work_plan_areas ORDER BY province, year, rank")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k projections.WorkPlanKey
		var id uuid.UUID
		if err := rows.Scan(&k.Province, &k.Year, &id); err != nil {
			return nil, err
		}
		if i, ok := at[k]; ok {
			plans[i].AreaIDs = append(plans[i].AreaIDs, id)
		}
	}
	return plans, rows.Err()
}

func (s *Store) stats(ctx context.Context, q querier, f StatFilter) ([]projections.StatRow, error) {
	var where []string
	var args []any
	if f.Year != 0 {
		where, args = append(where, "year = ?"), append(args, int64(f.Year))
	}
	if f.Province != "" {
		where, args = append(where, "province = ?"), append(args, f.Province)
	}
	query := "SELECT " + strings.Join(statKeyCols, ", ") + ", " + strings.Join(statSumCols, ", ") +
		" FROM land_release_stats" + whereClause(where) + " ORDER BY year, province, operator, method"
	return queryRows(ctx, q, s.d.bind(query), args, func(rows *sql.Rows) (projections.StatRow, error) {
		var r projections.StatRow
		err := rows.Scan(&r.Year, &r.Province, &r.Operator, &r.Method, &r.AreaM2, &r.Events, &r.EvidenceM2,
			&r.EvidenceAreas, &r.APMinesDestroyed, &r.ATMinesDestroyed, &r.ERWDestroyed, &r.Deminers, &r.Women)
		return r, err
	})
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}
