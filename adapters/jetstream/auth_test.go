package jetstream_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// mustListening starts an embedded server in dir listening on loopback.
func mustListening(t *testing.T, dir string) *lrjs.Embedded {
	t.Helper()
	cfg := lrjs.DefaultEmbeddedConfig(dir)
	cfg.Listen = "127.0.0.1:0"
	srv, err := lrjs.StartEmbedded(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func dialAs(url string, id lrjs.Identity, opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect(url, append([]nats.Option{nats.UserInfo(id.User, id.Password), nats.NoReconnect()}, opts...)...)
}

func TestEmbeddedListenerRequiresAuthentication(t *testing.T) {
	srv := mustListening(t, t.TempDir())
	creds := srv.Credentials()
	if _, err := nats.Connect(srv.ClientURL(), nats.NoReconnect()); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("anonymous connect: %v, want %v", err, nats.ErrAuthorization)
	}
	wrong := creds.Reader
	wrong.Password += "x"
	if _, err := dialAs(srv.ClientURL(), wrong); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("wrong password: %v, want %v", err, nats.ErrAuthorization)
	}
	swapped := lrjs.Identity{User: lrjs.EngineUser, Password: creds.Reader.Password}
	if _, err := dialAs(srv.ClientURL(), swapped); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("engine user with the reader's password: %v, want %v", err, nats.ErrAuthorization)
	}
	for _, id := range []lrjs.Identity{creds.Engine, creds.Reader} {
		nc, err := dialAs(srv.ClientURL(), id)
		if err != nil {
			t.Errorf("%s: %v", id.User, err)
			continue
		}
		nc.Close()
	}
}

func TestEmbeddedCredentialsAreKeptPrivateAndStable(t *testing.T) {
	dir := t.TempDir()
	srv := jetstreamtest.MustEmbeddedIn(t, dir)
	first := srv.Credentials()
	srv.Close()
	if first.Engine.Password == first.Reader.Password || len(first.Engine.Password) < 32 {
		t.Fatalf("passwords: engine %q, reader %q", first.Engine.Password, first.Reader.Password)
	}
	credDir := lrjs.CredentialsDir(dir)
	// A copied data dir may have lost the modes: start tightens them.
	if err := os.Chmod(credDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(lrjs.PasswordFile(dir, lrjs.ReaderUser), 0o644); err != nil {
		t.Fatal(err)
	}
	again := jetstreamtest.MustEmbeddedIn(t, dir)
	if again.Credentials() != first {
		t.Errorf("restart changed the credentials")
	}
	again.Close()
	if fi, err := os.Stat(credDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v %v, want mode 0700", credDir, fi.Mode(), err)
	}
	for _, u := range []string{lrjs.EngineUser, lrjs.ReaderUser} {
		p := lrjs.PasswordFile(dir, u)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", p, fi.Mode(), err)
		}
	}
	// Deleting a password file rotates that password alone.
	if err := os.Remove(lrjs.PasswordFile(dir, lrjs.ReaderUser)); err != nil {
		t.Fatal(err)
	}
	rotated := mustListening(t, dir).Credentials()
	if rotated.Engine != first.Engine || rotated.Reader.Password == first.Reader.Password {
		t.Errorf("after deleting reader.password: engine kept %v, reader changed %v",
			rotated.Engine == first.Engine, rotated.Reader.Password != first.Reader.Password)
	}
	leftovers, _ := filepath.Glob(filepath.Join(credDir, ".password-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestReaderReadsTheHistoryAndWritesNothing: the reader replays the history
// with an ordered consumer and fetches an event by direct get; every write it
// tries is refused by the server, and the history and token bucket are
// unchanged afterwards.
func TestReaderReadsTheHistoryAndWritesNothing(t *testing.T) {
	srv := mustListening(t, t.TempDir())
	eng := jetstreamtest.MustConnect(t, srv)
	st := jetstreamtest.MustStore(t, eng)
	ctx := context.Background()
	ref := events.Ref{Country: "KH", Kind: events.KindDeployment, ID: uuid.Must(uuid.NewV7())}
	var last uint64
	for i := range 3 {
		seq, err := st.Append(ctx, []domain.Write{{Aggregate: ref, Expected: last, Events: []events.Envelope{{
			ID: uuid.Must(uuid.NewV7()), Type: events.TypeCapacityWithdrawn, Schema: 1, Aggregate: ref,
			Data: events.CapacityWithdrawn{DeploymentID: ref.ID, On: events.MustDate("2021-01-01").AddDays(i)}}}}})
		if err != nil {
			t.Fatal(err)
		}
		last = seq
	}
	bucket, err := lrjs.OpenBucket(ctx, eng, lrjs.TokensBucket, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := bucket.Put(ctx, "probe", []byte("kept")); err != nil {
		t.Fatal(err)
	}

	nc, err := dialAs(srv.ClientURL(), srv.Credentials().Reader)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, lrjs.StreamName)
	if err != nil {
		t.Fatalf("reader: stream info: %v", err)
	}
	if got := stream.CachedInfo().State.LastSeq; got != last {
		t.Fatalf("reader sees last sequence %d, want %d", got, last)
	}
	oc, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("reader: ordered consumer: %v", err)
	}
	batch, err := oc.FetchNoWait(10)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		if m.Headers().Get("Lr-Event-Type") != string(events.TypeCapacityWithdrawn) {
			t.Errorf("replayed message headers %v", m.Headers())
		}
		n++
	}
	if batch.Error() != nil || n != 3 {
		t.Errorf("reader replayed %d events (%v), want 3", n, batch.Error())
	}
	got, err := stream.GetLastMsgForSubject(ctx, ref.Subject())
	if err != nil || got.Sequence != last {
		t.Errorf("reader: direct get of %s: %v, %v", ref.Subject(), got, err)
	}

	reader := srv.Credentials().Reader
	jetstreamtest.MustRefuseAll(t, srv.ClientURL(), jetstreamtest.ReaderWrites("lr.kh.area."+uuid.Must(uuid.NewV7()).String()),
		time.Second, nats.UserInfo(reader.User, reader.Password))

	info, err := st.JetStream().Stream(ctx, lrjs.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if s := info.CachedInfo(); s.State.LastSeq != last || s.State.Msgs != 3 || s.Config.MaxAge != 0 {
		t.Errorf("history changed: last %d msgs %d max age %s", s.State.LastSeq, s.State.Msgs, s.Config.MaxAge)
	}
	if v, err := bucket.Get(ctx, "probe"); err != nil || string(v) != "kept" {
		t.Errorf("token bucket changed: %q %v", v, err)
	}
}

func TestListenBeyondLoopbackNeedsTLSOrConsent(t *testing.T) {
	cfg := lrjs.DefaultEmbeddedConfig(t.TempDir())
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:4222", "[::]:0"} {
		cfg.Listen = addr
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "InsecureListen") {
			t.Errorf("listen %s without TLS: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		cfg.Listen = addr
		if err := cfg.Validate(); err != nil {
			t.Errorf("listen %s: %v", addr, err)
		}
	}
	cfg.Listen, cfg.TLSCert = "0.0.0.0:0", "cert.pem"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("certificate without key: %v", err)
	}
	cfg.TLSCert, cfg.InsecureListen = "", true
	if err := cfg.Validate(); err != nil {
		t.Errorf("InsecureListen: %v", err)
	}
}

// TestTLSListener: with a certificate the listener speaks TLS only, and a
// client that trusts the certificate connects with the reader's identity.
func TestTLSListener(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	cfg := lrjs.DefaultEmbeddedConfig(dir)
	cfg.Listen, cfg.TLSCert, cfg.TLSKey = "0.0.0.0:0", cert, key
	srv, err := lrjs.StartEmbedded(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.ClientURL(), "tls://"))
	url := "nats://127.0.0.1:" + port
	if _, err := dialAs(url, srv.Credentials().Reader); err == nil {
		t.Errorf("a client without the server's CA connected")
	}
	nc, err := dialAs(url, srv.Credentials().Reader, nats.RootCAs(pool))
	if err != nil {
		t.Fatalf("TLS connect: %v", err)
	}
	defer nc.Close()
	if !nc.TLSRequired() {
		t.Errorf("the server does not require TLS")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool trusting the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile, pool string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "landrelease test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, certFile
}
