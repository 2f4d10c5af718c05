package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/projections/projectiontest"
)

// A three-node cluster, an R3 stream: commands flow from several clients
// while the stream leader's node is shut down and later restarted, while
// the new leader is stepped down, and while two nodes are down (no quorum). Every command acknowledged to a
// client is in the history exactly once (those refused as unavailable and
// retried with the same command ID included), nothing else is, and the live
// read model, which followed the stream through the faults, equals a fresh
// rebuild.
func TestClusterRidesOutNodeLossAndStepdown(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-node cluster and a leader election of several seconds")
	}
	c := jetstreamtest.MustCluster(t, 3)
	eng := openClusterEngine(t, c.URL())
	if r := eng.store.Replicas(); r != 3 {
		t.Fatalf("stream has %d replicas on a three-node cluster, want 3 (chosen by default)", r)
	}
	c.WaitStreamCurrent(lrjs.StreamName)
	areas := registerAreas(t, eng.handler, 12)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "live.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var followErrors atomic.Int64
	followDone := make(chan error, 1)
	follower := projectiontest.Runner(t, db, 100)
	go func() {
		followDone <- projections.FollowRetrying(ctx, follower, eng.store, projections.Backoff{}, nil,
			func(err error, attempt int) {
				followErrors.Add(1)
				t.Logf("projections: attempt %d: %v", attempt, err)
			})
	}()

	load := startReduceLoad(eng.handler, areas, 6)
	load.waitFor(t, 200, 30*time.Second, "before the faults")

	leader := c.StreamLeader(lrjs.StreamName)
	if leader < 0 {
		t.Fatal("no stream leader")
	}
	stopped := time.Now()
	c.Stop(leader)
	load.waitFor(t, 200, 90*time.Second, "after the leader's node was shut down")
	gapNodeLoss := load.longestGap(stopped)
	c.Start(leader)
	c.WaitStreamCurrent(lrjs.StreamName)
	load.waitFor(t, 100, 30*time.Second, "after the node came back")

	steppedDown := time.Now()
	before := c.StreamLeader(lrjs.StreamName)
	resp, err := eng.nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+lrjs.StreamName, nil, 10*time.Second)
	if err != nil {
		t.Fatalf("stream leader stepdown: %v", err)
	}
	var sd struct {
		Success bool `json:"success"`
		Error   any  `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &sd); err != nil || !sd.Success {
		t.Fatalf("stream leader stepdown refused: %s", resp.Data)
	}
	load.waitFor(t, 200, 60*time.Second, "after the stepdown")
	gapStepdown := load.longestGap(steppedDown)

	// Two of three nodes down: no quorum, no leader. Commands fail as
	// unavailable (the clients retry them with the same command IDs)
	// until the nodes are back.
	unavailableBefore := load.unavailableCount()
	quorumLost := time.Now()
	others := []int{}
	for i := range c.Size() {
		if i != c.StreamLeader(lrjs.StreamName) && len(others) < 2 {
			others = append(others, i)
		}
	}
	c.Stop(others[0])
	c.Stop(others[1])
	pollUntil(t, 60*time.Second, "command refused as unavailable without quorum", func() bool {
		load.checkFailures(t)
		return load.unavailableCount() > unavailableBefore
	})
	c.Start(others[0])
	c.Start(others[1])
	c.WaitStreamCurrent(lrjs.StreamName)
	load.waitFor(t, 200, 60*time.Second, "after quorum came back")
	gapQuorum := load.longestGap(quorumLost)
	load.finish(t)
	after := c.StreamLeader(lrjs.StreamName)

	checkExactlyOnce(t, eng.store, load.acked)
	waitCheckpoint(t, db, func() (uint64, error) { return eng.store.LastSequence(context.Background()) }, 60*time.Second)
	cancel()
	if err := <-followDone; err != nil {
		t.Fatalf("projections: %v", err)
	}
	checkRebuildEqual(t, db, eng.store)
	t.Logf("%d commands acknowledged, %d of them after a retry; %d refusals as unavailable; slowest call %s; "+
		"longest pause: %s after the leader's node stopped, %s after the stepdown (leader node %d -> %d), %s with two nodes down; projections restarted %d times",
		len(load.acked), load.retried, load.unavailable, load.slowest.Round(time.Millisecond),
		gapNodeLoss.Round(time.Millisecond), gapStepdown.Round(time.Millisecond), before, after, gapQuorum.Round(time.Millisecond), followErrors.Load())
	if load.retried == 0 {
		t.Fatal("no command was retried after being refused: the exactly-once check of retries tested nothing")
	}
}
