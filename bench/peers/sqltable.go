package peers

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/google/uuid"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLTable is the event table a developer would write by hand with
// database/sql on modernc.org/sqlite, WAL, synchronous=FULL:
//
//	events(aggregate_id TEXT, version INTEGER, type TEXT, data BLOB,
//	       PRIMARY KEY(aggregate_id, version))
//
// A command loads the aggregate's version (SELECT MAX(version)) and INSERTs
// version+1 in a transaction; a primary-key violation is the conflict, and
// the command is then loaded and tried again. Reads use a pool; writes go
// through one connection with BEGIN IMMEDIATE, so writers queue in Go
// instead of sleeping in SQLite's busy handler. Statements are prepared.
type SQLTable struct {
	path     string
	rdb, wdb *sql.DB
	version  *sql.Stmt // on rdb
	insert   *sql.Stmt // on wdb
	ids      []string
}

const sqlTableSchema = `CREATE TABLE IF NOT EXISTS events (
	aggregate_id TEXT NOT NULL,
	version      INTEGER NOT NULL,
	type         TEXT NOT NULL,
	data         BLOB NOT NULL,
	PRIMARY KEY (aggregate_id, version)
)`

// OpenSQLTable opens (creating) the SQLite database under dir.
func OpenSQLTable(ctx context.Context, dir string) (*SQLTable, error) {
	t := &SQLTable{path: filepath.Join(dir, "sqltable.db")}
	return t, t.open(ctx, "FULL")
}

func (t *SQLTable) open(ctx context.Context, synchronous string) error {
	t.closeDBs()
	var err error
	if t.wdb, err = openSQLite(ctx, t.path, synchronous, "_txlock=immediate"); err != nil {
		return err
	}
	t.wdb.SetMaxOpenConns(1)
	if _, err := t.wdb.ExecContext(ctx, sqlTableSchema); err != nil {
		return err
	}
	if t.rdb, err = openSQLite(ctx, t.path, synchronous); err != nil {
		return err
	}
	if t.version, err = t.rdb.PrepareContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM events WHERE aggregate_id = ?`); err != nil {
		return err
	}
	t.insert, err = t.wdb.PrepareContext(ctx, `INSERT INTO events (aggregate_id, version, type, data) VALUES (?, ?, ?, ?)`)
	return err
}

func (t *SQLTable) closeDBs() {
	if t.version != nil {
		t.version.Close()
	}
	if t.insert != nil {
		t.insert.Close()
	}
	if t.rdb != nil {
		t.rdb.Close()
	}
	if t.wdb != nil {
		t.wdb.Close()
	}
	t.version, t.insert, t.rdb, t.wdb = nil, nil, nil, nil
}

func (t *SQLTable) Name() string { return "sqlite event table" }

// Seed inserts version 1 of every aggregate in one transaction with
// synchronous=OFF (untimed), then reopens with FULL.
func (t *SQLTable) Seed(ctx context.Context, ids []uuid.UUID) error {
	if err := t.open(ctx, "OFF"); err != nil {
		return err
	}
	t.ids = make([]string, len(ids))
	tx, err := t.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins := tx.StmtContext(ctx, t.insert)
	for i, id := range ids {
		t.ids[i] = id.String()
		data, err := json.Marshal(NewEvidence(id, int64(i)))
		if err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, t.ids[i], 1, "EvidenceRecorded", data); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return t.open(ctx, "FULL")
}

// ErrConflict is a primary-key violation on (aggregate_id, version).
var ErrConflict = errors.New("sqlite event table: version already taken")

// Append stores one event at version expected+1, in a transaction.
func (t *SQLTable) Append(ctx context.Context, id string, expected int64, typ string, data []byte) error {
	tx, err := t.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.StmtContext(ctx, t.insert).ExecContext(ctx, id, expected+1, typ, data); err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return ErrConflict
		}
		return err
	}
	return tx.Commit()
}

// Version returns the aggregate's current version (0 if it has no event).
func (t *SQLTable) Version(ctx context.Context, id string) (int64, error) {
	var v int64
	err := t.version.QueryRowContext(ctx, id).Scan(&v)
	return v, err
}

func (t *SQLTable) Command(ctx context.Context, agg int, n int64) (int, error) {
	id := t.ids[agg]
	data, err := json.Marshal(NewEvidence(uuid.MustParse(id), n))
	if err != nil {
		return 0, err
	}
	for retries := 0; ; retries++ {
		v, err := t.Version(ctx, id)
		if err != nil {
			return retries, err
		}
		err = t.Append(ctx, id, v, "EvidenceRecorded", data)
		if errors.Is(err, ErrConflict) && retries < 16 {
			continue
		}
		return retries, err
	}
}

// Replay scans the table in insertion order and JSON-decodes every event.
func (t *SQLTable) Replay(ctx context.Context) (int, error) {
	rows, err := t.rdb.QueryContext(ctx, `SELECT aggregate_id, version, type, data FROM events ORDER BY rowid`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n, evidence int
	var id, typ string
	var version int64
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&id, &version, &typ, &data); err != nil {
			return n, err
		}
		var e Evidence
		if err := json.Unmarshal(data, &e); err != nil {
			return n, fmt.Errorf("event %s/%d: %w", id, version, err)
		}
		n++
		if typ == "EvidenceRecorded" {
			evidence++
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if evidence != n {
		return n, fmt.Errorf("replay folded %d EvidenceRecorded of %d events", evidence, n)
	}
	return n, nil
}

// Load reads every event of one aggregate in version order and decodes it.
func (t *SQLTable) Load(ctx context.Context, agg int) (int, error) {
	rows, err := t.rdb.QueryContext(ctx, `SELECT version, type, data FROM events WHERE aggregate_id = ? ORDER BY version`, t.ids[agg])
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	var version int64
	var typ string
	var data []byte
	for rows.Next() {
		if err := rows.Scan(&version, &typ, &data); err != nil {
			return n, err
		}
		var e Evidence
		if err := json.Unmarshal(data, &e); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func (t *SQLTable) Close() error {
	t.closeDBs()
	return nil
}
