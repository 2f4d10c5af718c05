package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migration brings a read model from version-1 to version. Each runs in the
// transaction that records it in schema_migrations.
type migration struct {
	version     int
	description string
	apply       func(ctx context.Context, tx *sql.Tx, d dialect) error
}

// migrations, in order; the last version is the schema this build writes.
//
// Rule for changes: migration 1 creates the tables as declared in schema.go
// when it was written. Once a build with it has shipped, a change to a table
// in schema.go (which is what a rebuild creates) must come with a new
// migration that brings an existing read model to the same shape, and
// migration 1 must keep creating the old shape (copy its DDL here first).
// TestMigratedSchemaMatchesRebuild checks that both paths agree.
var migrations = []migration{
	{1, "register, deployments, funding, Article 5, work plans, statistics, audit, checkpoints", migrate1},
	{2, "quarantine: messages of the history that are not events", migrate2},
	{3, "areas: access restrictions (restricted since, expected until, reason)", migrate3},
	{4, "area_years, year_events: year-end states for the annual report; deadlines: decided_on; audit by action", migrate4},
}

// schemaVersion is the version of the schema this build writes.
func schemaVersion() int { return migrations[len(migrations)-1].version }

func migrate1(ctx context.Context, tx *sql.Tx, d dialect) error {
	stmts := []string{d.ddl(checkpointsDDL)}
	for _, t := range tables {
		if t.since <= 1 {
			if t.name == "areas" { // as it was before migration 3
				t.ddl = strings.Replace(t.ddl, areaRestrictionColumns, "", 1)
			}
			if t.name == "article5_deadlines" { // as it was before migration 4
				t.ddl = strings.Replace(t.ddl, deadlineDecidedColumn, "", 1)
			}
			stmts = append(stmts, d.createTableSQL(t, ""))
		}
	}
	for _, ix := range indexes {
		if ix != auditActionIndex { // migration 4's
			stmts = append(stmts, ix)
		}
	}
	for _, v := range views {
		stmts = append(stmts, v.ddl)
	}
	return execAll(ctx, tx, stmts)
}

// migrate2 adds the quarantine list. A read model that predates it was
// written by a build that stopped at the first such message, so it holds
// none of them yet: the list starts empty and catch-up fills it.
func migrate2(ctx context.Context, tx *sql.Tx, d dialect) error {
	for _, t := range tables {
		if t.since == 2 {
			return execAll(ctx, tx, []string{d.createTableSQL(t, "")})
		}
	}
	return fmt.Errorf("no table of migration 2")
}

// migrate3 adds the access restriction of an area. A read model that
// predates it was written by a build that knew no AccessRestricted event,
// so no area of it is restricted: the columns start empty.
func migrate3(ctx context.Context, tx *sql.Tx, d dialect) error {
	return execAll(ctx, tx, []string{
		d.ddl(`ALTER TABLE areas ADD COLUMN restricted_since {date}`),
		d.ddl(`ALTER TABLE areas ADD COLUMN restricted_until {date}`),
		d.ddl(`ALTER TABLE areas ADD COLUMN restriction_reason TEXT NOT NULL DEFAULT ''`),
	})
}

// migrate4 adds the year-end states of areas and the events by year that
// the annual report reads, the decision date of deadlines, and the audit
// index by action. The new tables start empty: the fold's version changed
// with them (projections.NationalVersion 2), so the runner rebuilds the
// read model from the history when it next loads it, which fills them.
func migrate4(ctx context.Context, tx *sql.Tx, d dialect) error {
	stmts := []string{d.ddl(`ALTER TABLE article5_deadlines ADD COLUMN decided_on {date}`), auditActionIndex}
	for _, t := range tables {
		if t.since == 4 {
			stmts = append(stmts, d.createTableSQL(t, ""))
		}
	}
	return execAll(ctx, tx, stmts)
}

func execAll(ctx context.Context, tx *sql.Tx, stmts []string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%w (in %.60q…)", err, s)
		}
	}
	return nil
}

// migrate checks that the database is ours and brings it to schemaVersion,
// all in one transaction: an empty database gets the whole schema; a
// database with tables but no schema_migrations is refused (foreign); one
// whose schema is newer than this build is refused.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.classify(err)
	}
	defer tx.Rollback()
	if s.d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, s.d.migrationLock); err != nil {
			return err
		}
	}
	names, err := s.tableNames(ctx, tx)
	if err != nil {
		return s.classify(err)
	}
	current := 0
	if !names["schema_migrations"] {
		if len(names) > 0 {
			return &Error{Kind: ErrNotReadModel, Msg: fmt.Sprintf(
				"%s is not a landrelease read model: it holds other tables (%s) and no schema_migrations", s.where, sample(names)),
				Hint: "give --db a new file or an empty database (PostgreSQL: a schema of its own through search_path)"}
		}
		if _, err := tx.ExecContext(ctx, s.d.ddl(migrationsDDL)); err != nil {
			return err
		}
	} else {
		var v sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
			return &Error{Kind: ErrNotReadModel, Msg: fmt.Sprintf(
				"%s is not a landrelease read model: its schema_migrations table is not ours", s.where), Err: err}
		}
		current = int(v.Int64)
	}
	if current > schemaVersion() {
		return &Error{Kind: ErrSchemaTooNew, Msg: fmt.Sprintf(
			"read model schema version %d is newer than this build (%d): upgrade landrelease or rebuild into a new --db",
			current, schemaVersion())}
	}
	if current == schemaVersion() {
		return nil
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		if err := m.apply(ctx, tx, s.d); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.description, err)
		}
		if _, err := tx.ExecContext(ctx, s.d.bind(`INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)`),
			m.version, m.description, s.d.ts(time.Now())); err != nil {
			return fmt.Errorf("migration %d: %w", m.version, err)
		}
	}
	return tx.Commit()
}

// tableNames returns the user tables and views of the database (of the
// current schema in PostgreSQL).
func (s *Store) tableNames(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, s.d.tablesSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names[n] = true
	}
	return names, rows.Err()
}

// querier is what *sql.DB and *sql.Tx share for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
