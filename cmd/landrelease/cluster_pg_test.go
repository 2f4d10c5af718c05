package main

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/projections/projectiontest"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// tcpProxy forwards a loopback port to a server; Cut closes the port and
// every connection through it (a real network fault for the client: its
// connections reset, new ones are refused), Restore opens the port again.
type tcpProxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func startTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *tcpProxy) pipe(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close(); c.Close() }()
	io.Copy(c, s)
	c.Close()
	s.Close()
}

// Cut closes the port and every connection through it.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore listens on the same port again.
func (p *tcpProxy) Restore(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: listen on %s again: %v", p.addr, err)
	}
	p.serve(ln)
}

// PostgreSQL goes away (every connection of the read model reset, new
// ones refused) while commands keep coming, and comes back: the projections
// pause at their checkpoint, resume from it by themselves, and the read
// model ends equal to a fresh rebuild: nothing skipped, nothing doubled.
func TestProjectionsRideOutPostgreSQLOutage(t *testing.T) {
	directDSN := testPG(t)
	u, err := url.Parse(directDSN)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startTCPProxy(t, u.Host)
	u.Host = proxy.addr
	proxiedDSN := u.String()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := defaultGlobals()
	g.dataDir = t.TempDir()
	eng, err := openEngine(ctx, g, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	db, err := sqlstore.Open(ctx, proxiedDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	direct, err := sqlstore.Open(ctx, directDSN) // the same database, not through the proxy
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()

	var failures atomic.Int64
	var lastCommit atomic.Uint64
	backwards := make(chan uint64, 1)
	followDone := make(chan error, 1)
	follower := projectiontest.Runner(t, db, 50)
	go func() {
		followDone <- projections.FollowRetrying(ctx, follower, eng.store,
			projections.Backoff{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond},
			func(seq uint64) {
				if prev := lastCommit.Swap(seq); seq <= prev {
					select {
					case backwards <- seq:
					default:
					}
				}
			},
			func(err error, attempt int) { failures.Add(1) })
	}()
	envs := synth.Mixed(synth.DefaultConfig(7, 600))
	apply := func(part []domain.CommandEnvelope) {
		t.Helper()
		for _, o := range eng.handler.HandleBatch(ctx, part, nil) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
		}
	}
	last := func() (uint64, error) { return eng.store.LastSequence(ctx) }

	apply(envs[:200])
	waitCheckpoint(t, direct, last, 30*time.Second)
	before, _ := direct.Checkpoint(ctx)

	proxy.Cut()
	for _, env := range envs[200:400] { // one at a time, so the runner keeps trying to commit
		if _, err := eng.handler.Handle(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	pollUntil(t, 30*time.Second, "a failed commit while PostgreSQL is away", func() bool { return failures.Load() >= 2 })
	if cp, _ := direct.Checkpoint(ctx); cp != before {
		t.Fatalf("checkpoint moved from %d to %d while the read model's database was unreachable", before, cp)
	}
	proxy.Restore(t)
	apply(envs[400:])
	waitCheckpoint(t, direct, last, 60*time.Second)
	select {
	case seq := <-backwards:
		t.Fatalf("a commit went back to sequence %d", seq)
	default:
	}
	cancel()
	if err := <-followDone; err != nil {
		t.Fatal(err)
	}

	fresh, err := sqlstore.Open(context.Background(), testPG(t))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := projectiontest.Runner(t, fresh, 1000).Rebuild(context.Background(), eng.store, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := direct.Dump(context.Background())
	b, _ := fresh.Dump(context.Background())
	if a != b {
		t.Fatal("after the outage the read model differs from a rebuild")
	}
	t.Logf("checkpoint held at %d while PostgreSQL was away; %d failed attempts, then resumed to %d", before, failures.Load(), lastCommit.Load())
}

func pollUntil(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case <-deadline:
			t.Fatalf("no %s after %s", what, limit)
		case <-tick.C:
		}
	}
}
