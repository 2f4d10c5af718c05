package jetstreamtest

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a JetStream cluster of nats-servers running in this process,
// like nats-server's own cluster tests: each node has its own client port,
// route port and store directory on loopback. Nodes can be stopped and
// started again on the same ports and directories.
type Cluster struct {
	tb     testing.TB
	opts   []*server.Options
	routes string
	nodes  []*server.Server // nil while stopped
}

// ClusterConfig describes a test cluster.
type ClusterConfig struct {
	Nodes      int
	SyncAlways bool // fsync every write, as the embedded server does; off is nats-server's default
}

// MustCluster starts an n-node cluster (nats-server's default sync) and
// waits until JetStream has a meta leader and every node is current. It
// shuts down at the end of the test.
func MustCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return MustClusterConfig(tb, ClusterConfig{Nodes: n})
}

// MustClusterConfig is MustCluster with a configuration.
func MustClusterConfig(tb testing.TB, cfg ClusterConfig) *Cluster {
	tb.Helper()
	n := cfg.Nodes
	c := &Cluster{tb: tb, nodes: make([]*server.Server, n)}
	// The route ports are chosen up front (every node's route list names
	// them all); each client port is the kernel's choice at the node's first
	// start and kept for its restarts.
	routePorts := freePorts(tb, n)
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	c.routes = strings.Join(routes, ",")
	base := tb.TempDir()
	for i := range n {
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("lr-%d", i),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   filepath.Join(base, fmt.Sprintf("n%d", i)),
			Cluster:    server.ClusterOpts{Name: "lr-test", Host: "127.0.0.1", Port: routePorts[i]},
			SyncAlways: cfg.SyncAlways,
			NoSigs:     true,
			NoLog:      true,
		})
	}
	tb.Cleanup(c.shutdown)
	for i := range n {
		c.Start(i)
	}
	c.WaitReady()
	return c
}

// freePorts returns n ports that were free on 127.0.0.1 a moment ago.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// URL returns the client URLs of every node, comma-separated, as
// --nats-url takes them.
func (c *Cluster) URL() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

// Size returns the number of nodes.
func (c *Cluster) Size() int { return len(c.opts) }

// Server returns node i, nil while it is stopped.
func (c *Cluster) Server(i int) *server.Server { return c.nodes[i] }

// Start starts node i (again) on its ports and store directory.
func (c *Cluster) Start(i int) {
	c.tb.Helper()
	o := *c.opts[i]
	o.Routes = server.RoutesFromStr(c.routes)
	srv, err := server.NewServer(&o)
	if err != nil {
		c.tb.Fatalf("node %d: %v", i, err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		c.tb.Fatalf("node %d did not start", i)
	}
	if c.opts[i].Port == server.RANDOM_PORT {
		c.opts[i].Port = srv.Addr().(*net.TCPAddr).Port
	}
	c.nodes[i] = srv
}

// Stop shuts node i down and waits until it has stopped.
func (c *Cluster) Stop(i int) {
	if srv := c.nodes[i]; srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		c.nodes[i] = nil
	}
}

// StreamLeader returns the index of the node that leads stream (global
// account), or -1.
func (c *Cluster) StreamLeader(stream string) int {
	for i, srv := range c.nodes {
		if srv != nil && srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// WaitStreamCurrent waits until every running node that holds a replica of
// stream has it current and one of them leads it.
func (c *Cluster) WaitStreamCurrent(stream string) {
	c.tb.Helper()
	c.waitFor(60*time.Second, "stream "+stream+" current on every node", func() bool {
		for _, srv := range c.nodes {
			if srv != nil && srv.JetStreamIsStreamAssigned(server.DEFAULT_GLOBAL_ACCOUNT, stream) &&
				!srv.JetStreamIsStreamCurrent(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
				return false
			}
		}
		return c.StreamLeader(stream) >= 0
	})
}

// WaitReady waits until the running nodes have a JetStream meta leader, are
// current, and the leader counts every one of them as an online peer (with
// its statistics): before that, placing a stream with as many replicas as
// nodes fails with "no suitable peers for placement, peer offline".
func (c *Cluster) WaitReady() {
	c.tb.Helper()
	c.waitFor(60*time.Second, "JetStream meta leader with every node online", func() bool {
		running, online := 0, -1
		for _, srv := range c.nodes {
			if srv == nil {
				continue
			}
			running++
			if !srv.JetStreamIsCurrent() {
				return false
			}
			if srv.JetStreamIsLeader() {
				online = len(srv.JetStreamClusterPeers())
			}
		}
		return online >= running
	})
}

func (c *Cluster) waitFor(limit time.Duration, what string, ok func() bool) {
	c.tb.Helper()
	deadline := time.After(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case <-deadline:
			c.tb.Fatalf("cluster: no %s after %s", what, limit)
		case <-tick.C:
		}
	}
}

func (c *Cluster) shutdown() {
	for i := range c.nodes {
		c.Stop(i)
	}
}
