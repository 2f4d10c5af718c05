package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/landrelease/landrelease/projections"
)

var _ projections.Store = (*Store)(nil)

// Store is a read model in SQLite or PostgreSQL. It is safe for concurrent
// use: reads run alongside a commit and see either all of it or none;
// commits are serialized by the database. One Rebuild at a time per
// database.
type Store struct {
	db    *sql.DB
	d     dialect
	where string // the file path, or host:port/database: for messages

	live, shadow *statements
	prepared     *stmtCache // the live tables' small writes, kept across commits

	rebuildRows int // area rows a rebuild holds back; 0: rebuildBufferRows (tests set it small)
}

// Open opens (creating when needed) the read model at dsnOrPath: a
// postgres:// or postgresql:// DSN opens PostgreSQL (the DSN's search_path
// selects the schema); anything else is a SQLite file path, whose directory
// is created (0700). It migrates the schema to this build's version.
//
// A SQLite read model holds the register and is readable by its owner only:
// the file is created 0600, its -wal and -shm files take the same mode
// (SQLite copies the database's), and an existing file that others could
// read is tightened to 0600.
//
// Errors: ErrNotReadModel for a file that is not a SQLite database or a
// database holding other tables, ErrSchemaTooNew for a read model written by
// a newer build, ErrUnreachable for a PostgreSQL server that does not
// answer. Open never alters a database it refuses.
func Open(ctx context.Context, dsnOrPath string) (*Store, error) {
	var (
		s   *Store
		err error
	)
	if strings.HasPrefix(dsnOrPath, "postgres://") || strings.HasPrefix(dsnOrPath, "postgresql://") {
		s, err = openPostgres(ctx, dsnOrPath)
	} else {
		s, err = openSQLite(ctx, dsnOrPath)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		var e *Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: prepare %s: %w", s.where, err)
	}
	if s.d.name == sqlite.name {
		if err := tightenSQLite(dsnOrPath); err != nil {
			s.db.Close()
			return nil, err
		}
	}
	s.live, s.shadow = newStatements(s.d, ""), newStatements(s.d, shadowSuffix)
	s.prepared = newStmtCache(s.db)
	return s, nil
}

// sqliteMmapSize is the SQLite memory map of every connection: 2 GiB.
const sqliteMmapSize = 2 << 30

// sqliteCacheSize is the page cache of every connection (cache_size:
// negative, in KiB): 64 MiB.
const sqliteCacheSize = -65536

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlstore: no database path given")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlstore: create the directory of %s: %w", path, err)
		}
	}
	if err := createOwnerOnly(path); err != nil {
		return nil, err
	}
	// Every connection gets the same settings; writes begin IMMEDIATE so two
	// writers queue on busy_timeout instead of failing to upgrade a lock.
	// Reads go through a memory map of up to 2 GiB (address space, not
	// memory): once the register outgrows the page cache, commits that
	// update areas all over the table run a quarter faster than with read
	// calls (BenchmarkCommit).
	dsn := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path) +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(ON)&_pragma=cache_size(" + strconv.Itoa(sqliteCacheSize) + ")&_pragma=mmap_size(" + strconv.Itoa(sqliteMmapSize) + ")" +
		"&_pragma=temp_store(MEMORY)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	s := &Store{db: db, d: sqlite, where: path}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if err = s.classify(err); errors.As(err, new(*Error)) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: the PostgreSQL DSN is not valid: %w", err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open PostgreSQL: %w", err)
	}
	hostPort := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	s := &Store{db: db, d: postgres, where: "PostgreSQL " + hostPort + "/" + cfg.Database}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return nil, fmt.Errorf("sqlstore: PostgreSQL at %s refused the connection (check user, password and database in the DSN): %w", hostPort, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sqlstore: connect to PostgreSQL at %s: %w", hostPort, err)
		}
		return nil, &Error{Kind: ErrUnreachable, Err: err, Msg: "cannot reach PostgreSQL at " + hostPort,
			Hint: "start the server, check host and port in the DSN, or give --db a SQLite file path instead"}
	}
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: PostgreSQL at %s: %w", hostPort, err)
	}
	if !schema.Valid {
		db.Close()
		return nil, fmt.Errorf("sqlstore: PostgreSQL database %s has no schema in the search_path: create the schema, or fix search_path in the DSN", s.where)
	}
	s.where += " (schema " + schema.String + ")"
	return s, nil
}

// classify turns the driver's "not a database" into ErrNotReadModel and
// returns any other error as it is.
func (s *Store) classify(err error) error {
	var se *msqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB {
		return &Error{Kind: ErrNotReadModel, Msg: s.where + " is not a landrelease read model: file is not a database"}
	}
	return err
}

// Close closes the database. The Store must not be used after.
func (s *Store) Close() error { return errors.Join(s.prepared.reset(), s.db.Close()) }

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// createOwnerOnly creates the SQLite file at path with mode 0600 when it
// does not exist, so that SQLite (which copies the database's mode to the
// -wal and -shm files) never makes them readable by others.
func createOwnerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	return f.Close()
}

// tightenSQLite takes group and other permissions off an accepted SQLite
// read model and its -wal and -shm files: the read model is the register
// itself. Another user's file or a read-only disk is left as it is.
func tightenSQLite(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, st.Mode().Perm()&^0o077); err != nil && !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
			return fmt.Errorf("sqlstore: make %s readable by its owner only: %w", p, err)
		}
	}
	return nil
}
