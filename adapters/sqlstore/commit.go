package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// Commit writes c and moves the checkpoint of every projection to
// c.Sequence (with projections.NationalVersion), in one transaction: all of
// it or none. Areas and deployments are upserted (an area without Geometry
// keeps the stored one), work plans replace their area lists, statistics
// are added to the stored figures, pledges, shortfalls, deadlines, audit
// rows and quarantined messages are inserted (a sequence already stored is an error).
//
// Changes that hold rows must move the checkpoint forward; empty ones may
// leave it where it is. Otherwise Commit fails with ErrCheckpointBehind and
// writes nothing: these changes were committed before (a retry after a lost
// reply would add the statistics twice), or another writer is committing to
// the same read model.
func (s *Store) Commit(ctx context.Context, c projections.Changes) error {
	err := s.commit(ctx, s.db, s.live, c, true, s.prepared)
	var known *Error
	if err != nil && !errors.As(err, &known) {
		err = fmt.Errorf("sqlstore: commit up to sequence %d: %w", c.Sequence, err)
	}
	return err
}

// beginner is a *sql.DB or one of its connections.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// commit writes c in one transaction on db; cache, if not nil, keeps the
// small statements prepared (the live tables' only).
func (s *Store) commit(ctx context.Context, db beginner, st *statements, c projections.Changes, checkpoint bool, cache *stmtCache) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := &writer{ctx: ctx, tx: tx, d: s.d, cache: cache}
	if checkpoint {
		// First, so that concurrent writers queue on the checkpoint rows.
		if err := w.checkpoint(c.Sequence, !c.Empty(), time.Now()); err != nil {
			return err
		}
	}
	if err := w.write(st, c); err != nil {
		return err
	}
	return tx.Commit()
}

// writer writes one Changes inside one transaction.
type writer struct {
	ctx   context.Context
	tx    *sql.Tx
	d     dialect
	cache *stmtCache // nil: every statement prepared in the transaction
	args  []any
}

// exec runs query with args, through the cache when there is one.
func (w *writer) exec(query string, args ...any) (sql.Result, error) {
	if w.cache == nil {
		return w.tx.ExecContext(w.ctx, query, args...)
	}
	st, err := w.cache.in(w.ctx, w.tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *writer) write(st *statements, c projections.Changes) error {
	areas := dedupeAreas(c.Areas)
	if err := w.insert(st.areas, len(areas), func(a []any, i int) []any { return w.areaArgs(a, &areas[i]) }); err != nil {
		return fmt.Errorf("areas: %w", err)
	}
	deps := dedupe(c.Deployments, func(r projections.DeploymentRow) uuid.UUID { return r.ID })
	if err := w.insert(st.deployments, len(deps), func(a []any, i int) []any { return w.deploymentArgs(a, &deps[i]) }); err != nil {
		return fmt.Errorf("deployments: %w", err)
	}
	if err := w.insert(st.pledges, len(c.Pledges), func(a []any, i int) []any {
		p := &c.Pledges[i]
		return append(a, int64(p.Sequence), p.ID.String(), p.Donor, int64(p.Year), p.AmountUSD, p.Operator, p.Province)
	}); err != nil {
		return fmt.Errorf("funding pledges: %w", err)
	}
	if err := w.insert(st.shortfalls, len(c.Shortfalls), func(a []any, i int) []any {
		r := &c.Shortfalls[i]
		return append(a, int64(r.Sequence), int64(r.Year), r.AmountUSD, r.Reason, r.Operator, r.Province, w.d.date(r.RecordedOn))
	}); err != nil {
		return fmt.Errorf("funding shortfalls: %w", err)
	}
	milestones, err := jsonLists(c.Deadlines, func(r *projections.DeadlineRow) []events.Milestone { return r.Milestones })
	if err != nil {
		return fmt.Errorf("Article 5 milestones: %w", err)
	}
	if err := w.insert(st.deadlines, len(c.Deadlines), func(a []any, i int) []any {
		r := &c.Deadlines[i]
		return append(a, int64(r.Sequence), r.Country, w.d.date(r.Deadline), w.d.date(r.PreviousDeadline), r.Reason,
			milestones[i], w.d.date(r.SetOn), w.d.date(r.DecidedOn))
	}); err != nil {
		return fmt.Errorf("Article 5 deadlines: %w", err)
	}
	if err := w.workPlans(st, c.WorkPlans); err != nil {
		return fmt.Errorf("work plans: %w", err)
	}
	stats := mergeStats(c.Stats)
	if err := w.insert(st.stats, len(stats), func(a []any, i int) []any {
		r := &stats[i]
		return append(a, int64(r.Year), r.Province, r.Operator, r.Method, r.AreaM2, r.Events, r.EvidenceM2, r.EvidenceAreas,
			r.APMinesDestroyed, r.ATMinesDestroyed, r.ERWDestroyed, r.Deminers, r.Women)
	}); err != nil {
		return fmt.Errorf("land-release statistics: %w", err)
	}
	evidence, err := jsonLists(c.Audit, func(r *projections.AuditRow) []events.Evidence { return r.Evidence })
	if err != nil {
		return fmt.Errorf("audit evidence: %w", err)
	}
	if err := w.insert(st.audit, len(c.Audit), func(a []any, i int) []any { return w.auditArgs(a, &c.Audit[i], evidence[i]) }); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := w.insert(st.quarantine, len(c.Quarantined), func(a []any, i int) []any {
		q := &c.Quarantined[i]
		var at any
		if !q.StoredAt.IsZero() {
			at = w.d.ts(q.StoredAt)
		}
		return append(a, int64(q.Sequence), q.Subject, q.Reason, at)
	}); err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	type yearKey struct {
		id   uuid.UUID
		year int
	}
	years := dedupe(c.AreaYears, func(r projections.AreaYear) yearKey { return yearKey{r.AreaID, r.Year} })
	if err := w.insert(st.areaYears, len(years), func(a []any, i int) []any {
		r := &years[i]
		return append(a, r.AreaID.String(), int64(r.Year), r.Registered, r.Province, r.Classification, r.SizeM2, r.RemainingM2,
			r.Evidence, r.Restricted, r.Events, int64(r.FirstSequence), int64(r.LastSequence), r.QAVisits)
	}); err != nil {
		return fmt.Errorf("area years: %w", err)
	}
	counts := dedupe(c.YearEvents, func(r projections.YearEventsRow) projections.YearKey { return r.YearKey })
	if err := w.insert(st.yearEvents, len(counts), func(a []any, i int) []any {
		r := &counts[i]
		return append(a, int64(r.Year), r.Province, r.Events, int64(r.FirstSequence), int64(r.LastSequence))
	}); err != nil {
		return fmt.Errorf("year events: %w", err)
	}
	return nil
}

// insert writes n rows through spec, a full batch at a time with the
// statement prepared once in the transaction; args appends row i's values.
func (w *writer) insert(spec *insertSpec, n int, args func(a []any, i int) []any) error {
	var full *sql.Stmt
	for start := 0; start < n; start += spec.rowsPer {
		end := min(n, start+spec.rowsPer)
		a := w.args[:0]
		for i := start; i < end; i++ {
			a = args(a, i)
		}
		w.args = a
		var err error
		if end-start == spec.rowsPer {
			if full == nil {
				if full, err = w.tx.PrepareContext(w.ctx, spec.full); err != nil {
					return err
				}
				defer full.Close()
			}
			_, err = full.ExecContext(w.ctx, a...)
		} else if w.cache != nil && end-start <= cachedRows {
			_, err = w.exec(spec.sql(w.d, end-start), a...)
		} else {
			_, err = w.tx.ExecContext(w.ctx, spec.sql(w.d, end-start), a...)
		}
		if err != nil {
			return err
		}
	}
	clear(w.args) // let the row values go
	return nil
}

func (w *writer) areaArgs(a []any, r *projections.AreaRow) []any {
	var geom any
	if len(r.Geometry) > 0 {
		geom = string(r.Geometry)
	}
	return append(a, r.ID.String(), r.Province, r.District, r.Commune, r.Village, r.Hazard, r.Classification, r.Status,
		r.Source, r.SizeM2, r.RemainingM2, r.CancelledNTSM2, r.CancelledDeskM2, r.ReducedM2, r.ClearedM2,
		r.ReopenedM2, int64(r.EvidenceCount), int64(r.DirectEvidence), r.LandUse, int64(r.CasualtiesLast5y), r.CommunityRequest,
		int64(r.APMinesDestroyed), int64(r.ATMinesDestroyed), int64(r.ERWDestroyed), int64(r.Reclassifications), r.LastOperator, geom,
		w.d.date(r.RegisteredOn), w.d.date(r.LastActivityOn), w.d.date(r.ReleasedOn), w.d.ts(r.FirstRecordedAt),
		w.d.ts(r.LastRecordedAt), int64(r.LastSequence),
		w.d.date(r.RestrictedSince), w.d.date(r.RestrictedUntil), r.RestrictionReason)
}

func (w *writer) deploymentArgs(a []any, r *projections.DeploymentRow) []any {
	return append(a, r.ID.String(), r.Operator, r.Province, r.Method, int64(r.Deminers), int64(r.Women), w.d.date(r.From),
		w.d.date(r.To), r.Withdrawn, r.WithdrawReason, r.ProductivityM2PerDeminerDay, int64(r.WorkingDaysPerYear),
		r.AnnualCostUSD, int64(r.LastSequence))
}

func (w *writer) auditArgs(a []any, r *projections.AuditRow, evidence string) []any {
	var cmd any
	if r.CommandID != uuid.Nil {
		cmd = r.CommandID.String()
	}
	return append(a, int64(r.Sequence), r.EventID.String(), r.AreaID.String(), r.Province, r.Action,
		w.d.date(r.OccurredOn), w.d.ts(r.RecordedAt), r.Actor, cmd, r.FromClass, r.ToClass, r.SizeM2, r.Method, r.Reason,
		evidence, int64(r.EvidenceCount), strings.Join(r.Flags, ","))
}

// workPlans upserts each plan and replaces its list of areas.
func (w *writer) workPlans(st *statements, plans []projections.WorkPlanRow) error {
	plans = dedupe(plans, func(r projections.WorkPlanRow) projections.WorkPlanKey {
		return projections.WorkPlanKey{Province: r.Province, Year: r.Year}
	})
	if len(plans) == 0 {
		return nil
	}
	if err := w.insert(st.workPlans, len(plans), func(a []any, i int) []any {
		p := &plans[i]
		return append(a, p.Province, int64(p.Year), int64(p.Revision), p.Status, p.ApprovedBy, p.EndorsedBy, int64(p.LastSequence))
	}); err != nil {
		return err
	}
	type planArea struct {
		p    *projections.WorkPlanRow
		rank int
	}
	var rows []planArea
	for i := range plans {
		p := &plans[i]
		if _, err := w.tx.ExecContext(w.ctx, st.deletePlanAreas, p.Province, int64(p.Year)); err != nil {
			return err
		}
		for r := range p.AreaIDs {
			rows = append(rows, planArea{p, r})
		}
	}
	return w.insert(st.planAreas, len(rows), func(a []any, i int) []any {
		r := rows[i]
		return append(a, r.p.Province, int64(r.p.Year), int64(r.rank+1), r.p.AreaIDs[r.rank].String())
	})
}

// checkpoint moves every projection's checkpoint to seq: forward, or (when
// the changes hold no rows, forward is false) where it is.
func (w *writer) checkpoint(seq uint64, forward bool, now time.Time) error {
	q := w.d.bind(`INSERT INTO projection_checkpoints (projection, sequence, version, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (projection) DO UPDATE SET sequence = excluded.sequence, version = excluded.version, updated_at = excluded.updated_at
WHERE projection_checkpoints.sequence <= ?`)
	highest := int64(seq) // the stored checkpoint may be at most this
	if forward {
		highest--
	}
	for _, name := range projections.Names {
		res, err := w.exec(q, name, int64(seq), int64(projections.NationalVersion), w.d.ts(now), highest)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			var stored int64
			_ = w.tx.QueryRowContext(w.ctx, w.d.bind(`SELECT sequence FROM projection_checkpoints WHERE projection = ?`), name).Scan(&stored)
			return &Error{Kind: ErrCheckpointBehind, Msg: fmt.Sprintf(
				"the %s checkpoint is already at sequence %d: changes up to %d were committed before, or another writer is committing to this read model",
				name, stored, seq)}
		}
	}
	return nil
}

// jsonLists encodes each list as a JSON array ("[]" when empty).
func jsonLists[R, T any](rows []R, list func(*R) []T) ([]string, error) {
	out := make([]string, len(rows))
	for i := range rows {
		v := list(&rows[i])
		if len(v) == 0 {
			out[i] = "[]"
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out[i] = string(b)
	}
	return out, nil
}

// dedupeAreas keeps the last row of each area (one statement cannot upsert a
// row twice), with the latest geometry given for it.
func dedupeAreas(rows []projections.AreaRow) []projections.AreaRow {
	last := make(map[uuid.UUID]int, len(rows))
	for i := range rows {
		last[rows[i].ID] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]projections.AreaRow, 0, len(last))
	geom := map[uuid.UUID]json.RawMessage{}
	for i, r := range rows {
		if len(r.Geometry) > 0 {
			geom[r.ID] = r.Geometry
		}
		if last[r.ID] == i {
			r.Geometry = geom[r.ID]
			out = append(out, r)
		}
	}
	return out
}

// dedupe keeps the last row of each key, in the order of last appearance.
func dedupe[T any, K comparable](rows []T, key func(T) K) []T {
	last := make(map[K]int, len(rows))
	for i, r := range rows {
		last[key(r)] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]T, 0, len(last))
	for i, r := range rows {
		if last[key(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// mergeStats adds up deltas that share a key (one statement cannot upsert a
// row twice).
func mergeStats(rows []projections.StatRow) []projections.StatRow {
	at := make(map[projections.StatKey]int, len(rows))
	var out []projections.StatRow
	for _, r := range rows {
		if i, ok := at[r.StatKey]; ok {
			o := &out[i]
			o.AreaM2 += r.AreaM2
			o.Events += r.Events
			o.EvidenceM2 += r.EvidenceM2
			o.EvidenceAreas += r.EvidenceAreas
			o.APMinesDestroyed += r.APMinesDestroyed
			o.ATMinesDestroyed += r.ATMinesDestroyed
			o.ERWDestroyed += r.ERWDestroyed
			o.Deminers += r.Deminers
			o.Women += r.Women
			continue
		}
		at[r.StatKey] = len(out)
		out = append(out, r)
	}
	return out
}
