package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/events"
)

// national is a national engine serving provincial offices, in process.
type national struct {
	dir      string
	leafPort int
	serve    *servingProcess
	admin    string // an admin token
}

// office is a provincial office: a data dir whose verbs run with --leaf
// through a proxy that can cut its line.
type office struct {
	domain, province, dir string
	nat                   *national
	proxy                 *jetstreamtest.Proxy
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newNational prepares a national data dir with an admin token; start it
// with start.
func newNational(t *testing.T) *national {
	t.Helper()
	n := &national{dir: t.TempDir(), leafPort: freePort(t)}
	n.admin = createToken(t, n.dir, "admin", "hq")
	return n
}

func (n *national) flags(offices ...*office) []string {
	var list []string
	for _, o := range offices {
		list = append(list, o.domain+"="+o.province)
	}
	return []string{"--leaf-listen", fmt.Sprintf("127.0.0.1:%d", n.leafPort), "--offices", strings.Join(list, ",")}
}

// start runs the national serve with its leaf listener until stop.
func (n *national) start(t *testing.T, offices ...*office) {
	t.Helper()
	n.serve = launchServe(t, n.dir, n.flags(offices...)...)
}

func (n *national) stop(t *testing.T) {
	t.Helper()
	n.serve.stop()
	n.serve.wait(t)
	n.serve = nil
}

// command posts one command to the national API as the admin.
func (n *national) command(t *testing.T, c map[string]any) {
	t.Helper()
	code, body := newClient(t, n.serve.base, n.admin).do("POST", "/api/v1/commands", c)
	mustStatus(t, "national "+c["command"].(string), code, body, 200)
}

func newOffice(t *testing.T, n *national, domain, province string) *office {
	t.Helper()
	return &office{domain: domain, province: province, dir: t.TempDir(), nat: n,
		proxy: jetstreamtest.NewProxy(t, fmt.Sprintf("127.0.0.1:%d", n.leafPort))}
}

func (o *office) argv(verb ...string) []string {
	return append([]string{"--data-dir", o.dir, "--leaf", "nats://" + o.proxy.Addr(),
		"--leaf-password-file", lrjs.PasswordFile(o.nat.dir, lrjs.LeafUser),
		"--jetstream-domain", o.domain, "--office-province", o.province}, verb...)
}

// run runs a verb on the office and returns its exit code and output.
func (o *office) run(t testing.TB, stdin string, verb ...string) (int, string, string) {
	t.Helper()
	return run(t, stdin, o.argv(verb...)...)
}

// syncWait runs 'sync wait --json' until the office has synced and returns
// the status. A busy machine may decide the office's commands slowly: while
// each round of 30 s shows progress (fewer commands pending, a smaller
// mirror lag, the link coming up), it waits another round.
func (o *office) syncWait(t *testing.T) syncStatus {
	t.Helper()
	var prev *syncStatus
	for {
		code, out, errOut := o.run(t, "", "sync", "wait", "--json", "--timeout", "30s")
		var st syncStatus
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("%s: sync wait: exit %d, output %q: %v\n%s", o.domain, code, out, err, errOut)
		}
		if code == exitOK {
			return st
		}
		progressed := prev == nil || st.Pending < prev.Pending || st.MirrorLag < prev.MirrorLag || (st.LinkUp && !prev.LinkUp)
		if code != exitRefused || !progressed {
			t.Fatalf("%s: sync wait: exit %d, no progress since the last round\n%s\n%s", o.domain, code, out, errOut)
		}
		t.Logf("%s: not synced yet, still progressing: %d pending, mirror lag %d", o.domain, st.Pending, st.MirrorLag)
		prev = &st
	}
}

// execLines runs exec --json on lines and returns the reports by command ID
// (and the line-numbered order).
func (o *office) exec(t *testing.T, lines ...string) []map[string]any {
	t.Helper()
	_, out, errOut := o.run(t, strings.Join(lines, "\n")+"\n", "exec", "--json", "-")
	var reps []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%s exec output %q: %v\n%s", o.domain, l, err, errOut)
		}
		reps = append(reps, r)
	}
	if len(reps) != len(lines) {
		t.Fatalf("%s exec: %d results for %d lines:\n%s\n%s", o.domain, len(reps), len(lines), out, errOut)
	}
	return reps
}

func provRegisterLine(id uuid.UUID, province string) string {
	return mustJSONLine(map[string]any{"command": "RegisterSuspectedArea", "command_id": uuid.Must(uuid.NewV7()),
		"data": map[string]any{"area_id": id, "province": province, "hazard": "AP", "size_m2": 100_000,
			"registered_on": "2024-01-10", "source": "BLS", "classification": "CHA"}})
}

// provRegisterLineWithID is provRegisterLine with a given command ID.
func provRegisterLineWithID(id uuid.UUID, province string, cmdID uuid.UUID) string {
	return mustJSONLine(map[string]any{"command": "RegisterSuspectedArea", "command_id": cmdID,
		"data": map[string]any{"area_id": id, "province": province, "hazard": "AP", "size_m2": 100_000,
			"registered_on": "2024-01-10", "source": "BLS", "classification": "CHA"}})
}

func cancelCmd(cmdID, area uuid.UUID, reason string) map[string]any {
	return map[string]any{"command": "CancelArea", "command_id": cmdID, "data": map[string]any{
		"area_id": area, "on": "2024-03-12", "method": "NTS", "reason": reason}}
}

// storedMsg is one message of a stream, as compared between the national
// history and an office's mirror.
type storedMsg struct {
	Seq     uint64
	Subject string
	MsgID   string
	Data    string
}

// readStream reads every message of stream name on the engine of the data
// dir with globals g (which must not be in use).
func readStream(t *testing.T, g globals, name string) []storedMsg {
	t.Helper()
	ctx := context.Background()
	eng, err := openEngine(ctx, g, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	js, _ := jsOf(eng.nc)
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	last := s.CachedInfo().State.LastSeq
	var out []storedMsg
	if last == 0 {
		return out
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		meta, _ := m.Metadata()
		out = append(out, storedMsg{meta.Sequence.Stream, m.Subject(), m.Headers().Get(jetstream.MsgIDHeader), string(m.Data())})
		if meta.Sequence.Stream >= last {
			return out
		}
	}
}

// commandUses counts, in the history with globals g, the events of each
// command ID.
func commandUses(t *testing.T, g globals) map[uuid.UUID]int {
	t.Helper()
	ctx := context.Background()
	eng, err := openEngine(ctx, g, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	uses := map[uuid.UUID]int{}
	if err := eng.store.Replay(ctx, 1, func(e events.Envelope) error {
		uses[e.CommandID]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return uses
}

func (o *office) globals(t *testing.T) globals {
	t.Helper()
	g := defaultGlobals()
	g.dataDir = o.dir
	g.prov = provFlags{domain: o.domain, leaf: "nats://" + o.proxy.Addr(), province: o.province,
		leafPassword: lrjs.PasswordFile(o.nat.dir, lrjs.LeafUser)}
	if err := g.validate(); err != nil {
		t.Fatal(err)
	}
	return g
}

func (n *national) globals(t *testing.T) globals {
	t.Helper()
	g := defaultGlobals()
	g.dataDir = n.dir
	return g
}

var _ = filepath.Join

// jsonMap decodes a JSON line into a map (a command for the API).
func jsonMap(t testing.TB, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	return m
}
