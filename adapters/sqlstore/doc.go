// Package sqlstore is landrelease's read-model store: the national database
// (register), land-release statistics, audit trail, work plans, funding and
// Article 5 history as plain SQL tables that analysts query with sqlite3 or
// psql. SQLite (pure Go driver, WAL) is the default; a postgres:// DSN
// selects PostgreSQL. Both share one schema, one set of statements and one
// set of migrations; what differs between them lives in dialect.go.
//
// Store implements projections.Store (Load, Commit, Rebuild) and the read
// methods the CLI and the HTTP API use. docs/schema.md describes every table
// and column for analysts.
//
// It imports events, domain and projections, its drivers and nothing of the
// other adapters.
package sqlstore
