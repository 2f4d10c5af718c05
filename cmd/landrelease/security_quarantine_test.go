package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// rawMessage is a message published on the history's subjects by someone
// other than the engine.
type rawMessage struct {
	name    string
	subject string
	header  nats.Header
	body    string
}

// publishRaw connects to a live engine's NATS listener as a plain nats.go
// client, as anyone who reaches the port could, publishes msgs onto the
// history stream and returns the sequences the stream stored them at. This
// is the one place the test talks to NATS directly.
func publishRaw(t *testing.T, natsURL, dataDir string, msgs []rawMessage) []uint64 {
	t.Helper()
	// With the engine's own identity: the reader may not publish at all
	// (security_nats_test.go), so this is a writer gone wrong or a stolen
	// engine password, the case quarantine is for.
	pw, err := os.ReadFile(lrjs.PasswordFile(dataDir, lrjs.EngineUser))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(natsURL, nats.Timeout(5*time.Second), nats.UserInfo(lrjs.EngineUser, strings.TrimSpace(string(pw))))
	if err != nil {
		t.Fatalf("connect to %s: %v", natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	seqs := make([]uint64, len(msgs))
	for i, m := range msgs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: m.subject, Header: m.header, Data: []byte(m.body)})
		cancel()
		if err != nil {
			t.Fatalf("publish %s on %s: %v", m.name, m.subject, err)
		}
		seqs[i] = ack.Sequence
	}
	return seqs
}

// foreign returns one message of every kind the engine did not write: on
// area's subject, on the subject of newArea (no event of its own yet), and
// on subjects of the wrong shape.
func foreign(area, newArea string) []rawMessage {
	subject := "lr.kh.area." + area
	evidence := `{"area_id":"` + area + `","kind":"WITNESS","observed_on":"2024-01-02"}`
	headers := func(typ string, kv ...string) nats.Header {
		id := uuid.Must(uuid.NewV7()).String()
		h := nats.Header{lrjs.HeaderMsgID: {id}, lrjs.HeaderEventType: {typ}, lrjs.HeaderSchema: {"1"},
			lrjs.HeaderOccurredOn: {"2024-01-02"}, lrjs.HeaderRecordedAt: {"2024-01-02T03:04:05Z"},
			lrjs.HeaderCommandID: {id}, lrjs.HeaderCorrelationID: {id}, lrjs.HeaderActor: {"intruder"}}
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i]] = []string{kv[i+1]}
		}
		return h
	}
	return []rawMessage{
		{"no headers", subject, nil, `{"hello":"world"}`},
		{"garbage headers", subject, nats.Header{"X-Junk": {"1"}, lrjs.HeaderEventType: {"\u202e\x7f"}, lrjs.HeaderMsgID: {"?"}}, evidence},
		{"Lr-Schema not a number", subject, headers(events.TypeEvidenceRecorded, lrjs.HeaderSchema, "one"), evidence},
		{"schema 999", subject, headers(events.TypeEvidenceRecorded, lrjs.HeaderSchema, "999"), evidence},
		{"unknown event type", subject, headers("AreaTeleported"), evidence},
		{"body not JSON", subject, headers(events.TypeEvidenceRecorded), "\x00\xff not json"},
		{"body JSON of the wrong shape", subject, headers(events.TypeEvidenceRecorded), `{"area_id":17,"kind":["WITNESS"]}`},
		{"event type of another aggregate kind", subject, headers(events.TypeFundingPledged), `{"donor":"Nobody","year":2024,"amount_usd":1000000000}`},
		{"huge header", subject, headers(events.TypeEvidenceRecorded, "X-Padding", strings.Repeat("x", 40<<10),
			lrjs.HeaderActor, strings.Repeat("a", 16<<10)), `{}`},
		{"an area's first message", "lr.kh.area." + newArea, nil, "boo"},
		{"wrong subject shape", "lr.kh.area", headers(events.TypeEvidenceRecorded), evidence},
		{"unknown aggregate kind", "lr.kh.minefield." + area, headers(events.TypeEvidenceRecorded), evidence},
		{"subject not in the engine's form", "lr.KH.area." + strings.ToUpper(area), headers(events.TypeEvidenceRecorded), evidence},
	}
}

// health is the part of GET /api/v1/health the test reads.
type health struct {
	Sequence    uint64 `json:"sequence"`
	Projected   uint64 `json:"projected"`
	Quarantined int    `json:"quarantined"`
}

// waitHealth polls the health route until ok says so (or the test's
// deadline nears: waitBound).
func waitHealth(t *testing.T, c *client, ok func(health) bool) health {
	t.Helper()
	deadline := waitBound(t)
	for {
		var h health
		c.getJSON("/api/v1/health", &h)
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("health did not get there: %+v", h)
		}
		<-time.After(20 * time.Millisecond) // the next poll
	}
}

// TestSecurityQuarantine publishes every kind of message the engine did not
// write onto a live engine's history through its NATS listener. None of
// them stops anything: serve keeps serving and starts again, the
// projections move past them (the read model equals a rebuild), commands on
// the poisoned areas succeed through the API and exec, state (now and as
// of a date), rebuild, audit and quality work, and each message is
// reported as quarantined exactly once.
func TestSecurityQuarantine(t *testing.T) {
	dir := t.TempDir()
	// A small mixed history: areas in every state, deployments, funding.
	if code, out, errOut := run(t, "", "--data-dir", dir, "exec", writeCommands(t, synth.Mixed(synth.DefaultConfig(13, 300)))); code != exitOK {
		t.Fatalf("exec the history: exit %d\n%.2000s%s", code, out, errOut)
	}
	p := launchServe(t, dir, "--insecure-local", "--nats-listen", "127.0.0.1:0")
	stopped := false
	defer func() {
		if !stopped {
			p.stop()
			p.wait(t)
		}
	}()
	m := regexp.MustCompile(`embedded NATS server listening on (nats://[^\s;]+)`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("serve did not say where NATS listens:\n%s", p.stderr)
	}
	c := newClient(t, p.base, "")
	var areas struct {
		Areas []struct {
			ID string `json:"id"`
		} `json:"areas"`
	}
	c.getJSON("/api/v1/areas?status=SHA&limit=1", &areas)
	if len(areas.Areas) != 1 {
		t.Fatal("the history has no open SHA")
	}
	area, newArea := areas.Areas[0].ID, uuid.Must(uuid.NewV7()).String()
	before := waitHealth(t, c, func(h health) bool { return h.Projected == h.Sequence })
	if before.Quarantined != 0 {
		t.Fatalf("the engine's own history has %d quarantined messages", before.Quarantined)
	}

	msgs := foreign(area, newArea)
	seqs := publishRaw(t, m[1], dir, msgs)
	last := seqs[len(seqs)-1]
	h := waitHealth(t, c, func(h health) bool { return h.Projected >= last })
	if h.Quarantined != len(msgs) {
		t.Fatalf("health reports %d quarantined, want %d", h.Quarantined, len(msgs))
	}

	// Commands on the poisoned areas: the area whose last message is
	// foreign, and an area whose only message is.
	for _, cmd := range []map[string]any{
		cmdJSON("RecordEvidence", map[string]any{"area_id": area, "kind": "WITNESS", "observed_on": "2024-01-03"}),
		cmdJSON("RegisterSuspectedArea", map[string]any{"area_id": newArea, "province": "Pailin", "hazard": "AP", "size_m2": 5000,
			"registered_on": "2024-01-03", "source": "COMMUNITY"}),
	} {
		code, body := c.do("POST", "/api/v1/commands", cmd)
		var ans commandAnswer
		if code != http.StatusOK || json.Unmarshal(body, &ans) != nil || ans.Applied != 1 {
			t.Fatalf("%s on a poisoned area: %d %s", cmd["command"], code, body)
		}
	}
	var st queries.State
	c.getJSON("/api/v1/state", &st)
	if st.Quarantined != len(msgs) {
		t.Errorf("API state: %d quarantined, want %d", st.Quarantined, len(msgs))
	}
	var audit struct {
		Quarantined []queries.QuarantinedMessage `json:"quarantined"`
	}
	c.getJSON("/api/v1/audit?flag=QUARANTINED", &audit)
	checkQuarantineList(t, "API audit?flag=QUARANTINED", audit.Quarantined, seqs)
	p.stop()
	p.wait(t)
	stopped = true

	// serve starts again on the poisoned history.
	p2 := launchServe(t, dir, "--insecure-local")
	c2 := newClient(t, p2.base, "")
	if h := waitHealth(t, c2, func(h health) bool { return h.Projected == h.Sequence }); h.Quarantined != len(msgs) {
		t.Errorf("after a restart health reports %d quarantined, want %d", h.Quarantined, len(msgs))
	}
	p2.stop()
	p2.wait(t)

	// exec, then the read verbs, on the poisoned history.
	envs := []domain.CommandEnvelope{
		{Command: domain.RecordEvidence{AreaID: uuid.MustParse(area), Kind: "SURVEY", ObservedOn: events.MustDate("2024-01-04")}},
		{Command: domain.RecordEvidence{AreaID: uuid.MustParse(newArea), Kind: "SURVEY", ObservedOn: events.MustDate("2024-01-04")}},
	}
	if code, out, errOut := run(t, "", "--data-dir", dir, "exec", writeCommands(t, envs)); code != exitOK {
		t.Fatalf("exec on poisoned areas: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := run(t, "", "--data-dir", dir, "state", "--json")
	if code != exitOK {
		t.Fatalf("state: exit %d\n%s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Quarantined != len(msgs) {
		t.Fatalf("state --json: %d quarantined (%v), want %d", st.Quarantined, err, len(msgs))
	}
	if code, out, errOut := run(t, "", "--data-dir", dir, "state"); code != exitOK || !strings.Contains(out, "audit --flag QUARANTINED") {
		t.Errorf("state: exit %d, no hint about the quarantined messages\n%s%s", code, out, errOut)
	}
	for _, asOf := range [][]string{{"--as-of", "2030-01-01"}, {"--as-recorded", "2999-01-01T00:00:00Z"}} {
		code, out, errOut := run(t, "", append([]string{"--data-dir", dir, "state", "--json"}, asOf...)...)
		var past queries.State
		if code != exitOK || json.Unmarshal([]byte(out), &past) != nil || past.Quarantined != len(msgs) || past.National.Areas != st.National.Areas {
			t.Errorf("state %v: exit %d, %d quarantined, %d areas (now %d)\n%s", asOf, code, past.Quarantined, past.National.Areas, st.National.Areas, errOut)
		}
	}
	code, out, errOut = run(t, "", "--data-dir", dir, "audit", "--flag", "quarantined", "--json")
	audit.Quarantined = nil
	if code != exitOK || json.Unmarshal([]byte(out), &audit) != nil {
		t.Fatalf("audit --flag QUARANTINED: exit %d\n%s%s", code, out, errOut)
	}
	checkQuarantineList(t, "audit --flag QUARANTINED", audit.Quarantined, seqs)
	code, out, errOut = run(t, "", "--data-dir", dir, "quality", "--json")
	var quality struct {
		Quarantined []queries.QuarantinedMessage `json:"quarantined"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &quality) != nil {
		t.Fatalf("quality: exit %d\n%s", code, errOut)
	}
	checkQuarantineList(t, "quality", quality.Quarantined, seqs)

	// The read model kept live equals one rebuilt from the history.
	live := dumpReadModel(t, dir)
	if !strings.Contains(live, "lr.kh.minefield.") {
		t.Fatal("the read model's dump does not list the quarantine")
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "rebuild"); code != exitOK {
		t.Fatalf("rebuild: exit %d\n%s", code, errOut)
	}
	if rebuilt := dumpReadModel(t, dir); rebuilt != live {
		t.Fatalf("the rebuilt read model differs from the live one\nlive:\n%.3000s\nrebuilt:\n%.3000s", live, rebuilt)
	}
}

// checkQuarantineList wants exactly the messages at seqs, once each, in
// order, each with a reason.
func checkQuarantineList(t *testing.T, what string, got []queries.QuarantinedMessage, seqs []uint64) {
	t.Helper()
	var have []uint64
	for _, q := range got {
		have = append(have, q.Sequence)
		if q.Reason == "" || q.Subject == "" || len(q.Reason) > events.MaxQuarantineText || q.RecordedAt == "" {
			t.Errorf("%s: entry %+v lacks a subject, reason or time, or is not clipped", what, q)
		}
	}
	if !slices.Equal(have, seqs) {
		t.Errorf("%s lists sequences %v, want %v", what, have, seqs)
	}
}

// dumpReadModel dumps the data dir's read model (no engine may hold it).
func dumpReadModel(t *testing.T, dir string) string {
	t.Helper()
	g := defaultGlobals()
	g.dataDir = dir
	db, err := sqlstore.Open(context.Background(), g.dbPath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := db.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}
