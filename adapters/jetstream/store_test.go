package jetstream_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/storetest"
	"github.com/landrelease/landrelease/events"
)

func TestConformanceEmbedded(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.EventStore {
		return jetstreamtest.MustStore(t, jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t)))
	})
}

func TestConformanceExternal(t *testing.T) {
	jetstreamtest.ExternalURL(t)
	storetest.Run(t, func(t *testing.T) domain.EventStore {
		return jetstreamtest.MustStore(t, jetstreamtest.MustExternalFresh(t))
	})
}

func TestStreamIsSafe(t *testing.T) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	st := jetstreamtest.MustStore(t, nc)
	info, err := st.JetStream().Stream(context.Background(), lrjs.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	c := info.CachedInfo().Config
	if c.MaxAge != 0 || c.MaxBytes != -1 || c.MaxMsgs != -1 || c.MaxMsgsPerSubject != -1 ||
		c.Discard != jetstream.DiscardNew || !c.DenyDelete || !c.DenyPurge || !c.AllowAtomicPublish ||
		!c.AllowDirect || c.Storage != jetstream.FileStorage {
		t.Fatalf("stream config can lose or hide history: %+v", c)
	}
	if err := st.JetStream().DeleteStream(context.Background(), "nothing"); err == nil {
		t.Fatal("deleting an unknown stream succeeded")
	}
	// Deleting or purging events is refused by the server.
	if err := info.Purge(context.Background()); err == nil {
		t.Fatal("purge of the history stream succeeded")
	}
}

// Any NATS client sees the subjects and headers of docs/contract.md.
func TestHeadersReadableByPlainClient(t *testing.T) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	st := jetstreamtest.MustStore(t, nc)
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
	cmd := uuid.Must(uuid.NewV7())
	env := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: events.TypeAreaRegistered, Schema: 1, Aggregate: ref,
		OccurredOn: events.MustDate("2020-01-15"), RecordedAt: time.Now(), Actor: "mapu:Pailin", CommandID: cmd, CorrelationID: cmd,
		Data: events.AreaRegistered{AreaID: ref.ID, Province: "Pailin", Hazard: "AP", Classification: "SHA", SizeM2: 10, RegisteredOn: events.MustDate("2020-01-15"), Source: "BLS"}}
	seq, err := st.Append(context.Background(), []domain.Write{{Aggregate: ref, Events: []events.Envelope{env}}})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := st.JetStream().Stream(context.Background(), lrjs.StreamName)
	raw, err := s.GetMsg(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Subject != "lr.kh.area."+ref.ID.String() {
		t.Errorf("subject = %q", raw.Subject)
	}
	want := map[string]string{
		"Nats-Msg-Id": env.ID.String(), "Lr-Event-Type": "AreaRegistered", "Lr-Schema": "1",
		"Lr-Occurred-On": "2020-01-15", "Lr-Actor": "mapu:Pailin", "Lr-Command-Id": cmd.String(), "Lr-Correlation-Id": cmd.String(),
	}
	for k, v := range want {
		if got := raw.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if string(raw.Data[:1]) != "{" {
		t.Errorf("body is not the event's JSON: %q", raw.Data)
	}
}

func TestConflictIsDomainError(t *testing.T) {
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	st := jetstreamtest.MustStore(t, nc)
	ref := events.Ref{Country: "KH", Kind: events.KindDeployment, ID: uuid.Must(uuid.NewV7())}
	e := events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: events.TypeCapacityWithdrawn, Schema: 1, Aggregate: ref,
		Data: events.CapacityWithdrawn{DeploymentID: ref.ID, On: events.MustDate("2021-01-01")}}
	_, err := st.Append(context.Background(), []domain.Write{{Aggregate: ref, Expected: 5, Events: []events.Envelope{e}}})
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.ErrConflict {
		t.Fatalf("err = %v, want a *domain.Error of kind ErrConflict", err)
	}
}

func TestVersionCheck(t *testing.T) {
	for _, c := range []struct {
		have string
		ok   bool
	}{{"2.15.2", true}, {"2.12.0", true}, {"2.12.0-beta.1", true}, {"2.11.9", false}, {"2.10.22", false}, {"3.0.0", true}, {"1.99.99", false}} {
		if got := lrjs.VersionAtLeast(c.have, lrjs.MinServerVersion); got != c.ok {
			t.Errorf("VersionAtLeast(%q, %q) = %v, want %v", c.have, lrjs.MinServerVersion, got, c.ok)
		}
	}
}

// A server too old for atomic batches is refused with a clear error. The
// machines this project runs on start a Debian nats-server 2.9 on 4222; where
// none runs (or a new one does) there is nothing to show.
func TestOldServerRefused(t *testing.T) {
	nc, err := nats.Connect("nats://127.0.0.1:4222", nats.Timeout(time.Second))
	if err != nil {
		t.Skipf("no nats-server on 127.0.0.1:4222: %v", err)
	}
	defer nc.Close()
	v := nc.ConnectedServerVersion()
	if lrjs.VersionAtLeast(v, lrjs.MinServerVersion) {
		t.Skipf("the server on 4222 is %s, new enough", v)
	}
	_, err = lrjs.Open(context.Background(), nc, lrjs.DefaultConfig())
	if err == nil || !strings.Contains(err.Error(), lrjs.MinServerVersion) {
		t.Fatalf("Open on nats-server %s: err = %v, want a refusal naming %s", v, err, lrjs.MinServerVersion)
	}
}

func TestConformanceGroupCommitEmbedded(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.EventStore {
		return storetest.GroupCommit(t, jetstreamtest.MustStore(t, jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))), 0)
	})
}
