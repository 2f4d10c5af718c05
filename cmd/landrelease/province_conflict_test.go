package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// Two offices (the Battambang MAPU office and a field base of the same
// province) cancel the same area while both are offline: the second to
// reach the national engine is decided again on the state the first left,
// and refused, not written over it.
func TestProvincialOfficesSameAggregate(t *testing.T) {
	if testing.Short() {
		t.Skip("three engines and their leaf links")
	}
	nat := newNational(t)
	a := newOffice(t, nat, "kh-battambang", "Battambang")
	b := newOffice(t, nat, "kh-battambang-field", "Battambang")
	area := uuid.New()
	if code, out, errOut := run(t, provRegisterLine(area, "Battambang")+"\n", "--data-dir", nat.dir, "exec", "-"); code != exitOK {
		t.Fatalf("setup: %s %s", out, errOut)
	}
	nat.start(t, a, b)
	defer nat.stop(t)
	a.syncWait(t)
	b.syncWait(t)
	a.proxy.Cut()
	b.proxy.Cut()
	ca, cb := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	if r := a.exec(t, mustJSONLine(cancelCmd(ca, area, "NTS by the MAPU"))); r[0]["status"] != statusPending {
		t.Fatal(r)
	}
	if r := b.exec(t, mustJSONLine(cancelCmd(cb, area, "NTS by the field base"))); r[0]["status"] != statusPending {
		t.Fatal(r)
	}
	a.proxy.Restore()
	if st := a.syncWait(t); st.Applied != 1 {
		t.Fatalf("first office: %+v", st)
	}
	b.proxy.Restore()
	st := b.syncWait(t)
	if st.Refused != 1 || len(st.Commands) != 1 || st.Commands[0].CommandID != cb.String() || st.Commands[0].Reason == "" {
		t.Fatalf("second office: want its command refused after sync with a reason, got %+v", st)
	}
	t.Logf("second office's command: %s", st.Commands[0].Reason)
}

// SIGKILL of a provincial office's process while its outbox holds
// commands, then again while they are being decided: after a restart they
// all sync, each applied once.
func TestProvincialOfficeSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	nat := newNational(t)
	o := newOffice(t, nat, "kh-battambang", "Battambang")
	const n = 300
	areas := make([]uuid.UUID, n)
	var reg, cancels []string
	ids := make([]uuid.UUID, n)
	for i := range areas {
		areas[i], ids[i] = uuid.New(), uuid.Must(uuid.NewV7())
		reg = append(reg, provRegisterLine(areas[i], "Battambang"))
		cancels = append(cancels, mustJSONLine(cancelCmd(ids[i], areas[i], fmt.Sprint("NTS ", i))))
	}
	if code, _, errOut := run(t, strings.Join(reg, "\n")+"\n", "--data-dir", nat.dir, "exec", "-"); code != exitOK {
		t.Fatalf("setup: %s", errOut)
	}
	nat.serve = launchServe(t, nat.dir, append(nat.flags(o), "--nats-listen", "127.0.0.1:0")...)
	defer func() { nat.stop(t) }()
	o.syncWait(t)
	o.proxy.Cut()
	file := t.TempDir() + "/cancels.jsonl"
	if err := os.WriteFile(file, []byte(strings.Join(cancels, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, o.argv("exec", file)...).CombinedOutput(); err != nil {
		t.Fatalf("office exec: %v\n%s", err, out)
	}

	// Killed while offline, commands in the outbox.
	killed := func(ready func()) {
		cmd := exec.Command(bin, o.argv("sync", "wait", "--timeout", "60s")...)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		sc.Scan() // its first progress line: it is running with the outbox open
		ready()
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	killed(func() {})
	// Killed again while the national engine decides them.
	base := nationalMsgs(t, nat)
	o.proxy.Restore()
	killed(func() {
		deadline := waitBound(t)
		for nationalMsgs(t, nat) == base && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	})
	applied := nationalMsgs(t, nat) - base
	t.Logf("killed with %d of %d commands applied", applied, n)

	st := o.syncWait(t)
	if st.Applied != n || st.Pending != 0 || st.Refused != 0 {
		t.Fatalf("after the restart: %+v", st)
	}
	nat.stop(t)
	uses := commandUses(t, nat.globals(t))
	for _, id := range ids {
		if uses[id] != 1 {
			t.Fatalf("command %s: %d events, want 1", id, uses[id])
		}
	}
	nat.serve = launchServe(t, nat.dir) // for the deferred stop
}

var natsListenRE = regexp.MustCompile(`embedded NATS server listening on (nats://\S+);`)

// nationalMsgs reads the national history's message count as the reader.
func nationalMsgs(t *testing.T, n *national) uint64 {
	t.Helper()
	nc := readerConn(t, n)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(context.Background(), lrjs.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo().State.Msgs
}

// readerConn connects to the national serve's NATS listener as the reader.
func readerConn(t testing.TB, n *national) *nats.Conn {
	t.Helper()
	m := natsListenRE.FindStringSubmatch(n.serve.stderr.String())
	if m == nil {
		t.Fatalf("no NATS listener in serve's output:\n%s", n.serve.stderr)
	}
	pw, err := os.ReadFile(lrjs.PasswordFile(n.dir, lrjs.ReaderUser))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(m[1], nats.UserInfo(lrjs.ReaderUser, strings.TrimSpace(string(pw))))
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// A provincial office's serve shows its sync state to every dashboard page
// (/api/v1/health's "office") and queues commands sent to its API in the
// outbox, as exec does: pending (202), with the role of the caller's token,
// refusing a role the national engine would refuse.
func TestProvincialOfficeServeShowsSync(t *testing.T) {
	if testing.Short() {
		t.Skip("two engines and a leaf link")
	}
	nat := newNational(t)
	o := newOffice(t, nat, "kh-battambang", "Battambang")
	area := uuid.New()
	if code, _, errOut := run(t, provRegisterLine(area, "Battambang")+"\n", "--data-dir", nat.dir, "exec", "-"); code != exitOK {
		t.Fatalf("setup: %s", errOut)
	}
	nat.start(t, o)
	o.syncWait(t)
	nat.stop(t)
	if r := o.exec(t, mustJSONLine(cancelCmd(uuid.Must(uuid.NewV7()), area, "NTS"))); r[0]["status"] != statusPending {
		t.Fatal(r)
	}
	token := createToken(t, o.dir, "admin", "office-admin")
	mapuToken := createToken(t, o.dir, "mapu:Battambang", "battambang-mapu")
	pailinToken := createToken(t, o.dir, "mapu:Pailin", "pailin-mapu")
	base := startServe(t, o.dir, o.argv()[2:]...)
	c := newClient(t, base, token)
	var h struct {
		Office *syncStatus `json:"office"`
	}
	c.getJSON("/api/v1/health", &h)
	if h.Office == nil || h.Office.Office != "kh-battambang" || h.Office.LinkUp || h.Office.Pending != 1 || h.Office.MirrorLast != 1 {
		t.Fatalf("health's office: %+v", h.Office)
	}
	// A second area registered through the office's API, as its MAPU.
	mapu := newClient(t, base, mapuToken)
	area2 := uuid.New()
	id := uuid.Must(uuid.NewV7())
	code, body := mapu.do("POST", "/api/v1/commands", json.RawMessage(provRegisterLineWithID(area2, "Battambang", id)))
	var ans struct {
		Pending int `json:"pending"`
		Results []struct {
			Status    string `json:"status"`
			CommandID string `json:"command_id"`
		} `json:"results"`
	}
	if code != 202 || json.Unmarshal(body, &ans) != nil || ans.Pending != 1 || ans.Results[0].Status != statusPending || ans.Results[0].CommandID != id.String() {
		t.Fatalf("a command through the office's API: %d %s", code, body)
	}
	// The same command again is the same pending command, not a second one.
	if code, body = mapu.do("POST", "/api/v1/commands", json.RawMessage(provRegisterLineWithID(area2, "Battambang", id))); code != 202 {
		t.Fatalf("the same command again: %d %s", code, body)
	}
	c.getJSON("/api/v1/health", &h)
	if h.Office.Pending != 2 {
		t.Fatalf("after the API's command, %d pending, want 2 (exec's and the API's)", h.Office.Pending)
	}
	// Pailin's MAPU may not use Battambang's office; a command that breaks
	// a rule is refused at once, not queued.
	pailin := newClient(t, base, pailinToken)
	if code, body = pailin.do("POST", "/api/v1/commands", cancelCmd(uuid.Must(uuid.NewV7()), area, "from Pailin")); code != 403 || !strings.Contains(string(body), "mapu:Battambang") {
		t.Fatalf("Pailin's MAPU through Battambang's office: %d %s", code, body)
	}
	early := cancelCmd(uuid.Must(uuid.NewV7()), area, "before it was registered")
	early["data"].(map[string]any)["on"] = "2023-01-01"
	if code, body = mapu.do("POST", "/api/v1/commands", early); code != 422 || !strings.Contains(string(body), `"field": "on"`) {
		t.Fatalf("a cancellation dated before the area's registration: %d %s", code, body)
	}
	// A batch: one line queued, one refused (an area in Pailin).
	batch := provRegisterLine(uuid.New(), "Battambang") + "\n" + provRegisterLine(uuid.New(), "Pailin") + "\n"
	ans.Pending = 0
	if code, body = mapu.do("POST", "/api/v1/commands", batch); code != 200 || json.Unmarshal(body, &ans) != nil || ans.Pending != 1 ||
		ans.Results[0].Status != statusPending || ans.Results[1].Status != "refused" {
		t.Fatalf("a batch through the office's API: %d %s", code, body)
	}
	c.getJSON("/api/v1/health", &h)
	if h.Office.Pending != 3 {
		t.Fatalf("refused commands were queued: %d pending, want 3", h.Office.Pending)
	}
	code, body = c.do("GET", "/", nil)
	if code != 200 || !strings.Contains(string(body), `id="sync"`) {
		t.Fatalf("the dashboard has no sync box: %d", code)
	}
}
