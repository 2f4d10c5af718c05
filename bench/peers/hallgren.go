package peers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/google/uuid"
	"github.com/hallgren/eventsourcing"
	"github.com/hallgren/eventsourcing/aggregate"
	essql "github.com/hallgren/eventsourcing/eventstore/sql"
)

// HGArea is the hallgren/eventsourcing aggregate: one event type,
// EvidenceRecorded, counted by Transition.
type HGArea struct {
	aggregate.Root
	Evidence int
}

// EvidenceRecorded is HGArea's only event; its JSON is an Evidence.
type EvidenceRecorded Evidence

// Transition folds an event into the aggregate.
func (a *HGArea) Transition(e eventsourcing.Event) {
	if _, ok := e.Data().(*EvidenceRecorded); ok {
		a.Evidence++
	}
}

// Register lists the aggregate's events for the library's registry.
func (a *HGArea) Register(r aggregate.RegisterFunc) { r(&EvidenceRecorded{}) }

var registerHG sync.Once

// Hallgren is github.com/hallgren/eventsourcing with its SQL event store
// (eventstore/sql, SQLite flavour, its own schema migration) on
// modernc.org/sqlite in WAL mode with synchronous=FULL. The store is the
// library's single-writer variant (NewSQLiteSingelWriter), which it
// recommends for concurrent goroutines: writers take a mutex instead of
// failing with "database is locked". A command is aggregate.Load, then
// aggregate.TrackChange and aggregate.Save (the library's version check
// gives eventsourcing.ErrConcurrency on a conflict, and the command is then
// loaded and tried again).
type Hallgren struct {
	path string
	db   *sql.DB
	es   *essql.SQLite
	ids  []string
}

// OpenHallgren opens (creating) the SQLite database under dir.
func OpenHallgren(ctx context.Context, dir string) (*Hallgren, error) {
	registerHG.Do(func() { aggregate.Register(&HGArea{}) })
	h := &Hallgren{path: filepath.Join(dir, "hallgren.db")}
	return h, h.open(ctx, "FULL")
}

func (h *Hallgren) open(ctx context.Context, synchronous string) error {
	if h.db != nil {
		h.db.Close()
	}
	db, err := openSQLite(ctx, h.path, synchronous)
	if err != nil {
		return err
	}
	es, err := essql.NewSQLiteSingelWriter(db) // runs the library's migration
	if err != nil {
		db.Close()
		return err
	}
	h.db, h.es = db, es
	return nil
}

func (h *Hallgren) Name() string { return "hallgren/eventsourcing+sqlite" }

// Seed creates one aggregate per ID through the library, with
// synchronous=OFF to save time (untimed), then reopens with FULL.
func (h *Hallgren) Seed(ctx context.Context, ids []uuid.UUID) error {
	if err := h.open(ctx, "OFF"); err != nil {
		return err
	}
	h.ids = make([]string, len(ids))
	for i, id := range ids {
		h.ids[i] = id.String()
		a := &HGArea{}
		if err := a.SetID(h.ids[i]); err != nil {
			return err
		}
		ev := EvidenceRecorded(NewEvidence(id, int64(i)))
		aggregate.TrackChange(a, &ev)
		if err := aggregate.Save(h.es, a); err != nil {
			return fmt.Errorf("seed %s: %w", h.ids[i], err)
		}
	}
	return h.open(ctx, "FULL")
}

func (h *Hallgren) Command(ctx context.Context, agg int, n int64) (int, error) {
	id := h.ids[agg]
	for retries := 0; ; retries++ {
		a := &HGArea{}
		if err := aggregate.Load(ctx, h.es, id, a); err != nil {
			return retries, fmt.Errorf("load %s: %w", id, err)
		}
		ev := EvidenceRecorded(NewEvidence(uuid.MustParse(id), n))
		aggregate.TrackChange(a, &ev)
		err := aggregate.Save(h.es, a)
		if errors.Is(err, eventsourcing.ErrConcurrency) && retries < 16 {
			continue
		}
		return retries, err
	}
}

// Replay runs a library projection over every event (the store's All
// fetcher; the library decodes each event's JSON) and folds a counter.
func (h *Hallgren) Replay(ctx context.Context) (int, error) {
	var n, evidence int
	p := eventsourcing.NewProjection(h.es.All(0), func(e eventsourcing.Event) error {
		n++
		if _, ok := e.Data().(*EvidenceRecorded); ok {
			evidence++
		}
		return nil
	})
	res := p.RunToEnd(ctx)
	if res.Error == nil && evidence != n {
		res.Error = fmt.Errorf("replay folded %d EvidenceRecorded of %d events", evidence, n)
	}
	return n, res.Error
}

// Load is aggregate.Load: every event of the aggregate, decoded and folded.
func (h *Hallgren) Load(ctx context.Context, agg int) (int, error) {
	a := &HGArea{}
	err := aggregate.Load(ctx, h.es, h.ids[agg], a)
	return a.Evidence, err
}

func (h *Hallgren) Close() error {
	if h.db == nil {
		return nil
	}
	return h.db.Close()
}
