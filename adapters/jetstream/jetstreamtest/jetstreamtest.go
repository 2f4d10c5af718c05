// Package jetstreamtest starts real JetStream servers for tests: an embedded
// nats-server in a temporary directory, or the external server named by the
// NATS_URL environment variable. Each helper registers its own cleanup.
package jetstreamtest

import (
	"context"
	"os"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// MustEmbedded starts an embedded server with SyncAlways in tb.TempDir().
func MustEmbedded(tb testing.TB) *lrjs.Embedded {
	tb.Helper()
	return MustEmbeddedIn(tb, tb.TempDir())
}

// MustEmbeddedIn starts an embedded server with SyncAlways in dataDir,
// in process only.
func MustEmbeddedIn(tb testing.TB, dataDir string) *lrjs.Embedded {
	tb.Helper()
	cfg := lrjs.DefaultEmbeddedConfig(dataDir)
	srv, err := lrjs.StartEmbedded(cfg)
	if err != nil {
		tb.Fatalf("start embedded nats-server: %v", err)
	}
	tb.Cleanup(srv.Close)
	return srv
}

// MustConnect connects to srv in process.
func MustConnect(tb testing.TB, srv *lrjs.Embedded) *nats.Conn {
	tb.Helper()
	nc, err := srv.Connect()
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// MustStore opens a store on nc.
func MustStore(tb testing.TB, nc *nats.Conn) *lrjs.Store {
	tb.Helper()
	st, err := lrjs.Open(context.Background(), nc, lrjs.DefaultConfig())
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	return st
}

// MustTokenBucket opens the API token bucket (LANDRELEASE_TOKENS) on nc,
// for tests of the token registry against a real KV bucket.
func MustTokenBucket(tb testing.TB, nc *nats.Conn) *lrjs.Bucket {
	tb.Helper()
	b, err := lrjs.OpenBucket(context.Background(), nc, lrjs.TokensBucket, 1)
	if err != nil {
		tb.Fatalf("open token bucket: %v", err)
	}
	return b
}

// ExternalURL returns NATS_URL, or skips the test when it is not set.
func ExternalURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("NATS_URL")
	if url == "" {
		tb.Skip("NATS_URL not set: no external nats-server to test against (.ci/run starts one)")
	}
	return url
}

// MustExternalFresh connects to the external server and deletes the history
// stream, so the test starts empty. NATS_URL must name a throwaway server.
func MustExternalFresh(tb testing.TB) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(ExternalURL(tb))
	if err != nil {
		tb.Fatalf("connect to NATS_URL: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	if err := js.DeleteStream(context.Background(), lrjs.StreamName); err != nil && !isNotFound(err) {
		tb.Fatalf("delete stream on external server: %v", err)
	}
	return nc
}

func isNotFound(err error) bool {
	return err == jetstream.ErrStreamNotFound
}
