package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/projections/projectiontest"
)

// The engine survives its NATS server going away for ten seconds (stopped,
// then started again on the same port and store directory): commands sent
// meanwhile fail promptly as unavailable, none hangs or vanishes; once the
// server is back the same engine takes commands again by itself, the
// refused ones retried with their command IDs are stored exactly once, and
// the projections that followed the stream catch up to a rebuild.
func TestEngineRidesOutTenSecondNATSOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("a ten-second outage")
	}
	const outage = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := lrjs.DefaultEmbeddedConfig(t.TempDir())
	cfg.Listen = addr
	srv, err := lrjs.StartEmbedded(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Close() }()

	engine := srv.Credentials().Engine
	eng := openClusterEngine(t, "nats://"+engine.User+":"+engine.Password+"@"+addr)
	areas := registerAreas(t, eng.handler, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "live.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	followDone := make(chan error, 1)
	follower := projectiontest.Runner(t, db, 100)
	go func() {
		followDone <- projections.FollowRetrying(ctx, follower, eng.store, projections.Backoff{}, nil, nil)
	}()

	acked := map[uuid.UUID]uuid.UUID{}
	send := func(id, area uuid.UUID) (time.Duration, error) {
		start := time.Now()
		_, err := eng.handler.Handle(context.Background(), domain.CommandEnvelope{ID: id, Command: domain.ReduceArea{
			AreaID: area, On: events.MustDate("2021-03-01"), SizeM2: 1, Operator: "HALO"}})
		if err == nil {
			acked[id] = area
		}
		return time.Since(start), err
	}
	for i := range 20 {
		if _, err := send(uuid.Must(uuid.NewV7()), areas[i%len(areas)]); err != nil {
			t.Fatal(err)
		}
	}

	srv.Close()
	down := time.Now()
	refused := map[uuid.UUID]uuid.UUID{}
	var slowest time.Duration
	for i := 0; time.Since(down) < outage; i++ {
		id, area := uuid.Must(uuid.NewV7()), areas[i%len(areas)]
		took, err := send(id, area)
		slowest = max(slowest, took)
		if err == nil {
			t.Fatalf("command %s succeeded while the server was down", id)
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.ErrUnavailable || !strings.Contains(err.Error(), "unavailable") {
			t.Fatalf("command during the outage: %v, want a domain error of kind unavailable", err)
		}
		// Not a hang: the store gives up after its RetryFor (5 s) plus
		// one request timeout (2 s), counted from the start of the outage.
		if took > 10*time.Second {
			t.Fatalf("a command during the outage took %s before failing", took)
		}
		refused[id] = area
		<-time.After(200 * time.Millisecond) // a client's pause before its next command
	}
	if len(refused) == 0 {
		t.Fatal("no command was tried during the outage")
	}
	lastErr := ""
	{
		_, err := send(uuid.Must(uuid.NewV7()), areas[0])
		lastErr = fmt.Sprint(err)
	}

	if srv, err = lrjs.StartEmbedded(cfg); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	// The same engine takes commands again by itself: the first command
	// after the restart is retried (same ID) until it passes.
	var resumed time.Duration
	for {
		id := uuid.Must(uuid.NewV7())
		_, err := send(id, areas[0])
		if err == nil {
			resumed = time.Since(up)
			break
		}
		if !errors.Is(err, domain.ErrUnavailable) || time.Since(up) > 30*time.Second {
			t.Fatalf("after the server came back: %v", err)
		}
	}
	for id, area := range refused { // the client retries what was refused
		if _, err := send(id, area); err != nil {
			t.Fatalf("retry of refused command %s: %v", id, err)
		}
	}
	checkExactlyOnce(t, eng.store, acked)
	waitCheckpoint(t, db, func() (uint64, error) { return eng.store.LastSequence(context.Background()) }, 30*time.Second)
	cancel()
	if err := <-followDone; err != nil {
		t.Fatal(err)
	}
	checkRebuildEqual(t, db, eng.store)
	t.Logf("outage %s: %d commands refused as unavailable (slowest refusal %s; e.g. %q); first command accepted %s after the restart; %d acknowledged in all",
		outage, len(refused), slowest.Round(time.Millisecond), lastErr, resumed.Round(time.Millisecond), len(acked))
}
