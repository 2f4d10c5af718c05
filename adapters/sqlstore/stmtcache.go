package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache keeps the live tables' small writes prepared across commits.
// A follower that is caught up commits after every command: a handful of
// one-row statements (an area, an audit row, the statistics, the
// checkpoints) that were parsed and planned again in every transaction, a
// third of the commit's time in the API benchmark's profile (issue 17).
// Statements are prepared on the database, once per connection
// (database/sql does that), and bound to each transaction with Tx.Stmt.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// cachedRows bounds the rows of a cached multi-row statement: the follower
// writes a few rows per table; larger, rarer batches are not kept.
const cachedRows = 8

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// in returns query prepared and bound to tx.
func (c *stmtCache) in(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st := c.m[query]
	c.mu.Unlock()
	if st == nil {
		prepared, err := c.db.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if st = c.m[query]; st == nil {
			st, c.m[query] = prepared, prepared
			prepared = nil
		}
		c.mu.Unlock()
		if prepared != nil {
			prepared.Close()
		}
	}
	return tx.StmtContext(ctx, st), nil
}

// reset closes every statement, as after the tables they name were
// replaced (a rebuild's swap).
func (c *stmtCache) reset() error {
	c.mu.Lock()
	m := c.m
	c.m = map[string]*sql.Stmt{}
	c.mu.Unlock()
	var errs []error
	for _, st := range m {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}
