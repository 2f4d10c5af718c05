package main

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// A provincial office's backup holds its mirror of the national history,
// its outbox with the national engine's consumer (which commands were
// decided) and its outcomes. An office with one decided command and one
// written offline is backed up while its line is cut; its disk dies; the
// backup restored into an empty data dir (only with the office's own
// flags) still has the pending command and the earlier outcome, offline;
// once the line is back the pending command syncs, applied once, and the
// decided one is not decided again.
func TestProvincialOfficeBackupRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("two engines and a leaf link")
	}
	nat := newNational(t)
	o := newOffice(t, nat, "kh-battambang", "Battambang")
	a0, a1 := uuid.New(), uuid.New()
	if code, _, errOut := run(t, provRegisterLine(a0, "Battambang")+"\n"+provRegisterLine(a1, "Battambang")+"\n", "--data-dir", nat.dir, "exec", "-"); code != exitOK {
		t.Fatalf("national setup: %s", errOut)
	}
	nat.start(t, o)
	defer func() { nat.stop(t) }()
	if st := o.syncWait(t); st.MirrorLast != 2 {
		t.Fatalf("first contact: %+v", st)
	}
	c0, c1 := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	if reps := o.exec(t, mustJSONLine(cancelCmd(c0, a0, "NTS found no evidence"))); reps[0]["status"] != statusPending {
		t.Fatalf("office exec: %v", reps)
	}
	if st := o.syncWait(t); st.Applied != 1 || st.Pending != 0 {
		t.Fatalf("first sync: %+v", st)
	}
	o.proxy.Cut()
	if reps := o.exec(t, mustJSONLine(cancelCmd(c1, a1, "cancelled offline"))); reps[0]["status"] != statusPending {
		t.Fatalf("office exec offline: %v", reps)
	}

	bk := t.TempDir()
	if code, out, errOut := o.run(t, "", "backup", bk); code != exitOK || !strings.Contains(out, "provincial office kh-battambang") {
		t.Fatalf("office backup: exit %d\n%s\n%s", code, out, errOut)
	}
	file := onlyBackup(t, bk)
	m, err := verifyBackup(file)
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]uint64{}
	for _, s := range m.Streams {
		msgs[s.Role] = s.Messages
	}
	if m.Office != "kh-battambang" || msgs["history"] != 3 || msgs["outbox"] != 2 || msgs["outcomes"] != 1 {
		t.Fatalf("office backup manifest: office %q, messages %v; want the mirror's 3 events, 2 outbox commands, 1 outcome", m.Office, msgs)
	}

	// The office's disk dies: a new data dir, the same office.
	o2 := &office{domain: o.domain, province: o.province, dir: t.TempDir(), nat: nat, proxy: o.proxy}
	if code, _, errOut := run(t, "", "--data-dir", t.TempDir(), "restore", file); code != exitRefused || !strings.Contains(errOut, "--jetstream-domain kh-battambang") {
		t.Fatalf("restore of an office's backup without its flags: exit %d %s", code, errOut)
	}
	if code, out, errOut := o2.run(t, "", "restore", file); code != exitOK {
		t.Fatalf("office restore: exit %d\n%s\n%s", code, out, errOut)
	}
	// Offline: the pending command and the earlier outcome are there, and
	// the national engine's consumer remembers c0 as decided.
	if code, out, _ := o2.run(t, "", "sync", "status", "--connect-wait", "0s"); code != exitOK || !strings.Contains(out, "link: down") || !strings.Contains(out, "1 pending, 1 applied") {
		t.Fatalf("restored office's sync status (exit %d):\n%s", code, out)
	}
	decidedUpTo := outboxAckFloor(t, o2)
	if decidedUpTo != 1 {
		t.Fatalf("restored outbox consumer acknowledged up to %d, want 1 (c0 decided)", decidedUpTo)
	}
	if reps := o2.exec(t, mustJSONLine(cancelCmd(c0, a0, "NTS found no evidence")), mustJSONLine(cancelCmd(c1, a1, "cancelled offline"))); reps[0]["status"] != statusApplied || reps[1]["status"] != statusPending {
		t.Fatalf("restored office's exec of the same lines: %v", reps)
	}

	// The line is back: the pending command syncs once.
	o2.proxy.Restore()
	if st := o2.syncWait(t); st.Applied != 2 || st.Pending != 0 || st.Refused != 0 {
		t.Fatalf("restored office after sync: %+v", st)
	}
	nat.stop(t)
	uses := commandUses(t, nat.globals(t))
	if uses[c0] != 1 || uses[c1] != 1 {
		t.Fatalf("national history: c0 %d events, c1 %d; want 1 each", uses[c0], uses[c1])
	}
	nat.start(t, o2) // for the deferred stop
}

// outboxAckFloor is the outbox sequence up to which the national engine's
// consumer on office o has had every command acknowledged (decided).
func outboxAckFloor(t *testing.T, o *office) uint64 {
	t.Helper()
	ctx := context.Background()
	g := o.globals(t)
	g.prov.leaf = "" // offline, not as an office: only the local streams are read
	nc, closeNATS, err := connectForBackup(ctx, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	js, _ := jsOf(nc)
	c, err := js.Consumer(ctx, lrjs.OutboxStream, lrjs.InboxConsumer)
	if err != nil {
		t.Fatalf("the restored outbox has no consumer %s: %v", lrjs.InboxConsumer, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.AckFloor.Stream
}
