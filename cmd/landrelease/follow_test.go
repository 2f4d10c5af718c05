package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/projections/projectiontest"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// Projections follow the stream live: commands accepted after the runner
// started show up in the read model, which stays equal to a rebuild.
func TestProjectionsFollowLive(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := defaultGlobals()
	g.dataDir = t.TempDir()
	eng, err := openEngine(ctx, g, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	db, err := sqlstore.Open(ctx, filepath.Join(g.dataDir, "live.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	envs := synth.Mixed(synth.DefaultConfig(5, 600))
	for _, o := range eng.handler.HandleBatch(ctx, envs[:300], nil) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}
	commits := make(chan uint64, 1024)
	done := make(chan error, 1)
	runner := projectiontest.Runner(t, db, 100)
	go func() { done <- runner.Follow(ctx, eng.store, func(seq uint64) { commits <- seq }) }()
	var last uint64
	for _, env := range envs[300:] { // one at a time, as the API would send them
		res, err := eng.handler.Handle(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		last = res.Sequence
	}
	deadline := time.After(time.Until(waitBound(t)))
	for seen := uint64(0); seen < last; {
		select {
		case seen = <-commits:
		case err := <-done:
			t.Fatalf("follow ended: %v", err)
		case <-deadline:
			t.Fatalf("read model reached sequence %d of %d", seen, last)
		}
	}
	if cp, _ := db.Checkpoint(ctx); cp != last {
		t.Fatalf("checkpoint %d, want %d", cp, last)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follow did not stop cleanly: %v", err)
	}
	fresh, err := sqlstore.Open(context.Background(), filepath.Join(g.dataDir, "fresh.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := projectiontest.Runner(t, fresh, 1000).Rebuild(context.Background(), eng.store, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := db.Dump(context.Background())
	b, _ := fresh.Dump(context.Background())
	if a != b {
		t.Fatal("the live read model differs from a rebuild")
	}
}
