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
}

func openEngine(ctx context.Context, g globals, stderr io.Writer) (*engine, error) {
	e := &engine{}
	var err error
	if g.natsURL == "" {
		if err := os.MkdirAll(g.dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
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
}
