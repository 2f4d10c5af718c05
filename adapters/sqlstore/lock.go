package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"syscall"
)

// ErrInUse: another process holds the read model's lock (Store.Lock).
var ErrInUse = errors.New("read model in use")

// Lock is a held exclusive lock on a read model; Release gives it back. The
// operating system (SQLite) or the server (PostgreSQL, when the session
// ends) releases it too when the process dies, however it dies.
type Lock struct {
	file *os.File  // SQLite: the lock file, flocked
	conn *sql.Conn // PostgreSQL: the session holding the advisory lock
	key  int64
}

// Lock takes the read model for this process alone: only one process may
// project into a read model, or a second one (an engine on another, or
// empty, history) would rewrite or empty what the first serves. owner
// describes this process ("landrelease pid 1234, data dir /srv/lr") and is
// what a refused process is told (PostgreSQL keeps its first 63 bytes).
//
// SQLite: an flock on the file FILE.lock beside the database (created
// 0600), which holds the owner's description. PostgreSQL: a session-level
// advisory lock keyed by the schema, held on one connection of the pool
// whose application_name carries the owner.
//
// Errors: ErrInUse naming the holder when another process has it. Lock
// does not wait.
func (s *Store) Lock(ctx context.Context, owner string) (*Lock, error) {
	if s.d.name == postgres.name {
		return s.lockPostgres(ctx, owner)
	}
	return s.lockSQLite(owner)
}

func (s *Store) lockSQLite(owner string) (*Lock, error) {
	path := s.where + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: lock %s: %w", s.where, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, inUse(s.where, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("sqlstore: lock %s: %w", s.where, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(owner+"\n"), 0)
	return &Lock{file: f}, nil
}

func (s *Store) lockPostgres(ctx context.Context, owner string) (*Lock, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: lock %s: %w", s.where, err)
	}
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlstore: lock %s: %w", s.where, err)
	}
	h := fnv.New64a()
	h.Write([]byte("landrelease read model " + schema))
	key := int64(h.Sum64())
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlstore: lock %s: %w", s.where, err)
	}
	if !ok {
		holder := postgresHolder(ctx, conn, key)
		conn.Close()
		return nil, inUse(s.where, holder)
	}
	name := owner
	if len(name) > 63 { // PostgreSQL keeps 63 bytes of application_name
		name = name[:63]
	}
	_, _ = conn.ExecContext(ctx, "SELECT set_config('application_name', $1, false)", name)
	return &Lock{conn: conn, key: key}, nil
}

// postgresHolder describes the session holding the advisory lock key.
func postgresHolder(ctx context.Context, conn *sql.Conn, key int64) string {
	var pid int
	var app, addr sql.NullString
	err := conn.QueryRowContext(ctx, `SELECT a.pid, a.application_name, host(a.client_addr)
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1
		LIMIT 1`, key).Scan(&pid, &app, &addr)
	if err != nil {
		return ""
	}
	h := fmt.Sprintf("PostgreSQL session %d", pid)
	if app.String != "" {
		h = app.String + " (" + h
		if addr.String != "" {
			h += " from " + addr.String
		}
		h += ")"
	}
	return h
}

func inUse(where, holder string) error {
	if holder == "" {
		holder = "another process"
	}
	return &Error{Kind: ErrInUse, Msg: fmt.Sprintf("read model %s is in use by %s", where, holder),
		Hint: "only one process may project into a read model: stop it, or give this one its own --db (or use the running engine's HTTP API)"}
}

// Release gives the lock back (nil-safe, idempotent).
func (l *Lock) Release() {
	if l == nil {
		return
	}
	if l.file != nil {
		_ = syscall.Flock(int(l.file.Fd()), syscall.LOCK_UN)
		_ = l.file.Close()
		l.file = nil
	}
	if l.conn != nil {
		_, _ = l.conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", l.key)
		_ = l.conn.Close()
		l.conn = nil
	}
}
