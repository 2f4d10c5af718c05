package sqlstore

import (
	"strings"
)

// table is one projection table in the shape this build writes. Its DDL
// names the table {t} and the tables it refers to with the suffix {sfx}, so
// the same text creates the live table and its rebuild shadow.
type table struct {
	name        string
	ddl         string
	constraints []string // named constraints ({t}_<name>), renamed with the table
	since       int      // the migration that created it (0: migration 1)
}

// areaRestrictionColumns are the columns of the areas table added by
// migration 3 (access restrictions): last, as ALTER TABLE adds them, and
// left out of migration 1's areas table.
const areaRestrictionColumns = `	restricted_since   {date},
	restricted_until   {date},
	restriction_reason TEXT NOT NULL DEFAULT '',
`

// deadlineDecidedColumn is the column of article5_deadlines added by
// migration 4 (the decision date the event states), left out of migration
// 1's table.
const deadlineDecidedColumn = `	decided_on        {date},
`

// Projection tables, parents before children. The order is the creation
// order; drops go the other way.
var tables = []table{
	{name: "areas", constraints: []string{"pkey"}, ddl: `CREATE TABLE {t} (
	id                 {uuid} NOT NULL,
	province           TEXT NOT NULL,
	district           TEXT NOT NULL,
	commune            TEXT NOT NULL,
	village            TEXT NOT NULL,
	hazard             TEXT NOT NULL,
	classification     TEXT NOT NULL,
	status             TEXT NOT NULL,
	source             TEXT NOT NULL,
	size_m2            BIGINT NOT NULL,
	remaining_m2       BIGINT NOT NULL,
	cancelled_nts_m2   BIGINT NOT NULL,
	cancelled_desk_m2  BIGINT NOT NULL,
	reduced_m2         BIGINT NOT NULL,
	cleared_m2         BIGINT NOT NULL,
	reopened_m2        BIGINT NOT NULL,
	evidence_count     INTEGER NOT NULL,
	direct_evidence    INTEGER NOT NULL,
	land_use           TEXT NOT NULL,
	casualties_last_5y INTEGER NOT NULL,
	community_request  {bool} NOT NULL,
	ap_mines_destroyed INTEGER NOT NULL,
	at_mines_destroyed INTEGER NOT NULL,
	erw_destroyed      INTEGER NOT NULL,
	reclassifications  INTEGER NOT NULL,
	last_operator      TEXT NOT NULL,
	geometry           TEXT,
	registered_on      {date},
	last_activity_on   {date},
	released_on        {date},
	first_recorded_at  {ts},
	last_recorded_at   {ts},
	last_sequence      BIGINT NOT NULL,
` + areaRestrictionColumns + `	CONSTRAINT {t}_pkey PRIMARY KEY (id)
)`},
	{name: "deployments", constraints: []string{"pkey"}, ddl: `CREATE TABLE {t} (
	id                              {uuid} NOT NULL,
	operator                        TEXT NOT NULL,
	province                        TEXT NOT NULL,
	method                          TEXT NOT NULL,
	deminers                        INTEGER NOT NULL,
	women                           INTEGER NOT NULL,
	starts_on                       {date},
	ends_on                         {date},
	withdrawn                       {bool} NOT NULL,
	withdraw_reason                 TEXT NOT NULL,
	productivity_m2_per_deminer_day {real} NOT NULL,
	working_days_per_year           INTEGER NOT NULL,
	annual_cost_usd                 BIGINT NOT NULL,
	last_sequence                   BIGINT NOT NULL,
	CONSTRAINT {t}_pkey PRIMARY KEY (id)
)`},
	{name: "funding_pledges", constraints: []string{"pkey"}, ddl: `CREATE TABLE {t} (
	sequence   {seqkey} NOT NULL,
	id         {uuid} NOT NULL,
	donor      TEXT NOT NULL,
	year       INTEGER NOT NULL,
	amount_usd BIGINT NOT NULL,
	operator   TEXT NOT NULL,
	province   TEXT NOT NULL,
	CONSTRAINT {t}_pkey PRIMARY KEY (sequence)
)`},
	{name: "funding_shortfalls", constraints: []string{"pkey"}, ddl: `CREATE TABLE {t} (
	sequence    {seqkey} NOT NULL,
	year        INTEGER NOT NULL,
	amount_usd  BIGINT NOT NULL,
	reason      TEXT NOT NULL,
	operator    TEXT NOT NULL,
	province    TEXT NOT NULL,
	recorded_on {date},
	CONSTRAINT {t}_pkey PRIMARY KEY (sequence)
)`},
	{name: "article5_deadlines", constraints: []string{"pkey"}, ddl: `CREATE TABLE {t} (
	sequence          {seqkey} NOT NULL,
	country           TEXT NOT NULL,
	deadline          {date},
	previous_deadline {date},
	reason            TEXT NOT NULL,
	milestones        TEXT NOT NULL,
	set_on            {date},
` + deadlineDecidedColumn + `	CONSTRAINT {t}_pkey PRIMARY KEY (sequence)
)`},
	{name: "work_plans", constraints: []string{"pkey"}, ddl: `CREATE TABLE {t} (
	province      TEXT NOT NULL,
	year          INTEGER NOT NULL,
	revision      INTEGER NOT NULL,
	status        TEXT NOT NULL,
	approved_by   TEXT NOT NULL,
	endorsed_by   TEXT NOT NULL,
	last_sequence BIGINT NOT NULL,
	CONSTRAINT {t}_pkey PRIMARY KEY (province, year)
)`},
	{name: "work_plan_areas", constraints: []string{"pkey", "plan_fkey"}, ddl: `CREATE TABLE {t} (
	province TEXT NOT NULL,
	year     INTEGER NOT NULL,
	rank     INTEGER NOT NULL,
	area_id  {uuid} NOT NULL,
	CONSTRAINT {t}_pkey PRIMARY KEY (province, year, rank),
	CONSTRAINT {t}_plan_fkey FOREIGN KEY (province, year)
		REFERENCES work_plans{sfx} (province, year) ON DELETE CASCADE
)`},
	{name: "land_release_stats", constraints: []string{"pkey"}, ddl: `CREATE TABLE {t} (
	year               INTEGER NOT NULL,
	province           TEXT NOT NULL,
	operator           TEXT NOT NULL,
	method             TEXT NOT NULL,
	area_m2            BIGINT NOT NULL,
	events             BIGINT NOT NULL,
	evidence_m2        BIGINT NOT NULL,
	evidence_areas     BIGINT NOT NULL,
	ap_mines_destroyed BIGINT NOT NULL,
	at_mines_destroyed BIGINT NOT NULL,
	erw_destroyed      BIGINT NOT NULL,
	deminers           BIGINT NOT NULL,
	women              BIGINT NOT NULL,
	CONSTRAINT {t}_pkey PRIMARY KEY (year, province, operator, method)
)`},
	{name: "audit_log", constraints: []string{"pkey"}, ddl: `CREATE TABLE {t} (
	sequence       {seqkey} NOT NULL,
	event_id       {uuid} NOT NULL,
	area_id        {uuid} NOT NULL,
	province       TEXT NOT NULL,
	action         TEXT NOT NULL,
	occurred_on    {date},
	recorded_at    {ts},
	actor          TEXT NOT NULL,
	command_id     {uuid},
	from_class     TEXT NOT NULL,
	to_class       TEXT NOT NULL,
	size_m2        BIGINT NOT NULL,
	method         TEXT NOT NULL,
	reason         TEXT NOT NULL,
	evidence       TEXT NOT NULL,
	evidence_count INTEGER NOT NULL,
	flags          TEXT NOT NULL,
	CONSTRAINT {t}_pkey PRIMARY KEY (sequence)
)`},
	// Messages of the history that are not events (see docs/security.md):
	// skipped by every reader, listed here. recorded_at is when the stream
	// stored the message, so a rebuild writes the same rows.
	{name: "quarantine", constraints: []string{"pkey"}, since: 2, ddl: `CREATE TABLE {t} (
	sequence    {seqkey} NOT NULL,
	subject     TEXT NOT NULL,
	reason      TEXT NOT NULL,
	recorded_at {ts},
	CONSTRAINT {t}_pkey PRIMARY KEY (sequence)
)`},
	// Each area as it stood on 31 December of every year in which an event
	// of it occurred, and its events of that year (projections.AreaYear):
	// the annual report reads contamination at both ends of a year here.
	{name: "area_years", constraints: []string{"pkey"}, since: 4, ddl: `CREATE TABLE {t} (
	area_id        {uuid} NOT NULL,
	year           INTEGER NOT NULL,
	registered     {bool} NOT NULL,
	province       TEXT NOT NULL,
	classification TEXT NOT NULL,
	size_m2        BIGINT NOT NULL,
	remaining_m2   BIGINT NOT NULL,
	evidence       {bool} NOT NULL,
	restricted     {bool} NOT NULL,
	events         BIGINT NOT NULL,
	first_sequence BIGINT NOT NULL,
	last_sequence  BIGINT NOT NULL,
	qa_visits      BIGINT NOT NULL,
	CONSTRAINT {t}_pkey PRIMARY KEY (area_id, year)
)`},
	// The events of each year that are not an area's, by the province they
	// name (projections.YearEventsRow).
	{name: "year_events", constraints: []string{"pkey"}, since: 4, ddl: `CREATE TABLE {t} (
	year           INTEGER NOT NULL,
	province       TEXT NOT NULL,
	events         BIGINT NOT NULL,
	first_sequence BIGINT NOT NULL,
	last_sequence  BIGINT NOT NULL,
	CONSTRAINT {t}_pkey PRIMARY KEY (year, province)
)`},
}

// indexes are the secondary indexes of the live tables: what the CLI filters
// on. A rebuild fills its shadow tables without them (faster) and creates
// them, under these names, when it swaps the tables in.
var indexes = []string{
	`CREATE INDEX areas_province_idx ON areas (province, status)`,
	`CREATE INDEX areas_status_idx ON areas (status)`,
	`CREATE INDEX audit_log_area_idx ON audit_log (area_id)`, // SQLite: sequence is the rowid, in every index
	`CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_on)`,
	`CREATE INDEX land_release_stats_province_idx ON land_release_stats (province, year)`,
	`CREATE INDEX work_plan_areas_area_idx ON work_plan_areas (area_id)`,
	auditActionIndex,
}

// auditActionIndex (migration 4) finds the audit entries of one action in a
// period and holds what a count of them needs (AuditFilter.Brief; in
// SQLite the sequence is the rowid, in every index): the annual report's
// confirmations, reclassifications and reopenings, without reading the
// year's other entries or the table.
const auditActionIndex = `CREATE INDEX audit_log_action_idx ON audit_log (action, occurred_on, province, from_class, to_class, size_m2, sequence)`

// views are recreated whenever the tables under them are swapped.
var views = []struct{ name, ddl string }{
	{"province_summary", `CREATE VIEW province_summary AS
SELECT province,
	COUNT(*) AS areas,
	CAST(SUM(CASE WHEN status <> 'RELEASED' THEN 1 ELSE 0 END) AS BIGINT) AS open_areas,
	CAST(SUM(remaining_m2) AS BIGINT) AS remaining_m2,
	CAST(SUM(CASE WHEN status = 'SHA' THEN remaining_m2 ELSE 0 END) AS BIGINT) AS remaining_sha_m2,
	CAST(SUM(CASE WHEN status = 'CHA' THEN remaining_m2 ELSE 0 END) AS BIGINT) AS remaining_cha_m2,
	CAST(SUM(cancelled_nts_m2 + cancelled_desk_m2 + reduced_m2 + cleared_m2) AS BIGINT) AS released_m2,
	CAST(SUM(cancelled_nts_m2) AS BIGINT) AS cancelled_nts_m2,
	CAST(SUM(cancelled_desk_m2) AS BIGINT) AS cancelled_desk_m2,
	CAST(SUM(reduced_m2) AS BIGINT) AS reduced_m2,
	CAST(SUM(cleared_m2) AS BIGINT) AS cleared_m2,
	CAST(SUM(reopened_m2) AS BIGINT) AS reopened_m2
FROM areas
GROUP BY province`},
}

// Bookkeeping tables: never shadowed, rewritten in place.
const (
	migrationsDDL = `CREATE TABLE schema_migrations (
	version     INTEGER NOT NULL PRIMARY KEY,
	description TEXT NOT NULL,
	applied_at  {ts} NOT NULL
)`
	checkpointsDDL = `CREATE TABLE projection_checkpoints (
	projection TEXT NOT NULL PRIMARY KEY,
	sequence   BIGINT NOT NULL,
	version    INTEGER NOT NULL,
	updated_at {ts} NOT NULL
)`
)

// shadowSuffix names the tables a rebuild fills.
const shadowSuffix = "_rebuild"

// createTableSQL returns the DDL of t under the suffix sfx ("" for live).
func (d dialect) createTableSQL(t table, sfx string) string {
	return d.ddl(strings.NewReplacer("{t}", t.name+sfx, "{sfx}", sfx).Replace(t.ddl))
}
