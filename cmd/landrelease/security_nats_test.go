package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
)

// natsCreds is what 'landrelease nats-creds --json' prints.
type natsCreds struct {
	User         string `json:"user"`
	Password     string `json:"password"`
	PasswordFile string `json:"password_file"`
}

func readNATSCreds(t *testing.T, dataDir string, args ...string) natsCreds {
	t.Helper()
	code, out, errOut := run(t, "", append([]string{"--data-dir", dataDir, "nats-creds", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("nats-creds: exit %d: %s", code, errOut)
	}
	var c natsCreds
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("nats-creds --json: %v\n%s", err, out)
	}
	return c
}

// servedNATS starts serve on dataDir with --nats-listen 127.0.0.1:0 and
// returns the API's base URL and the NATS URL serve printed.
func servedNATS(t *testing.T, dataDir string) (base, natsURL string) {
	t.Helper()
	p := launchServe(t, dataDir, "--nats-listen", "127.0.0.1:0")
	t.Cleanup(func() {
		p.stop()
		p.wait(t)
	})
	m := regexp.MustCompile(`embedded NATS server listening on (nats://\S+);`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("serve printed no NATS address:\n%s", p.stderr)
	}
	if strings.Contains(p.stderr.String(), readNATSCreds(t, dataDir).Password) {
		t.Errorf("serve printed the reader's password at start:\n%s", p.stderr)
	}
	return p.base, m[1]
}

func quietConnect(url string, opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect(url, append([]nats.Option{nats.NoReconnect(),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})}, opts...)...)
}

// TestSecurityNATSListenerRefusesStrangersAndReadersWriting: serve's NATS
// port refuses anonymous and wrong-password connections; the reader replays
// the history with plain nats.go (an ordered consumer of the new API, a push
// ordered consumer of the old one, direct gets) but every write it tries is
// refused by the server; afterwards the history and the read model are as
// they were, and the engine still stores commands sent through the API.
func TestSecurityNATSListenerRefusesStrangersAndReadersWriting(t *testing.T) {
	dir := t.TempDir()
	token := createToken(t, dir, "admin", "ops")
	base, natsURL := servedNATS(t, dir)
	c := newClient(t, base, token)
	areas := []string{uuid.NewString(), uuid.NewString()}
	for _, a := range areas {
		code, body := c.do("POST", "/api/v1/commands", cmdJSON("RegisterSuspectedArea", map[string]any{"area_id": a,
			"province": "Pailin", "hazard": "AP", "size_m2": 10_000, "registered_on": "2024-01-02", "source": "BLS"}))
		mustStatus(t, "register", code, body, 200)
	}
	reader := readNATSCreds(t, dir)
	if reader.User != lrjs.ReaderUser || reader.PasswordFile != lrjs.PasswordFile(dir, lrjs.ReaderUser) {
		t.Fatalf("nats-creds: %+v", reader)
	}

	// Strangers.
	if _, err := quietConnect(natsURL); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("anonymous connect: %v, want %v", err, nats.ErrAuthorization)
	}
	if _, err := quietConnect(natsURL, nats.UserInfo(reader.User, reader.Password+"0")); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("wrong password: %v, want %v", err, nats.ErrAuthorization)
	}
	if _, err := quietConnect(natsURL, nats.UserInfo(lrjs.EngineUser, reader.Password)); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("the engine's name with the reader's password: %v, want %v", err, nats.ErrAuthorization)
	}

	nc, err := quietConnect(natsURL, nats.UserInfo(reader.User, reader.Password))
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	defer nc.Close()
	ctx := context.Background()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, lrjs.StreamName)
	if err != nil {
		t.Fatalf("reader: stream info: %v", err)
	}
	last := stream.CachedInfo().State.LastSeq
	if last < 2 {
		t.Fatalf("history has %d events, want the 2 registrations", last)
	}
	var readModel []byte
	readState := func() []byte {
		code, body := c.do("GET", "/api/v1/areas?limit=100&min_sequence="+strconv.FormatUint(last, 10), nil)
		mustStatus(t, "areas", code, body, 200)
		return body
	}
	readModel = readState()

	// Replay: the whole history, in order, with the engine's headers.
	oc, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("reader: ordered consumer: %v", err)
	}
	batch, err := oc.Fetch(int(last), jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for m := range batch.Messages() {
		meta, _ := m.Metadata()
		seqs = append(seqs, meta.Sequence.Stream)
		if m.Headers().Get("Lr-Event-Type") == "" {
			t.Errorf("event %d has no Lr-Event-Type header", meta.Sequence.Stream)
		}
	}
	if batch.Error() != nil || len(seqs) != int(last) || seqs[len(seqs)-1] != last {
		t.Errorf("reader replayed sequences %v (%v), want 1..%d", seqs, batch.Error(), last)
	}
	// Direct gets: by sequence and the last of an area's subject.
	if m, err := stream.GetMsg(ctx, 1); err != nil || m.Sequence != 1 {
		t.Errorf("reader: direct get of 1: %v", err)
	}
	if m, err := stream.GetLastMsgForSubject(ctx, "lr.kh.area."+areas[1]); err != nil || m.Header.Get("Lr-Event-Type") != "AreaRegistered" {
		t.Errorf("reader: last message of area %s: %v %v", areas[1], m, err)
	}
	// The older push API, as 'nats sub' and older tools use it.
	old, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := old.SubscribeSync("lr.>", nats.OrderedConsumer(), nats.DeliverAll(), nats.BindStream(lrjs.StreamName))
	if err != nil {
		t.Fatalf("reader: push ordered consumer: %v", err)
	}
	if m, err := sub.NextMsg(10 * time.Second); err != nil || m.Header.Get("Lr-Event-Type") == "" {
		t.Errorf("reader: push ordered consumer delivered %v, %v", m, err)
	}
	if err := sub.Unsubscribe(); err != nil { // deletes its consumer
		t.Errorf("reader: unsubscribe: %v", err)
	}

	// Every write is refused.
	jetstreamtest.MustRefuseAll(t, natsURL, jetstreamtest.ReaderWrites("lr.kh.area."+areas[0]), time.Second,
		nats.UserInfo(reader.User, reader.Password))
	// A core publish onto another area's subject, as a stray tool would.
	stray := "lr.kh.area." + uuid.NewString()
	if err := nc.Publish(stray, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if e := nc.LastError(); e == nil || !strings.Contains(e.Error(), `Publish to "`+stray+`"`) {
		t.Errorf("core publish to %s: last error %v, want a permissions violation", stray, e)
	}

	// Nothing changed.
	after, err := js.Stream(ctx, lrjs.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if s := after.CachedInfo(); s.State.LastSeq != last || s.Config.MaxAge != 0 {
		t.Errorf("history changed: last sequence %d (was %d), max age %s", s.State.LastSeq, last, s.Config.MaxAge)
	}
	if now := readState(); !bytes.Equal(now, readModel) {
		t.Errorf("read model changed:\nbefore %s\nafter  %s", readModel, now)
	}

	// The engine still works: a command through the API lands.
	code, body := c.do("POST", "/api/v1/commands", cmdJSON("RecordEvidence", map[string]any{"area_id": areas[0], "kind": "WITNESS", "observed_on": "2024-03-01"}))
	mustStatus(t, "record evidence", code, body, 200)
	landed, err := js.Stream(ctx, lrjs.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if got := landed.CachedInfo().State.LastSeq; got != last+1 {
		t.Errorf("after a command through the API the history ends at %d, want %d", got, last+1)
	}
}

// TestSecurityNATSURLCredentials: another landrelease pointed at a serve's
// NATS port needs the engine's identity: without credentials, or with the
// reader's, it is refused with what to give, and nothing is written.
func TestSecurityNATSURLCredentials(t *testing.T) {
	dir := t.TempDir()
	_, natsURL := servedNATS(t, dir)
	engine := readNATSCreds(t, dir, "--engine")
	reader := readNATSCreds(t, dir)
	other := func(args ...string) (int, string, string) {
		return run(t, "", append([]string{"--data-dir", t.TempDir(), "--nats-url", natsURL}, args...)...)
	}

	code, _, errOut := other("token", "list")
	if code == exitOK || !strings.Contains(strings.ToLower(errOut), "authorization violation") || !strings.Contains(errOut, "--nats-password-file") {
		t.Errorf("no credentials: exit %d, %s", code, errOut)
	}
	code, _, errOut = other("--nats-user", reader.User, "--nats-password-file", reader.PasswordFile, "token", "create", "--role", "admin", "--name", "mallory")
	if code == exitOK || !strings.Contains(errOut, "permissions violation") || !strings.Contains(errOut, "user engine") {
		t.Errorf("the reader's identity: exit %d, %s", code, errOut)
	}
	code, out, errOut := other("--nats-user", engine.User, "--nats-password-file", engine.PasswordFile, "token", "list")
	if code != exitOK {
		t.Fatalf("the engine's identity: exit %d, %s", code, errOut)
	}
	if strings.Contains(out, "mallory") {
		t.Errorf("the reader created a token:\n%s", out)
	}
	// user:password in the URL works too.
	withUser := strings.Replace(natsURL, "nats://", "nats://"+engine.User+":"+engine.Password+"@", 1)
	if code, _, errOut := run(t, "", "--data-dir", t.TempDir(), "--nats-url", withUser, "token", "list"); code != exitOK {
		t.Errorf("credentials in the URL: exit %d, %s", code, errOut)
	}
}

// TestSecurityNATSListenBeyondLoopback: --nats-listen on every interface
// without TLS is refused before anything starts, naming the flags that
// would allow it.
func TestSecurityNATSListenBeyondLoopback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, addr := range []string{"0.0.0.0:0", ":0"} {
		code, _, errOut := run(t, "", "--data-dir", dir, "serve", "--http", "127.0.0.1:0", "--nats-listen", addr)
		if code != exitUsage || !strings.Contains(errOut, "--nats-insecure-listen") || !strings.Contains(errOut, "--nats-tls-cert") {
			t.Errorf("--nats-listen %s: exit %d, %s", addr, code, errOut)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused serve created its data dir: %v", err)
	}
	// With the explicit flag it starts (on every interface, for the test
	// only long enough to see it serve).
	p := launchServe(t, dir, "--nats-listen", "0.0.0.0:0", "--nats-insecure-listen")
	p.stop()
	p.wait(t)
}
