package sqlstore

import (
	"strconv"
	"strings"
)

// Column lists, in the order rows are bound and scanned.
var (
	areaCols = []string{"id", "province", "district", "commune", "village", "hazard", "classification", "status",
		"source", "size_m2", "remaining_m2", "cancelled_nts_m2", "cancelled_desk_m2", "reduced_m2", "cleared_m2",
		"reopened_m2", "evidence_count", "direct_evidence", "land_use", "casualties_last_5y", "community_request",
		"ap_mines_destroyed", "at_mines_destroyed", "erw_destroyed", "reclassifications", "last_operator", "geometry",
		"registered_on", "last_activity_on", "released_on", "first_recorded_at", "last_recorded_at", "last_sequence",
		"restricted_since", "restricted_until", "restriction_reason"}
	deploymentCols = []string{"id", "operator", "province", "method", "deminers", "women", "starts_on", "ends_on",
		"withdrawn", "withdraw_reason", "productivity_m2_per_deminer_day", "working_days_per_year", "annual_cost_usd",
		"last_sequence"}
	pledgeCols    = []string{"sequence", "id", "donor", "year", "amount_usd", "operator", "province"}
	shortfallCols = []string{"sequence", "year", "amount_usd", "reason", "operator", "province", "recorded_on"}
	deadlineCols  = []string{"sequence", "country", "deadline", "previous_deadline", "reason", "milestones", "set_on", "decided_on"}
	workPlanCols  = []string{"province", "year", "revision", "status", "approved_by", "endorsed_by", "last_sequence"}
	planAreaCols  = []string{"province", "year", "rank", "area_id"}
	statKeyCols   = []string{"year", "province", "operator", "method"}
	statSumCols   = []string{"area_m2", "events", "evidence_m2", "evidence_areas", "ap_mines_destroyed",
		"at_mines_destroyed", "erw_destroyed", "deminers", "women"}
	auditCols = []string{"sequence", "event_id", "area_id", "province", "action", "occurred_on", "recorded_at", "actor",
		"command_id", "from_class", "to_class", "size_m2", "method", "reason", "evidence", "evidence_count", "flags"}
	quarantineCols = []string{"sequence", "subject", "reason", "recorded_at"}
	areaYearCols   = []string{"area_id", "year", "registered", "province", "classification", "size_m2", "remaining_m2",
		"evidence", "restricted", "events", "first_sequence", "last_sequence", "qa_visits"}
	yearEventCols = []string{"year", "province", "events", "first_sequence", "last_sequence"}
)

// maxBatchRows caps the rows of one multi-row INSERT. Past a hundred or so
// a statement gets longer without getting faster.
const maxBatchRows = 128

// insertSpec is a multi-row INSERT into one table: head VALUES (…),(…) tail.
type insertSpec struct {
	head    string // INSERT INTO t (cols) VALUES
	tail    string // ON CONFLICT … or ""
	cols    int
	rowsPer int    // rows of a full batch
	full    string // the statement for a full batch, bound for the dialect
}

func newInsert(d dialect, tbl string, cols []string, tail string) *insertSpec {
	sp := &insertSpec{
		head: d.insert + tbl + " (" + strings.Join(cols, ", ") + ") VALUES ",
		tail: tail,
		cols: len(cols),
	}
	sp.rowsPer = min(maxBatchRows, d.maxParams/len(cols))
	sp.full = sp.sql(d, sp.rowsPer)
	return sp
}

// sql returns the statement for rows rows.
func (sp *insertSpec) sql(d dialect, rows int) string {
	var b strings.Builder
	b.Grow(len(sp.head) + len(sp.tail) + rows*sp.cols*6)
	b.WriteString(sp.head)
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < sp.cols; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			n++
			if d.dollar {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	if sp.tail != "" {
		b.WriteByte(' ')
		b.WriteString(sp.tail)
	}
	return b.String()
}

// upsert returns ON CONFLICT (key) DO UPDATE SET col = excluded.col for
// every other column.
func upsert(key []string, cols []string, set func(col string) string) string {
	isKey := map[string]bool{}
	for _, k := range key {
		isKey[k] = true
	}
	var sets []string
	for _, c := range cols {
		if isKey[c] {
			continue
		}
		v := "excluded." + c
		if set != nil {
			v = set(c)
		}
		sets = append(sets, c+" = "+v)
	}
	return "ON CONFLICT (" + strings.Join(key, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", ")
}

// statements are the writes of a Commit into one set of tables: the live
// ones (suffix "") or a rebuild's shadows.
type statements struct {
	sfx                                     string
	areas, deployments, pledges, shortfalls *insertSpec
	deadlines, workPlans, planAreas, audit  *insertSpec
	stats, quarantine                       *insertSpec
	areaYears, yearEvents                   *insertSpec
	deletePlanAreas                         string
}

func newStatements(d dialect, sfx string) *statements {
	t := func(name string) string { return name + sfx }
	areas := t("areas")
	stats := t("land_release_stats")
	return &statements{
		sfx: sfx,
		// A row without geometry keeps the stored one.
		areas: newInsert(d, areas, areaCols, upsert([]string{"id"}, areaCols, func(c string) string {
			if c == "geometry" {
				return "COALESCE(excluded.geometry, " + areas + ".geometry)"
			}
			return "excluded." + c
		})),
		deployments: newInsert(d, t("deployments"), deploymentCols, upsert([]string{"id"}, deploymentCols, nil)),
		pledges:     newInsert(d, t("funding_pledges"), pledgeCols, ""),
		shortfalls:  newInsert(d, t("funding_shortfalls"), shortfallCols, ""),
		deadlines:   newInsert(d, t("article5_deadlines"), deadlineCols, ""),
		workPlans:   newInsert(d, t("work_plans"), workPlanCols, upsert([]string{"province", "year"}, workPlanCols, nil)),
		planAreas:   newInsert(d, t("work_plan_areas"), planAreaCols, ""),
		// Statistics are deltas: they add up.
		stats: newInsert(d, stats, append(append([]string(nil), statKeyCols...), statSumCols...),
			upsert(statKeyCols, statSumCols, func(c string) string { return stats + "." + c + " + excluded." + c })),
		audit:      newInsert(d, t("audit_log"), auditCols, ""),
		quarantine: newInsert(d, t("quarantine"), quarantineCols, ""),
		// Full rows: the latest state of each key.
		areaYears:       newInsert(d, t("area_years"), areaYearCols, upsert([]string{"area_id", "year"}, areaYearCols, nil)),
		yearEvents:      newInsert(d, t("year_events"), yearEventCols, upsert([]string{"year", "province"}, yearEventCols, nil)),
		deletePlanAreas: d.bind("DELETE FROM " + t("work_plan_areas") + " WHERE province = ? AND year = ?"),
	}
}
