package jetstream_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// On a three-node cluster the stream is created R3 by default; an existing
// stream keeps its replica count (and Open says so) unless a count is asked
// for, which changes it.
func TestClusterReplicaCount(t *testing.T) {
	c := jetstreamtest.MustCluster(t, 3)
	nc, err := lrjs.Dial(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got := lrjs.ClusterReplicas(nc); got != 3 {
		t.Fatalf("ClusterReplicas on a three-node cluster = %d, want 3", got)
	}
	open := func(replicas int) *lrjs.Store {
		t.Helper()
		cfg := lrjs.DefaultConfig()
		cfg.Replicas = replicas
		st, err := lrjs.Open(context.Background(), nc, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := open(1); st.Replicas() != 1 || st.Notice() != "" {
		t.Fatalf("asked for R1: replicas %d, notice %q", st.Replicas(), st.Notice())
	}
	if st := open(0); st.Replicas() != 1 || st.Notice() == "" {
		t.Fatalf("existing R1 stream opened with the default: replicas %d (want kept at 1), notice %q (want one)", st.Replicas(), st.Notice())
	}
	if st := open(3); st.Replicas() != 3 {
		t.Fatalf("asked for R3 on an R1 stream: replicas %d", st.Replicas())
	}
	c.WaitStreamCurrent(lrjs.StreamName)
	if st := open(0); st.Replicas() != 3 || st.Notice() != "" {
		t.Fatalf("R3 stream opened with the default: replicas %d, notice %q", st.Replicas(), st.Notice())
	}

	// A single server: the default is R1.
	single := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	if got := lrjs.ClusterReplicas(single); got != 1 {
		t.Fatalf("ClusterReplicas on a single server = %d, want 1", got)
	}
	if st := jetstreamtest.MustStore(t, single); st.Replicas() != 1 {
		t.Fatalf("single server: replicas %d", st.Replicas())
	}
}

// Follow rides out its server's restart: it recreates its consumer after
// the last event it delivered, so every event comes once, in order, with no
// gap; and an append while the server is down fails as unavailable within
// RetryFor.
func TestFollowAndAppendRideOutServerRestart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ecfg := lrjs.DefaultEmbeddedConfig(t.TempDir())
	ecfg.Listen = addr
	srv, err := lrjs.StartEmbedded(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Close() }()
	engine := srv.Credentials().Engine
	nc, err := lrjs.Dial("nats://"+addr, nats.UserInfo(engine.User, engine.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	cfg := lrjs.DefaultConfig()
	cfg.RetryFor = time.Second
	st, err := lrjs.Open(context.Background(), nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	appendOne := func() error {
		ref := events.Ref{Country: "KH", Kind: events.KindDeployment, ID: uuid.Must(uuid.NewV7())}
		_, err := st.Append(context.Background(), []domain.Write{{Aggregate: ref, Events: []events.Envelope{{
			ID: uuid.Must(uuid.NewV7()), Type: events.TypeCapacityWithdrawn, Schema: 1, Aggregate: ref,
			Data: events.CapacityWithdrawn{DeploymentID: ref.ID, On: events.MustDate("2021-01-01")}}}}})
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var seqs []uint64
	done := make(chan error, 1)
	go func() {
		done <- st.Follow(ctx, 1, func(e events.Envelope, _ uint64) error {
			mu.Lock()
			seqs = append(seqs, e.Sequence)
			mu.Unlock()
			return nil
		})
	}()
	delivered := func(n int) {
		t.Helper()
		deadline := time.After(untilDeadline(t))
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			mu.Lock()
			got := len(seqs)
			mu.Unlock()
			if got >= n {
				return
			}
			select {
			case err := <-done:
				t.Fatalf("Follow ended: %v", err)
			case <-deadline:
				t.Fatalf("Follow delivered %d of %d events", got, n)
			case <-tick.C:
			}
		}
	}
	for range 50 {
		if err := appendOne(); err != nil {
			t.Fatal(err)
		}
	}
	delivered(50)

	srv.Close()
	start := time.Now()
	err = appendOne()
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("append while the server is down: %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > cfg.RetryFor+cfg.Timeout+time.Second {
		t.Fatalf("append while the server is down took %s to fail", took)
	}
	if srv, err = lrjs.StartEmbedded(ecfg); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; {
		if err := appendOne(); err == nil {
			i++
		} else if !errors.Is(err, domain.ErrUnavailable) {
			t.Fatal(err)
		}
	}
	delivered(100)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow ended with %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			t.Fatalf("event %d delivered with sequence %d: a gap or a repeat across the restart", i+1, seq)
		}
	}
}

// untilDeadline is how long a wait on progress may last: until shortly
// before the test binary's deadline (10 minutes without one), so that a
// busy machine slows a test down instead of failing it.
func untilDeadline(t *testing.T) time.Duration {
	if dl, ok := t.Deadline(); ok {
		return time.Until(dl) * 9 / 10
	}
	return 10 * time.Minute
}
