package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// A national engine and two provincial offices (Battambang, Pailin) as
// leaf nodes: every line is cut while both sides work, then restored. Each
// office's mirror then equals the national history; every offline command
// is applied exactly once or refused with its reason (one refused because
// the national side cancelled the same area meanwhile: re-decided, not
// overwritten); a Battambang office cannot get a Pailin command applied,
// neither through exec nor by writing into its outbox directly; and the
// offices' read models equal the national one.
func TestProvincialOfficesSyncAfterCut(t *testing.T) {
	if testing.Short() {
		t.Skip("three engines and their leaf links")
	}
	nat := newNational(t)
	btb := newOffice(t, nat, "kh-battambang", "Battambang")
	pln := newOffice(t, nat, "kh-pailin", "Pailin")

	a1, a2, a3, p1, p2, n1 := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	code, out, errOut := run(t, strings.Join([]string{provRegisterLine(a1, "Battambang"), provRegisterLine(a2, "Battambang"),
		provRegisterLine(a3, "Battambang"), provRegisterLine(p1, "Pailin"), provRegisterLine(p2, "Pailin")}, "\n"), "--data-dir", nat.dir, "exec", "-")
	if code != exitOK {
		t.Fatalf("national setup: %d\n%s\n%s", code, out, errOut)
	}
	nat.start(t, btb, pln)
	defer func() {
		if nat.serve != nil {
			nat.stop(t)
		}
	}()
	// First contact: the offices mirror the national history.
	for _, o := range []*office{btb, pln} {
		if st := o.syncWait(t); st.MirrorLast != 5 || st.Pending != 0 {
			t.Fatalf("%s after first sync: %+v", o.domain, st)
		}
	}

	// The lines are cut; both sides keep working.
	btb.proxy.Cut()
	pln.proxy.Cut()
	nat.command(t, cancelCmd(uuid.New(), a2, "cancelled at headquarters"))
	code, body := newClient(t, nat.serve.base, nat.admin).do("POST", "/api/v1/commands", map[string]any{
		"command": "RegisterSuspectedArea", "data": map[string]any{"area_id": n1, "province": "Pailin", "hazard": "AT",
			"size_m2": 5_000, "registered_on": "2024-02-01", "source": "BLS", "classification": "SHA"}})
	mustStatus(t, "national register", code, body, 200)

	c1, c2, c3, c4 := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	reps := btb.exec(t,
		mustJSONLine(cancelCmd(c1, a1, "non-technical survey found no evidence")),
		mustJSONLine(cancelCmd(c2, a2, "cancelled in the province")), // headquarters cancelled it meanwhile
		mustJSONLine(cancelCmd(c3, p1, "a Pailin area from Battambang")))
	if reps[0]["status"] != statusPending || reps[1]["status"] != statusPending {
		t.Fatalf("Battambang offline: want two pending, got %v", reps)
	}
	if reps[2]["status"] != "refused" || !strings.Contains(fmt.Sprint(reps[2]["error"]), "forbidden") {
		t.Fatalf("Battambang's command on a Pailin area was not refused as forbidden: %v", reps[2])
	}
	if reps := pln.exec(t, mustJSONLine(cancelCmd(c4, p2, "NTS in Pailin"))); reps[0]["status"] != statusPending {
		t.Fatalf("Pailin offline: %v", reps)
	}
	// Re-running a line is idempotent: still one pending command.
	if reps := pln.exec(t, mustJSONLine(cancelCmd(c4, p2, "NTS in Pailin"))); reps[0]["status"] != statusPending {
		t.Fatalf("Pailin re-run: %v", reps)
	}
	// A tampered office writes Pailin commands into its outbox directly,
	// past the local checks: as its own MAPU and as Pailin's.
	f1, f2 := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	forge(t, btb, f1, p1, "mapu:Battambang")
	forge(t, btb, f2, p1, "mapu:Pailin")
	if code, out, _ := btb.run(t, "", "sync", "status", "--connect-wait", "0s"); code != exitOK || !strings.Contains(out, "link: down") || !strings.Contains(out, "4 pending") {
		t.Fatalf("Battambang sync status offline (exit %d):\n%s", code, out)
	}

	// The lines come back.
	btb.proxy.Restore()
	pln.proxy.Restore()
	stB, stP := btb.syncWait(t), pln.syncWait(t)
	if stB.Applied != 1 || stB.Refused != 3 || stP.Applied != 1 || stP.Refused != 0 {
		t.Fatalf("after sync: Battambang %+v, Pailin %+v", stB, stP)
	}
	reasons := map[string]string{}
	for _, c := range stB.Commands {
		reasons[c.CommandID] = c.Reason
	}
	for id, want := range map[uuid.UUID]string{c2: "cancel", f1: "may act in Battambang only", f2: "may send commands as mapu:Battambang or an operator only"} {
		if !strings.Contains(strings.ToLower(reasons[id.String()]), strings.ToLower(want)) {
			t.Errorf("command %s: reason %q, want it to mention %q", id, reasons[id.String()], want)
		}
	}
	// exec of the same lines now prints the national outcomes.
	reps = btb.exec(t, mustJSONLine(cancelCmd(c1, a1, "non-technical survey found no evidence")),
		mustJSONLine(cancelCmd(c2, a2, "cancelled in the province")))
	if reps[0]["status"] != statusApplied || reps[1]["status"] != statusRefusedAfterSync {
		t.Fatalf("exec after sync: %v", reps)
	}
	// The other office's command was decided after Battambang's sync: a
	// second sync brings the mirrors to the final national history.
	btb.syncWait(t)
	pln.syncWait(t)
	nat.stop(t)

	// Each office's mirror is the national history; each command applied
	// once or not at all.
	want := readStream(t, nat.globals(t), lrjs.StreamName)
	for _, o := range []*office{btb, pln} {
		got := readStream(t, o.globals(t), lrjs.StreamName)
		if len(got) != len(want) {
			t.Fatalf("%s mirror: %d messages, national %d", o.domain, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s mirror message %d differs:\n got %+v\nwant %+v", o.domain, i, got[i], want[i])
			}
		}
	}
	uses := commandUses(t, nat.globals(t))
	for id, n := range map[uuid.UUID]int{c1: 1, c4: 1, c2: 0, c3: 0, f1: 0, f2: 0} {
		if uses[id] != n {
			t.Errorf("command %s: %d events in the national history, want %d", id, uses[id], n)
		}
	}
	// The offices' read models equal the national one.
	_, natState, errOut := run(t, "", "--data-dir", nat.dir, "state", "--json")
	if !strings.Contains(natState, "Pailin") {
		t.Fatalf("national state has no Pailin: %q %s", natState, errOut)
	}
	if _, txt, _ := btb.run(t, "", "state"); !strings.Contains(txt, "Provincial office kh-battambang (Battambang)") || !strings.Contains(txt, "3 refused after sync") {
		t.Errorf("Battambang's state does not show its sync:\n%s", txt)
	}
	for _, o := range []*office{btb, pln} {
		_, st, errOut := o.run(t, "", "state", "--json")
		if st != natState {
			t.Errorf("%s state differs from the national one:\n%s\nnational:\n%s\n%s", o.domain, st, natState, errOut)
		}
	}
}

// forge publishes a CancelArea of area into o's outbox as role, past the
// office's local checks (as a tampered office could).
func forge(t *testing.T, o *office, id, area uuid.UUID, role string) {
	t.Helper()
	ctx := context.Background()
	eng, err := openEngine(ctx, o.globals(t), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	js, _ := jsOf(eng.nc)
	body, _ := json.Marshal(cancelCmd(id, area, "forged"))
	m := nats.NewMsg(lrjs.OutboxSubject(o.domain, id.String()))
	m.Data = body
	m.Header.Set(headerRole, role)
	m.Header.Set(headerQueuedAt, time.Now().UTC().Format(time.RFC3339))
	if _, err := js.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
}
