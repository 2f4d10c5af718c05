package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// The read methods below serve the CLI and the HTTP API. Each reads the
// committed state at the moment it runs; none writes.

// AreaFilter selects areas; zero fields select everything.
type AreaFilter struct {
	Province string
	Status   string // SHA, CHA or RELEASED
	Limit    int    // 0: no limit
	Offset   int
}

// Areas returns the areas that match f, with geometry, ordered by province
// then ID.
func (s *Store) Areas(ctx context.Context, f AreaFilter) ([]projections.AreaRow, error) {
	var where []string
	var args []any
	if f.Province != "" {
		where, args = append(where, "province = ?"), append(args, f.Province)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	q := "SELECT " + areaSelect(true) + " FROM areas" + whereClause(where) + " ORDER BY province, id" + limit(f.Limit, f.Offset, &args)
	rows, err := queryRows(ctx, s.db, s.d.bind(q), args, scanArea)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: areas: %w", err)
	}
	return rows, nil
}

// Area returns one area with its geometry, or an error that is
// domain.ErrNotFound when the register has no such area.
func (s *Store) Area(ctx context.Context, id uuid.UUID) (projections.AreaRow, error) {
	rows, err := queryRows(ctx, s.db, s.d.bind("SELECT "+areaSelect(true)+" FROM areas WHERE id = ?"), []any{id.String()}, scanArea)
	if err != nil {
		return projections.AreaRow{}, fmt.Errorf("sqlstore: area %s: %w", id, err)
	}
	if len(rows) == 0 {
		return projections.AreaRow{}, fmt.Errorf("sqlstore: area %s is not in the register: %w", id, domain.ErrNotFound)
	}
	return rows[0], nil
}

// ProvinceSummaryRow is one row of the province_summary view: the register
// of a province in figures (m²).
type ProvinceSummaryRow struct {
	Province        string
	Areas           int64 // areas in the register
	OpenAreas       int64 // areas not released
	RemainingM2     int64
	RemainingSHAM2  int64 // remaining in suspected hazardous areas
	RemainingCHAM2  int64 // remaining in confirmed hazardous areas
	ReleasedM2      int64 // cancelled + reduced + cleared
	CancelledNTSM2  int64
	CancelledDeskM2 int64
	ReducedM2       int64
	ClearedM2       int64
	ReopenedM2      int64
}

// ProvinceSummary returns the province_summary view, ordered by province.
func (s *Store) ProvinceSummary(ctx context.Context) ([]ProvinceSummaryRow, error) {
	rows, err := queryRows(ctx, s.db, `SELECT province, areas, open_areas, remaining_m2, remaining_sha_m2, remaining_cha_m2,
	released_m2, cancelled_nts_m2, cancelled_desk_m2, reduced_m2, cleared_m2, reopened_m2
FROM province_summary ORDER BY province`, nil, func(rows *sql.Rows) (ProvinceSummaryRow, error) {
		var r ProvinceSummaryRow
		err := rows.Scan(&r.Province, &r.Areas, &r.OpenAreas, &r.RemainingM2, &r.RemainingSHAM2, &r.RemainingCHAM2,
			&r.ReleasedM2, &r.CancelledNTSM2, &r.CancelledDeskM2, &r.ReducedM2, &r.ClearedM2, &r.ReopenedM2)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: province summary: %w", err)
	}
	return rows, nil
}

// StatFilter selects statistics rows; zero fields select everything.
type StatFilter struct {
	Year     int
	Province string
}

// Stats returns the land-release statistics that match f, in key order
// (year, province, operator, method).
func (s *Store) Stats(ctx context.Context, f StatFilter) ([]projections.StatRow, error) {
	rows, err := s.stats(ctx, s.db, f)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: statistics: %w", err)
	}
	return rows, nil
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	AreaID uuid.UUID
	From   events.Date // occurred on or after
	To     events.Date // occurred on or before
	Action string      // REGISTERED, CONFIRMED, CANCELLED, …
	Flag   string      // entries carrying this flag
	Limit  int         // 0: no limit
	// Brief fills only sequence, province, action, occurred_on, from_class,
	// to_class and size_m2: with Action and a period, the index by action
	// holds them all, so the table itself is not read.
	Brief bool
}

// Audit returns the audit entries that match f, in sequence order.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]projections.AuditRow, error) {
	q, args, scan := s.auditQuery(f)
	rows, err := queryRows(ctx, s.db, q, args, scan)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: audit: %w", err)
	}
	return rows, nil
}

// EachAudit calls fn with each audit entry that matches f, in sequence
// order, as the cursor reads it: the trail of a large register (millions
// of entries) is never held. An error of fn stops the reading and is
// returned as it is. fn must not use the store.
func (s *Store) EachAudit(ctx context.Context, f AuditFilter, fn func(projections.AuditRow) error) error {
	q, args, scan := s.auditQuery(f)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return fmt.Errorf("sqlstore: audit: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: audit: %w", err)
	}
	return nil
}

// auditQuery is the SELECT of the audit entries that match f, bound for
// the dialect, its arguments and the scan of its columns.
func (s *Store) auditQuery(f AuditFilter) (string, []any, func(*sql.Rows) (projections.AuditRow, error)) {
	var where []string
	var args []any
	if f.AreaID != uuid.Nil {
		where, args = append(where, "area_id = ?"), append(args, f.AreaID.String())
	}
	if !f.From.IsZero() {
		where, args = append(where, "occurred_on >= ?"), append(args, s.d.date(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "occurred_on <= ?"), append(args, s.d.date(f.To))
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Flag != "" {
		where = append(where, `(',' || flags || ',') LIKE ? ESCAPE '\'`)
		args = append(args, "%,"+likeEscaper.Replace(f.Flag)+",%")
	}
	cols, scan := auditCols, scanAudit
	if f.Brief {
		cols, scan = auditBriefCols, scanAuditBrief
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM audit_log" + whereClause(where) + " ORDER BY sequence" + limit(f.Limit, 0, &args)
	return s.d.bind(q), args, scan
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Quarantine returns the messages of the history the projections skipped
// because they are not events (see docs/security.md), in sequence order; at
// most n of them (0: all).
func (s *Store) Quarantine(ctx context.Context, n int) ([]events.Quarantined, error) {
	var args []any
	q := "SELECT " + strings.Join(quarantineCols, ", ") + " FROM quarantine ORDER BY sequence" + limit(n, 0, &args)
	rows, err := queryRows(ctx, s.db, s.d.bind(q), args, scanQuarantined)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: quarantine: %w", err)
	}
	return rows, nil
}

func scanQuarantined(rows *sql.Rows) (events.Quarantined, error) {
	var r events.Quarantined
	err := rows.Scan(seqCol{&r.Sequence}, &r.Subject, &r.Reason, tsCol{&r.StoredAt})
	return r, err
}

// AuditTrail returns every audit entry in sequence order.
func (s *Store) AuditTrail(ctx context.Context) ([]projections.AuditRow, error) {
	return s.Audit(ctx, AuditFilter{})
}

// auditBriefCols are the columns of a brief audit entry: those of the index
// by action.
var auditBriefCols = []string{"sequence", "province", "action", "occurred_on", "from_class", "to_class", "size_m2"}

func scanAuditBrief(rows *sql.Rows) (projections.AuditRow, error) {
	var r projections.AuditRow
	err := rows.Scan(seqCol{&r.Sequence}, &r.Province, &r.Action, dateCol{&r.OccurredOn}, &r.FromClass, &r.ToClass, &r.SizeM2)
	return r, err
}

func scanAudit(rows *sql.Rows) (projections.AuditRow, error) {
	var r projections.AuditRow
	var cmd uuid.NullUUID
	err := rows.Scan(seqCol{&r.Sequence}, &r.EventID, &r.AreaID, &r.Province, &r.Action, dateCol{&r.OccurredOn},
		tsCol{&r.RecordedAt}, &r.Actor, &cmd, &r.FromClass, &r.ToClass, &r.SizeM2, &r.Method, &r.Reason,
		jsonCol{&r.Evidence}, &r.EvidenceCount, flagsCol{&r.Flags})
	r.CommandID = cmd.UUID
	return r, err
}

// Deployments returns every deployment, ordered by ID.
func (s *Store) Deployments(ctx context.Context) ([]projections.DeploymentRow, error) {
	rows, err := s.deployments(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: deployments: %w", err)
	}
	return rows, nil
}

// WorkPlans returns every province's latest work plan with its ranked areas,
// ordered by province and year.
func (s *Store) WorkPlans(ctx context.Context) ([]projections.WorkPlanRow, error) {
	tx, err := s.readTx(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: work plans: %w", err)
	}
	defer tx.Rollback()
	rows, err := s.workPlans(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: work plans: %w", err)
	}
	return rows, nil
}

// Pledges returns every funding pledge in sequence order.
func (s *Store) Pledges(ctx context.Context) ([]projections.PledgeRow, error) {
	rows, err := queryRows(ctx, s.db, pledgesSQL, nil, scanPledge)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: funding pledges: %w", err)
	}
	return rows, nil
}

// Shortfalls returns every recorded funding shortfall in sequence order.
func (s *Store) Shortfalls(ctx context.Context) ([]projections.ShortfallRow, error) {
	rows, err := queryRows(ctx, s.db, shortfallsSQL, nil, scanShortfall)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: funding shortfalls: %w", err)
	}
	return rows, nil
}

// Deadlines returns every setting of the Article 5 deadline in sequence
// order: the last one is in force.
func (s *Store) Deadlines(ctx context.Context) ([]projections.DeadlineRow, error) {
	rows, err := queryRows(ctx, s.db, deadlinesSQL, nil, scanDeadline)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: Article 5 deadlines: %w", err)
	}
	return rows, nil
}

var (
	pledgesSQL    = "SELECT " + strings.Join(pledgeCols, ", ") + " FROM funding_pledges ORDER BY sequence"
	shortfallsSQL = "SELECT " + strings.Join(shortfallCols, ", ") + " FROM funding_shortfalls ORDER BY sequence"
	deadlinesSQL  = "SELECT " + strings.Join(deadlineCols, ", ") + " FROM article5_deadlines ORDER BY sequence"
	areaYearsSQL  = "SELECT " + strings.Join(areaYearCols, ", ") + " FROM area_years ORDER BY area_id, year"
	yearEventsSQL = "SELECT " + strings.Join(yearEventCols, ", ") + " FROM year_events ORDER BY year, province"
)

func scanAreaYear(rows *sql.Rows) (projections.AreaYear, error) {
	var r projections.AreaYear
	err := rows.Scan(&r.AreaID, &r.Year, &r.Registered, &r.Province, &r.Classification, &r.SizeM2, &r.RemainingM2,
		&r.Evidence, &r.Restricted, &r.Events, seqCol{&r.FirstSequence}, seqCol{&r.LastSequence}, &r.QAVisits)
	return r, err
}

func scanYearEvents(rows *sql.Rows) (projections.YearEventsRow, error) {
	var r projections.YearEventsRow
	err := rows.Scan(&r.Year, &r.Province, &r.Events, seqCol{&r.FirstSequence}, seqCol{&r.LastSequence})
	return r, err
}

func scanPledge(rows *sql.Rows) (projections.PledgeRow, error) {
	var r projections.PledgeRow
	err := rows.Scan(seqCol{&r.Sequence}, &r.ID, &r.Donor, &r.Year, &r.AmountUSD, &r.Operator, &r.Province)
	return r, err
}

func scanShortfall(rows *sql.Rows) (projections.ShortfallRow, error) {
	var r projections.ShortfallRow
	err := rows.Scan(seqCol{&r.Sequence}, &r.Year, &r.AmountUSD, &r.Reason, &r.Operator, &r.Province, dateCol{&r.RecordedOn})
	return r, err
}

func scanDeadline(rows *sql.Rows) (projections.DeadlineRow, error) {
	var r projections.DeadlineRow
	err := rows.Scan(seqCol{&r.Sequence}, &r.Country, dateCol{&r.Deadline}, dateCol{&r.PreviousDeadline}, &r.Reason,
		jsonCol{&r.Milestones}, dateCol{&r.SetOn}, dateCol{&r.DecidedOn})
	return r, err
}

// Checkpoint returns the last event sequence committed (0 when empty).
func (s *Store) Checkpoint(ctx context.Context) (uint64, error) {
	seq, _, err := checkpoint(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: checkpoint: %w", err)
	}
	return seq, nil
}

// limit returns the LIMIT/OFFSET clause for n and off (0: none), adding its
// arguments.
func limit(n, off int, args *[]any) string {
	if n <= 0 && off <= 0 {
		return ""
	}
	lim := int64(n)
	if n <= 0 {
		lim = math.MaxInt64 // SQLite wants a LIMIT before OFFSET
	}
	*args = append(*args, lim, int64(off))
	return " LIMIT ? OFFSET ?"
}
