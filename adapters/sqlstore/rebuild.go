package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/projections"
)

// Rebuild replaces every projection table. It creates empty shadow tables
// (the live names with the suffix _rebuild, dropping any a crashed rebuild
// left), lets fill write them through commit (each call one transaction;
// the checkpoint is that of the last call), and when fill returns nil swaps
// them in, in one transaction: the live tables are dropped, the shadows
// renamed, the indexes and views created again and the checkpoint rewritten.
// Readers see the old read model until that transaction commits and the new
// one after. When fill or the swap fails, the shadow tables are dropped and
// the live tables and checkpoint are as they were.
//
// Nobody reads the shadow tables before the swap, which allows two savings.
// commit hands the changes to a writer goroutine and returns, so the next
// batch is folded while this one is written (a write that fails fails the
// next commit call, or the Rebuild once fill returns: either way nothing is
// swapped in). And the writer keeps the latest row of each area in memory
// and writes it once, instead of once per batch that changes it: in a
// replay an area changes in many batches, and area rows are the widest the
// store writes. The held rows are written out when they reach
// rebuildBufferRows areas or rebuildBufferBytes (about 500 bytes an area
// plus its geometry), so the buffer stays a bounded fraction of the fold's
// own copy of the areas.
//
// commit must not be called after fill returns. One Rebuild at a time per
// database; Commit calls made meanwhile write the live tables, which the
// swap then replaces.
func (s *Store) Rebuild(ctx context.Context, fill func(commit func(projections.Changes) error) error) error {
	defer limitMemory()()
	if err := s.createShadows(ctx); err != nil {
		return fmt.Errorf("sqlstore: rebuild: create the shadow tables: %w", err)
	}
	conn, err := s.rebuildConn(ctx)
	if err != nil {
		if derr := s.dropShadows(context.WithoutCancel(ctx)); derr != nil {
			err = errors.Join(err, fmt.Errorf("sqlstore: rebuild: drop the shadow tables: %w", derr))
		}
		return fmt.Errorf("sqlstore: rebuild: %w", err)
	}
	defer s.releaseRebuildConn(ctx, conn)
	w := s.startShadowWriter(ctx, conn)
	err = fill(w.commit)
	if werr := w.close(); err == nil {
		err = werr
	}
	if err == nil {
		err = s.swap(ctx, conn, w.committed, w.seq)
	}
	if err != nil {
		// The context may be what failed: clean up regardless.
		if derr := s.dropShadows(context.WithoutCancel(ctx)); derr != nil {
			err = errors.Join(err, fmt.Errorf("sqlstore: rebuild: drop the shadow tables: %w", derr))
		}
		return err
	}
	return nil
}

// rebuildMemoryLimit is the soft limit of the Go runtime's memory while a
// rebuild runs, unless the process has one (GOMEMLIMIT). A rebuild's live
// heap grows with the register (the fold holds every area) and, left to
// GOGC alone, the heap grows to twice the live size before a collection:
// 2.5 million events of 550,000 areas peaked above 2 GiB. With the limit
// the collector runs more often as the heap nears it, and returns freed
// memory to the system sooner; a live heap above it only makes the
// collector busier (Go caps its share of the CPU), never fails.
const rebuildMemoryLimit = 1 << 30

// rebuildGCPercent is the collector's target while a rebuild runs, unless
// the process has one (GOGC): the heap may grow half its live size
// between two collections instead of all of it. A rebuild's live heap is
// mostly long-lived (the fold's rows, the held-back area rows, the
// embedded server's subject index) and its garbage short-lived, so the
// collector's extra cycles cost some CPU, and the writes, not the CPU,
// bound a rebuild on a disk shared with other work (a 10× history alone:
// peak RSS 0.49 → 0.38 GB, user CPU 12.7 → 15.8 s, on a loaded host).
const rebuildGCPercent = 50

// limitMemory sets the rebuild's soft memory limit when none is set, and
// its collector target when GOGC is not set, and returns the function
// that restores the previous ones.
func limitMemory() (restore func()) {
	restoreGC := func() {}
	if os.Getenv("GOGC") == "" {
		prev := debug.SetGCPercent(rebuildGCPercent)
		restoreGC = func() { debug.SetGCPercent(prev) }
	}
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 {
		return restoreGC
	}
	debug.SetMemoryLimit(rebuildMemoryLimit)
	return func() {
		debug.SetMemoryLimit(prev)
		restoreGC()
	}
}

func (s *Store) createShadows(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := dropTables(shadowSuffix)
	for _, t := range tables {
		stmts = append(stmts, s.d.createTableSQL(t, shadowSuffix))
	}
	if err := execAll(ctx, tx, stmts); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) dropShadows(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := execAll(ctx, tx, dropTables(shadowSuffix)); err != nil {
		return err
	}
	return tx.Commit()
}

// dropTables drops the projection tables with suffix sfx, children first.
func dropTables(sfx string) []string {
	var stmts []string
	for i := len(tables) - 1; i >= 0; i-- {
		stmts = append(stmts, "DROP TABLE IF EXISTS "+tables[i].name+sfx)
	}
	return stmts
}

// rebuildCacheKiB is SQLite's page cache (cache_size, in KiB) on the
// connection a rebuild writes with, instead of the store's 64 MiB. Each
// connection keeps a cache of its own, outside the Go heap, filled to its
// size by a rebuild's writes and then by the swap's index builds. A 10×
// rebuild alone peaked at 436–444 MiB with 64 MiB, 336–341 MiB with 16 MiB,
// at the same user CPU (the area rows are written sorted by key, and the
// pages read again come from the system's file cache).
const rebuildCacheKiB = 16 << 10

// rebuildConn pins the one connection a rebuild writes and swaps with,
// with a smaller page cache.
func (s *Store) rebuildConn(ctx context.Context) (*sql.Conn, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if s.d.name == "sqlite" {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", rebuildCacheKiB)); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// releaseRebuildConn gives the connection back to the pool with the
// store's page cache, having freed what the rebuild's cache held.
func (s *Store) releaseRebuildConn(ctx context.Context, conn *sql.Conn) {
	if s.d.name == "sqlite" {
		ctx := context.WithoutCancel(ctx)
		conn.ExecContext(ctx, "PRAGMA shrink_memory")
		conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", sqliteCacheSize))
	}
	conn.Close()
}

// swap puts the shadow tables in place of the live ones in one transaction.
func (s *Store) swap(ctx context.Context, conn *sql.Conn, committed bool, seq uint64) error {
	if s.d.name == "sqlite" {
		// The swap creates every index of the new tables at once, reading
		// whole tables. Through the store's memory map every page read
		// becomes part of the process's resident set (a 100× history's
		// read model is 0.7 GB), and SQLite sorts the keys in memory up
		// to cache_size, then in temporary files, which temp_store=MEMORY
		// keeps in memory too. Here pages are read into the bounded page
		// cache and temporary files go to disk.
		for _, p := range []string{"PRAGMA mmap_size = 0", "PRAGMA temp_store = FILE"} {
			if _, err := conn.ExecContext(ctx, p); err != nil {
				return fmt.Errorf("sqlstore: rebuild: swap: %w", err)
			}
		}
		defer func() {
			ctx := context.WithoutCancel(ctx)
			conn.ExecContext(ctx, "PRAGMA temp_store = MEMORY")
			conn.ExecContext(ctx, fmt.Sprintf("PRAGMA mmap_size = %d", sqliteMmapSize))
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: rebuild: swap: %w", err)
	}
	defer tx.Rollback()
	var stmts []string
	for _, v := range views { // views name the live tables: out of the way first
		stmts = append(stmts, "DROP VIEW IF EXISTS "+v.name)
	}
	stmts = append(stmts, dropTables("")...)
	for _, t := range tables {
		live := t.name
		stmts = append(stmts, "ALTER TABLE "+live+shadowSuffix+" RENAME TO "+live)
		if s.d.renameConstraints {
			for _, c := range t.constraints {
				stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s RENAME CONSTRAINT %s%s_%s TO %s_%s", live, live, shadowSuffix, c, live, c))
			}
		}
	}
	stmts = append(stmts, indexes...)
	for _, v := range views {
		stmts = append(stmts, v.ddl)
	}
	stmts = append(stmts, "DELETE FROM projection_checkpoints")
	if err := execAll(ctx, tx, stmts); err != nil {
		return fmt.Errorf("sqlstore: rebuild: swap: %w", err)
	}
	if committed {
		w := &writer{ctx: ctx, tx: tx, d: s.d}
		if err := w.checkpoint(seq, false, time.Now()); err != nil {
			return fmt.Errorf("sqlstore: rebuild: swap: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: rebuild: swap: %w", err)
	}
	// SQLite and PostgreSQL both prepare a statement again when a table it
	// names was replaced (TestCommitAfterARebuildWritesTheNewTables passes
	// without this); the cache lets go of the old tables' statements all
	// the same. Only closing can fail here, and the data is in.
	_ = s.prepared.reset()
	return nil
}

// shadowWriter writes a rebuild's changes to the shadow tables on its own
// goroutine, one transaction per Changes, in order.
type shadowWriter struct {
	s    *Store
	conn *sql.Conn // the rebuild's (rebuildConn)
	ctx  context.Context
	in   chan projections.Changes
	done chan struct{}
	buf  *areaBuffer

	mu  sync.Mutex
	err error // the first failure; later changes are dropped

	committed bool   // owned by the goroutine until done is closed
	seq       uint64 // checkpoint of the last changes written
}

func (s *Store) startShadowWriter(ctx context.Context, conn *sql.Conn) *shadowWriter {
	buf := newAreaBuffer()
	if s.rebuildRows > 0 {
		buf.maxRows = s.rebuildRows
	}
	w := &shadowWriter{s: s, conn: conn, ctx: ctx, in: make(chan projections.Changes, 1), done: make(chan struct{}), buf: buf}
	go w.run()
	return w
}

func (w *shadowWriter) run() {
	defer close(w.done)
	for c := range w.in {
		if w.failed() != nil {
			continue
		}
		w.buf.add(c.Areas)
		c.Areas = nil
		full := w.buf.full()
		if full {
			c.Areas = w.buf.sorted()
		}
		err := w.s.commit(w.ctx, w.conn, w.s.shadow, c, false, nil)
		if full {
			w.buf.reset() // written (or failed): the rows' memory serves again
		}
		if err != nil {
			w.fail(fmt.Errorf("sqlstore: rebuild: commit up to sequence %d: %w", c.Sequence, err))
			continue
		}
		w.committed, w.seq = true, c.Sequence
	}
	if w.failed() == nil && len(w.buf.rows) > 0 {
		err := w.s.commit(w.ctx, w.conn, w.s.shadow, projections.Changes{Areas: w.buf.sorted()}, false, nil)
		w.buf.reset()
		if err != nil {
			w.fail(fmt.Errorf("sqlstore: rebuild: commit areas: %w", err))
		}
	}
}

// commit queues c (waiting while the previous changes are written) and
// returns the first failure so far.
func (w *shadowWriter) commit(c projections.Changes) error {
	if err := w.failed(); err != nil {
		return err
	}
	select {
	case w.in <- c:
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
	return w.failed()
}

// close waits for every queued change to be written and returns the first
// failure.
func (w *shadowWriter) close() error {
	close(w.in)
	<-w.done
	return w.failed()
}

func (w *shadowWriter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *shadowWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Bounds of the area rows a rebuild holds back: enough that an area
// changed in many batches is mostly written once, small enough that the
// buffer does not grow with the register (the fold already holds every
// area; a buffer of all of them doubled a rebuild's memory).
const (
	rebuildBufferRows  = 100_000
	rebuildBufferBytes = 64 << 20
	areaRowBytes       = 500 // a row without geometry in the map, roughly
)

// areaBuffer holds the latest row of each area given to a rebuild and not
// yet written, with the latest geometry given for it.
type areaBuffer struct {
	at      map[uuid.UUID]int // index in rows
	rows    []projections.AreaRow
	bytes   int
	maxRows int
}

func newAreaBuffer() *areaBuffer {
	return &areaBuffer{at: map[uuid.UUID]int{}, maxRows: rebuildBufferRows}
}

func (b *areaBuffer) add(rows []projections.AreaRow) {
	for _, r := range rows {
		i, ok := b.at[r.ID]
		if !ok {
			b.at[r.ID] = len(b.rows)
			b.rows = append(b.rows, r)
			b.bytes += areaRowBytes + len(r.Geometry)
			continue
		}
		old := &b.rows[i]
		if len(r.Geometry) == 0 {
			r.Geometry = old.Geometry
		} else {
			b.bytes += len(r.Geometry) - len(old.Geometry)
		}
		*old = r
	}
}

func (b *areaBuffer) full() bool {
	return len(b.rows) >= b.maxRows || b.bytes >= rebuildBufferBytes
}

// sorted returns the rows held in the order of their IDs, the order of
// the areas' primary key: the writes of a flush then walk the key's
// B-tree once from end to end instead of landing on random pages. The
// buffer must be reset after.
func (b *areaBuffer) sorted() []projections.AreaRow {
	slices.SortFunc(b.rows, func(x, y projections.AreaRow) int { return bytes.Compare(x.ID[:], y.ID[:]) })
	return b.rows
}

// reset empties the buffer once its rows are written, keeping their
// memory for the next ones (refilling from nothing regrew the slice, a
// few per cent of a rebuild's CPU).
func (b *areaBuffer) reset() {
	clear(b.rows) // let the strings and geometry go
	b.rows, b.bytes = b.rows[:0], 0
	clear(b.at)
}
