package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
)

// engine is the wired spine: the event store (embedded or external NATS) and
// the command handler.
type engine struct {
	srv     *lrjs.Embedded // nil with --nats-url
	nc      *nats.Conn
	store   *lrjs.Store
	group   *domain.GroupCommit // concurrent commands share appends
	handler *domain.Handler
	lock    *dataLock // the data dir, while the embedded server runs
}

func openEngine(ctx context.Context, g globals, stderr io.Writer) (*engine, error) {
	e := &engine{}
	var err error
	if g.natsURL == "" {
		if err := checkDataDir(g.dataDir, 4<<10); err != nil {
			return nil, err
		}
		if st, err := os.Stat(g.dataDir); err == nil && st.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(stderr, "landrelease: data dir %s can be read by other users (mode %04o): run chmod 700 %s\n", g.dataDir, st.Mode().Perm(), g.dataDir)
		}
		if e.lock, err = lockDataDir(g.dataDir); err != nil {
			return nil, err
		}
		cfg := lrjs.DefaultEmbeddedConfig(g.dataDir)
		cfg.Listen = g.natsListen
		if e.srv, err = lrjs.StartEmbedded(cfg); err != nil {
			return nil, err
		}
		if u := e.srv.ClientURL(); u != "" {
			fmt.Fprintf(stderr, "landrelease: embedded NATS server listening on %s\n", u)
		}
		e.nc, err = e.srv.Connect()
	} else {
		e.nc, err = lrjs.Dial(g.natsURL) // reconnects for ever; no publish buffered while down
		if err != nil {
			err = fmt.Errorf("connect to --nats-url %s: %w", g.natsURL, err)
		}
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	sc := lrjs.DefaultConfig()
	sc.Replicas = g.replicas
	if e.store, err = lrjs.Open(ctx, e.nc, sc); err != nil {
		e.Close()
		return nil, err
	}
	if n := e.store.Notice(); n != "" {
		fmt.Fprintf(stderr, "landrelease: %s\n", n)
	}
	hc := domain.DefaultHandlerConfig()
	hc.Country = g.country
	hc.NewID = func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	e.group = domain.NewGroupCommit(e.store, hc.MaxBatchEvents)
	if e.handler, err = domain.NewHandler(e.group, hc); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close closes the connection and stops the embedded server.
func (e *engine) Close() {
	if e.group != nil {
		e.group.Close()
	}
	if e.nc != nil {
		e.nc.Close()
	}
	if e.srv != nil {
		e.srv.Close()
	}
	e.lock.release()
}

// checkDataDir creates the data dir and proves it takes a write of size
// bytes (synced), so that a read-only, full or misnamed data dir is refused
// at start with its path and cause, before the embedded server (which would
// only time out) and before anything is written; after failed appends a
// larger probe tells a full disk, which the server reports only as a failed
// batch. Tested in datadir_test.go.
func checkDataDir(dir string, size int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil { // the history and the register: the owner's only
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	_, err = f.Write(make([]byte, size))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	return nil
}
