package jetstream_test

import (
	"context"
	"testing"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
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
