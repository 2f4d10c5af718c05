package jetstream_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
)

// leafPair starts a national server (domain national, leafnode listener)
// and a provincial leaf node (domain kh-battambang) connected to it through
// a proxy that can cut the link.
func leafPair(t *testing.T) (nat, prov *lrjs.Embedded, proxy *jetstreamtest.Proxy) {
	t.Helper()
	natDir := t.TempDir()
	ncfg := lrjs.DefaultEmbeddedConfig(natDir)
	ncfg.Leaf = lrjs.LeafConfig{Domain: "national", Listen: "127.0.0.1:0"}
	nat, err := lrjs.StartEmbedded(ncfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nat.Close)
	proxy = jetstreamtest.NewProxy(t, strings.TrimPrefix(nat.LeafURL(), "nats://"))
	pw, err := os.ReadFile(lrjs.PasswordFile(natDir, lrjs.LeafUser))
	if err != nil {
		t.Fatal(err)
	}
	pcfg := lrjs.DefaultEmbeddedConfig(t.TempDir())
	pcfg.Leaf = lrjs.LeafConfig{Domain: "kh-battambang", Remote: "nats://" + proxy.Addr(),
		RemoteUser: lrjs.LeafUser, RemotePassword: strings.TrimSpace(string(pw)), Reconnect: 100 * time.Millisecond}
	prov, err = lrjs.StartEmbedded(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prov.Close)
	return nat, prov, proxy
}

func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	eventuallyWithin(t, 30*time.Second, what, cond)
}

// eventuallyWithin is eventually with a bound of its own.
func eventuallyWithin(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in %s; last state: %s", what, within, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func msgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		return 0
	}
	info, err := s.Info(context.Background())
	if err != nil {
		return 0
	}
	return info.State.Msgs
}

// The whole loop at the level of JetStream: the national history mirrored
// into the province across the domains, the outbox read nationally by a
// durable consumer across the domain and the outcome written back, all of
// it resuming after a cut link; and the leaf link cannot write into the
// national history.
func TestLeafMirrorOutboxOutcomesAcrossCut(t *testing.T) {
	ctx := context.Background()
	nat, prov, proxy := leafPair(t)
	ncN, ncP := jetstreamtest.MustConnect(t, nat), jetstreamtest.MustConnect(t, prov)
	jsN, _ := jetstream.New(ncN)
	jsP, _ := jetstream.New(ncP)
	jsNP, _ := jetstream.NewWithDomain(ncN, "kh-battambang") // the province, seen from the national engine
	jetstreamtest.MustStore(t, ncN)                          // the national history
	if err := lrjs.EnsureProvinceStreams(ctx, jsP, "kh-battambang", "national"); err != nil {
		t.Fatal(err)
	}
	pub := func(js jetstream.JetStream, subj, id string) {
		t.Helper()
		if _, err := js.Publish(ctx, subj, []byte(id), jetstream.WithMsgID(id)); err != nil {
			t.Fatalf("publish %s: %v", subj, err)
		}
	}
	pub(jsN, "lr.area.a1", "e1")
	eventually(t, "mirror of 1 event", func() (bool, string) {
		n := msgs(t, jsP, lrjs.StreamName)
		return n == 1, fmt.Sprint(n)
	})
	cons, err := jsNP.CreateOrUpdateConsumer(ctx, lrjs.OutboxStream, lrjs.OutboxConsumerConfig("kh-battambang"))
	if err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	eventually(t, "link down", func() (bool, string) { return prov.LeafConnected() == 0 && nat.LeafConnected() == 0, "" })
	for i := 2; i <= 5; i++ {
		pub(jsN, fmt.Sprintf("lr.area.a%d", i), fmt.Sprintf("e%d", i))
	}
	pub(jsP, lrjs.OutboxSubject("kh-battambang", "c1"), "c1")
	pub(jsP, lrjs.OutboxSubject("kh-battambang", "c2"), "c2")
	// The outbox keeps one message per command ID.
	if _, err := jsP.Publish(ctx, lrjs.OutboxSubject("kh-battambang", "c1"), []byte("again")); err == nil {
		t.Fatal("a second message for command c1 was taken by the outbox")
	}
	if _, err := cons.Fetch(1, jetstream.FetchMaxWait(200*time.Millisecond)); err == nil {
		// Fetch returns a batch whose error comes later; no message may arrive.
	}
	proxy.Restore()
	eventually(t, "mirror caught up", func() (bool, string) {
		n := msgs(t, jsP, lrjs.StreamName)
		return n == 5, fmt.Sprint(n)
	})
	got := map[string]bool{}
	eventually(t, "outbox read across the domain", func() (bool, string) {
		b, err := cons.Fetch(2, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			return false, err.Error()
		}
		for m := range b.Messages() {
			got[string(m.Data())] = true
			id := strings.TrimPrefix(m.Subject(), lrjs.OutboxPrefix+".kh-battambang.")
			pub(jsNP, lrjs.OutcomeSubject("kh-battambang", id), "applied "+id)
			if err := m.DoubleAck(ctx); err != nil {
				return false, err.Error()
			}
		}
		return len(got) == 2, fmt.Sprint(got, b.Error())
	})
	if n := msgs(t, jsP, lrjs.OutcomeStream); n != 2 {
		t.Fatalf("%d outcomes stored in the province, want 2", n)
	}
	// Same sequences, subjects and data as the national stream.
	sN, _ := jsN.Stream(ctx, lrjs.StreamName)
	sP, _ := jsP.Stream(ctx, lrjs.StreamName)
	for seq := uint64(1); seq <= 5; seq++ {
		a, err := sN.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sP.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("mirror seq %d: %v", seq, err)
		}
		if a.Subject != b.Subject || string(a.Data) != string(b.Data) {
			t.Fatalf("seq %d: national %s %q, mirror %s %q", seq, a.Subject, a.Data, b.Subject, b.Data)
		}
	}

	// A core publish on lr.> in the province must not reach the national
	// history across the leaf (LeafPermissions).
	if err := ncP.Publish("lr.area.forged", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	ncP.Flush()
	pub(jsN, "lr.area.a6", "e6") // a marker after the forged one
	eventually(t, "marker mirrored", func() (bool, string) {
		n := msgs(t, jsP, lrjs.StreamName)
		return n == 6, fmt.Sprint(n)
	})
	if n := msgs(t, jsN, lrjs.StreamName); n != 6 {
		t.Fatalf("national history has %d messages, want 6: the province wrote into it", n)
	}
}

// An office's very first start can be offline: its streams are created and
// its outbox takes commands; the mirror fills when the national server
// appears.
func TestProvinceFirstStartOffline(t *testing.T) {
	ctx := context.Background()
	natDir := t.TempDir()
	if _, err := lrjs.EnsureCredentials(natDir); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	leafPW := "0123456789abcdef0123456789abcdef"
	if err := os.WriteFile(lrjs.PasswordFile(natDir, lrjs.LeafUser), []byte(leafPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pcfg := lrjs.DefaultEmbeddedConfig(t.TempDir())
	pcfg.Leaf = lrjs.LeafConfig{Domain: "kh-pailin", Remote: fmt.Sprintf("nats://127.0.0.1:%d", port),
		RemoteUser: lrjs.LeafUser, RemotePassword: leafPW, Reconnect: 100 * time.Millisecond}
	prov, err := lrjs.StartEmbedded(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()
	ncP := jetstreamtest.MustConnect(t, prov)
	jsP, _ := jetstream.New(ncP)
	if err := lrjs.EnsureProvinceStreams(ctx, jsP, "kh-pailin", "national"); err != nil {
		t.Fatalf("offline first start: %v", err)
	}
	if _, err := jsP.Publish(ctx, lrjs.OutboxSubject("kh-pailin", "c1"), []byte("c1")); err != nil {
		t.Fatalf("outbox offline: %v", err)
	}
	ncfg := lrjs.DefaultEmbeddedConfig(natDir)
	ncfg.Leaf = lrjs.LeafConfig{Domain: "national", Listen: fmt.Sprintf("127.0.0.1:%d", port)}
	nat, err := lrjs.StartEmbedded(ncfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nat.Close()
	ncN := jetstreamtest.MustConnect(t, nat)
	jsN, _ := jetstream.New(ncN)
	jetstreamtest.MustStore(t, ncN)
	for i := 1; i <= 3; i++ {
		if _, err := jsN.Publish(ctx, fmt.Sprintf("lr.area.a%d", i), []byte("e")); err != nil {
			t.Fatal(err)
		}
	}
	// A mirror whose source cannot be reached is retried by the server
	// with a growing backoff (nats-server's calculateRetryBackoff: 10 s,
	// 20 s, 30 s, … capped at 2 minutes), so after a first start offline
	// the mirror fills at the server's next retry, up to 2 minutes after
	// the link comes up (docs/operations.md, "Provincial office").
	eventuallyWithin(t, 150*time.Second, "mirror filled after a first start offline", func() (bool, string) {
		n := msgs(t, jsP, lrjs.StreamName)
		return n == 3, fmt.Sprint(n)
	})
}
