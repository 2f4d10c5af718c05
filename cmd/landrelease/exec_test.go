package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// readHistory opens the data dir's store with a listening server and reads
// every message with a plain NATS client, as any tool could, with the
// read-only identity.
func readHistory(t *testing.T, dataDir string) []jetstream.Msg {
	t.Helper()
	srv, err := lrjs.StartEmbedded(lrjs.EmbeddedConfig{DataDir: dataDir, Listen: "127.0.0.1:0", SyncAlways: true, StartTimeout: lrjs.DefaultEmbeddedConfig("").StartTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	reader := srv.Credentials().Reader
	nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo(reader.User, reader.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	s, err := js.Stream(ctx, "LANDRELEASE")
	if err != nil {
		t.Fatalf("stream LANDRELEASE: %v", err)
	}
	info, _ := s.Info(ctx)
	n := info.State.Msgs
	if n == 0 {
		return nil
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	batch, err := c.Fetch(int(n))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		out = append(out, m)
	}
	for uint64(len(out)) < n {
		b, err := c.Fetch(int(n) - len(out))
		if err != nil {
			t.Fatal(err)
		}
		for m := range b.Messages() {
			out = append(out, m)
		}
	}
	return out
}

var subjectRE = regexp.MustCompile(`^lr\.kh\.(area|deployment|funding|article5|workplan)\.[0-9a-f-]{36}$`)

// A file of 1,000 mixed commands applies; a plain NATS client sees the
// subjects and headers of docs/contract.md; applying the file again writes
// nothing and says so.
func TestExecMixedFileThenAgain(t *testing.T) {
	envs := synth.Mixed(synth.DefaultConfig(7, 1000))
	file := writeCommands(t, envs)
	dir := t.TempDir()
	code, out, errOut := run(t, "", "--data-dir", dir, "exec", file)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 1000 || countPrefix(lines, "ok") != 1000 {
		t.Fatalf("exec: exit %d, %d lines, %d ok\n%s\n%s", code, len(lines), countPrefix(lines, "ok"), errOut, firstLines(out, 5))
	}
	msgs := readHistory(t, dir)
	commands := map[string]bool{}
	for _, m := range msgs {
		if !subjectRE.MatchString(m.Subject()) {
			t.Fatalf("subject %q does not follow lr.<country>.<kind>.<id>", m.Subject())
		}
		h := m.Headers()
		for _, k := range []string{"Nats-Msg-Id", "Lr-Event-Type", "Lr-Schema", "Lr-Occurred-On", "Lr-Actor", "Lr-Command-Id", "Lr-Correlation-Id"} {
			if h.Get(k) == "" {
				t.Fatalf("message on %s lacks header %s", m.Subject(), k)
			}
		}
		commands[h.Get("Lr-Command-Id")] = true
	}
	if len(commands) != 1000 || len(msgs) < 1000 {
		t.Fatalf("history holds %d events of %d commands, want all 1000 commands", len(msgs), len(commands))
	}

	code, out, errOut = run(t, "", "--data-dir", dir, "exec", file)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || countPrefix(lines, "already-applied") != 1000 || !strings.Contains(errOut, "0 applied, 1000 already applied") {
		t.Fatalf("second exec: exit %d, %d already-applied\n%s", code, countPrefix(lines, "already-applied"), errOut)
	}
	if again := readHistory(t, dir); len(again) != len(msgs) {
		t.Fatalf("second exec wrote %d events", len(again)-len(msgs))
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// Bad input gets exit status 1 and a line per bad command with its line
// number, field and reason; nothing is written for it; good lines apply.
func TestExecBadInput(t *testing.T) {
	area := uuid.Must(uuid.NewV7())
	good := func(i int, cmd string) string {
		return fmt.Sprintf(`{"command_id":"%s",%s`, uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i)}), cmd[1:])
	}
	lines := []struct {
		text  string
		field string // "" for a good line
	}{
		{good(1, fmt.Sprintf(`{"command":"RegisterSuspectedArea","data":{"area_id":"%s","province":"Pailin","hazard":"AP","size_m2":1000,"registered_on":"2020-01-10","source":"BLS"}}`, area)), ""},
		{`{"command":"CancelArea","data":{`, "-"},
		{`{"command":"Demine","data":{}}`, "command"},
		{`{"command":"ReduceArea","data":{"area_id":"` + area.String() + `","on":"2021-01-01","operator":"CMAC"}}`, "size_m2"},
		{`{"command":"ReduceArea","data":{"area_id":"` + area.String() + `","on":"2021-01-01","size_m2":"ten","operator":"CMAC"}}`, "size_m2"},
		{`{"command":"ClearArea","data":{"area_id":"` + area.String() + `","on":"2021-01-01","size_m2":-3,"operator":"CMAC"}}`, "size_m2"},
		{`{"command":"ClearArea","data":{"area_id":"` + area.String() + `","on":"2021-02-29","size_m2":3,"operator":"CMAC"}}`, "on"},
		{`{"command":"ClearArea","data":{"area_id":"` + uuid.NewString() + `","on":"2021-02-01","size_m2":3,"operator":"CMAC"}}`, "area_id"},
		{`{"command":"ClearArea","data":{"area_id":"` + area.String() + `","on":"2021-02-01","size_m2":3000,"operator":"CMAC"}}`, "size_m2"},
		{good(2, `{"command":"ClearArea","data":{"area_id":"`+area.String()+`","on":"2021-02-01","size_m2":1000,"operator":"CMAC"}}`), ""},
		{`{"command":"ClearArea","data":{"area_id":"` + area.String() + `","on":"2021-02-02","size_m2":1,"operator":"CMAC"}}`, "area_id"},
		{`{"command":"ReclassifyArea","data":{"area_id":"` + area.String() + `","on":"2021-02-02","to":"CHA","reason":"x"}}`, "area_id"},
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text + "\n")
	}
	// A CHA confirmed twice: its own small history.
	cha := uuid.Must(uuid.NewV7())
	b.WriteString(good(3, fmt.Sprintf(`{"command":"RegisterSuspectedArea","data":{"area_id":"%s","province":"Pailin","hazard":"AP","size_m2":50,"registered_on":"2020-01-10","source":"BLS","classification":"CHA"}}`, cha)) + "\n")
	b.WriteString(`{"command":"ConfirmHazardousArea","data":{"area_id":"` + cha.String() + `","on":"2021-01-01"}}` + "\n")
	file := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(file, []byte(b.String()), 0o644)

	dir := t.TempDir()
	code, out, _ := run(t, "", "--data-dir", dir, "exec", file)
	if code != exitRefused {
		t.Fatalf("exit %d, want %d\n%s", code, exitRefused, out)
	}
	byLine := map[int][]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var n int
		fmt.Sscanf(l, "%d", &n)
		byLine[n] = append(byLine[n], l)
	}
	check := func(n int, field string) {
		got := byLine[n]
		if field == "" {
			if len(got) != 1 || !strings.Contains(got[0], " ok ") {
				t.Errorf("line %d should apply: %v", n, got)
			}
			return
		}
		for _, g := range got {
			if strings.Contains(g, " refused ") && strings.Contains(g, "field="+field+" ") && strings.Contains(g, "reason=") {
				return
			}
		}
		t.Errorf("line %d: want a refusal naming field %s with a reason, got %v", n, field, got)
	}
	for i, l := range lines {
		check(i+1, l.field)
	}
	check(len(lines)+1, "")
	check(len(lines)+2, "area_id")
	if n := len(readHistory(t, dir)); n != 3 {
		t.Fatalf("history holds %d events, want the 3 of the good lines", n)
	}
}

// TestExecRecordsTheLocalUserAsActor: a command sent from the command line
// without an actor is recorded as "cli:<user>", so every event says who.
func TestExecRecordsTheLocalUserAsActor(t *testing.T) {
	dir := t.TempDir()
	line := `{"command":"RegisterSuspectedArea","data":{"province":"Pailin","hazard":"AP","size_m2":5000,"registered_on":"2024-01-02","source":"BLS"}}`
	if code, _, errOut := run(t, line+"\n", "--data-dir", dir, "exec", "-"); code != exitOK {
		t.Fatalf("exec: %d %s", code, errOut)
	}
	code, out, errOut := run(t, "", "--data-dir", dir, "audit", "--json")
	if code != exitOK || !strings.Contains(out, `"actor": "`+localActor()+`"`) || !strings.HasPrefix(localActor(), "cli") {
		t.Fatalf("audit: %d %s\n%s", code, errOut, out)
	}
}
