package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// sameMessage compares two stored messages: sequence, subject, body byte
// for byte and every header but the batch bookkeeping (a new batch ID).
func sameMessage(t *testing.T, what string, a, b jetstream.Msg) {
	t.Helper()
	ma, _ := a.Metadata()
	mb, _ := b.Metadata()
	if ma.Sequence.Stream != mb.Sequence.Stream || a.Subject() != b.Subject() || !bytes.Equal(a.Data(), b.Data()) {
		t.Fatalf("%s: message %d %s differs from %d %s (or its body)", what, ma.Sequence.Stream, a.Subject(), mb.Sequence.Stream, b.Subject())
	}
	for k, v := range a.Headers() {
		if k == "Nats-Batch-Id" {
			continue
		}
		if strings.Join(b.Headers()[k], ",") != strings.Join(v, ",") {
			t.Fatalf("%s: message %d header %s = %q, want %q", what, ma.Sequence.Stream, k, b.Headers()[k], v)
		}
	}
	if len(a.Headers()) != len(b.Headers()) {
		t.Fatalf("%s: message %d has %d headers, want %d", what, ma.Sequence.Stream, len(b.Headers()), len(a.Headers()))
	}
}

// onlyBackup returns the one backup file in dir.
func onlyBackup(t *testing.T, dir string) string {
	t.Helper()
	files, err := backupFiles(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("backups in %s: %v %v", dir, files, err)
	}
	return files[0]
}

// The restore drill: demo, a token, backup, restore into a new data dir:
// the same history, the same state, the same audit trail, the same read
// model and the same tokens.
func TestBackupRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo")
	}
	dir := t.TempDir()
	loadDemo(t, dir)
	if code, _, errOut := run(t, "", "--data-dir", dir, "token", "create", "--role", "analyst", "--name", "drill"); code != exitOK {
		t.Fatalf("token create: %s", errOut)
	}
	bk := t.TempDir()
	code, out, errOut := run(t, "", "--data-dir", dir, "backup", bk)
	if code != exitOK || !strings.Contains(out, "history  LANDRELEASE") || !strings.Contains(out, "tokens   KV_LANDRELEASE_TOKENS") {
		t.Fatalf("backup: exit %d\n%s\n%s", code, out, errOut)
	}
	file := onlyBackup(t, bk)
	if code, out, errOut := run(t, "", "backup", "--verify", file); code != exitOK || !strings.Contains(out, "an intact landrelease backup") {
		t.Fatalf("backup --verify: exit %d\n%s\n%s", code, out, errOut)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if code, out, errOut := run(t, "", "--data-dir", restored, "restore", file); code != exitOK {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errOut)
	}
	orig, back := readHistory(t, dir), readHistory(t, restored)
	if len(orig) != len(back) || len(orig) == 0 {
		t.Fatalf("restored %d messages, want %d", len(back), len(orig))
	}
	for i := range orig {
		sameMessage(t, "restored", orig[i], back[i])
	}
	for _, args := range [][]string{{"state"}, {"audit", "--json"}, {"token", "list"}} {
		_, a, _ := run(t, "", append([]string{"--data-dir", dir}, args...)...)
		code, b, errOut := run(t, "", append([]string{"--data-dir", restored}, args...)...)
		if code != exitOK || a != b || a == "" {
			t.Fatalf("%v after restore: exit %d %s\n%s\nwant\n%s", args, code, errOut, firstLines(b, 5), firstLines(a, 5))
		}
	}
	if dump(t, filepath.Join(dir, "readmodel.sqlite")) != dump(t, filepath.Join(restored, "readmodel.sqlite")) {
		t.Fatal("the restored read model differs from the original's")
	}
	// Restore refuses a data dir that is not empty, and writes nothing.
	if code, _, errOut := run(t, "", "--data-dir", dir, "restore", file); code != exitRefused || !strings.Contains(errOut, "is not empty") {
		t.Fatalf("restore into a used data dir: exit %d %s", code, errOut)
	}
}

// A truncated, bit-flipped or foreign file is refused by --verify and by
// restore, naming what is wrong; restore then writes nothing.
func TestBackupRefusesDamagedFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo")
	}
	dir := t.TempDir()
	loadDemo(t, dir)
	bk := t.TempDir()
	if code, _, errOut := run(t, "", "--data-dir", dir, "backup", bk); code != exitOK {
		t.Fatal(errOut)
	}
	good, err := os.ReadFile(onlyBackup(t, bk))
	if err != nil {
		t.Fatal(err)
	}
	m, err := verifyBackup(onlyBackup(t, bk))
	if err != nil {
		t.Fatal(err)
	}
	snap := m.Streams[0].Parts[0]
	manifestAt := bytes.Index(good, []byte(`"format": "landrelease-backup"`))
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x10
		return b
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"cut in the snapshot", good[:len(good)/2], "truncated"},
		{"cut before the manifest", good[:manifestAt-len("{\n  ")-512], "no manifest.json: the backup is truncated"},
		{"cut before the manifest's checksum", good[:manifestAt+512], "truncated"},
		{"bit flipped in the snapshot", flip(512 + int(snap.Bytes)/3), snap.Path + ": SHA-256"},
		{"bit flipped in the manifest", flip(manifestAt + 5), "manifest.json does not match manifest.sha256"},
		{"foreign file", []byte("local_id,province\n1,Battambang\n"), "not a landrelease backup"},
		{"empty file", nil, "not a landrelease backup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "damaged.lrbak")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := run(t, "", "backup", "--verify", path)
			if code != exitRefused || !strings.Contains(errOut, c.want) {
				t.Fatalf("--verify: exit %d, want 1 and %q in:\n%s", code, c.want, errOut)
			}
			target := filepath.Join(t.TempDir(), "new")
			code, _, errOut = run(t, "", "--data-dir", target, "restore", path)
			if code != exitRefused || !strings.Contains(errOut, c.want) {
				t.Fatalf("restore: exit %d, want 1 and %q in:\n%s", code, c.want, errOut)
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Fatalf("a refused restore created %s", target)
			}
		})
	}
}

// SIGKILL during a backup: the backup taken before is intact and no file
// in the directory but it passes --verify.
func TestBackupKilledLeavesNoVerifiableFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and loads the demo")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	loadDemo(t, dir)
	bk := t.TempDir()
	if code, _, errOut := run(t, "", "--data-dir", dir, "backup", bk); code != exitOK {
		t.Fatal(errOut)
	}
	first := onlyBackup(t, bk)
	before, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	killed := false
	for attempt := 0; attempt < 10 && !killed; attempt++ {
		cmd := exec.Command(bin, "--data-dir", dir, "backup", bk)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		// Kill it as soon as its temporary file holds part of a snapshot.
	watch:
		for {
			select {
			case <-exited:
				break watch
			default:
			}
			if tmp := tempBackups(t, bk); len(tmp) > 0 {
				if fi, err := os.Stat(tmp[0]); err == nil && fi.Size() > 0 {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					killed = true
					break
				}
			}
		}
		<-exited
		if files, _ := backupFiles(bk); len(files) > 1 { // it finished first: try again
			killed = false
			for _, f := range files {
				if f != first {
					os.Remove(f)
				}
			}
		}
	}
	if !killed {
		t.Skip("every backup finished before it could be killed")
	}
	after, err := os.ReadFile(first)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("the earlier backup changed: %v", err)
	}
	ents, _ := os.ReadDir(bk)
	verified := 0
	for _, e := range ents {
		if _, err := verifyBackup(filepath.Join(bk, e.Name())); err == nil {
			verified++
			if filepath.Join(bk, e.Name()) != first {
				t.Fatalf("%s, left by the killed backup, passes --verify", e.Name())
			}
		}
	}
	if verified != 1 || len(tempBackups(t, bk)) == 0 {
		t.Fatalf("%d files verify (want the earlier backup only); temporary files %v", verified, tempBackups(t, bk))
	}
	// The next scheduled backup's pruning removes the stale temporary
	// file once it is old, never a good backup.
	for _, tmp := range tempBackups(t, bk) {
		old := time.Now().Add(-time.Hour)
		_ = os.Chtimes(tmp, old, old)
	}
	if err := pruneBackups(bk, 1); err != nil {
		t.Fatal(err)
	}
	if len(tempBackups(t, bk)) != 0 || onlyBackup(t, bk) != first {
		t.Fatal("pruning kept a stale temporary file or removed the good backup")
	}
}

func tempBackups(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "."+backupPrefix+"*.tmp"))
	return m
}

// Backups taken while commands arrive restore to a prefix of the history
// that ends between two appends, with the read model of a rebuild.
func TestBackupWhileCommandsArrive(t *testing.T) {
	if testing.Short() {
		t.Skip("applies commands while taking backups")
	}
	ctx := context.Background()
	dir := t.TempDir()
	g := defaultGlobals()
	g.dataDir = dir
	eng, err := openEngine(ctx, g, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	envs := synth.Mixed(synth.DefaultConfig(31, 3000))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < len(envs); i += 500 {
			eng.handler.HandleBatch(ctx, envs[i:min(i+500, len(envs))], nil)
		}
	}()
	bk := t.TempDir()
	var taken []string
	for i := 1; ; i++ {
		// Each backup waits for more history than the one before.
		finished := false
		for !finished {
			if last, _ := eng.store.LastSequence(ctx); last > uint64(i)*750 {
				break
			}
			select {
			case <-done:
				finished = true
			case <-time.After(5 * time.Millisecond):
			}
		}
		var pause interface {
			Lock()
			Unlock()
		} = eng.gate
		if i%2 == 1 {
			pause = nil // as another engine's backup: retried when it cuts an append
		}
		res, err := takeBackup(ctx, eng.nc, pause, bk, time.Now())
		switch {
		case err == nil:
			taken = append(taken, res.Path)
		case pause == nil && strings.Contains(err.Error(), "every snapshot of 5"):
			t.Logf("backup %d without the gate gave up: %v", i, err)
		default:
			t.Fatalf("backup %d: %v", i, err)
		}
		if finished {
			break
		}
	}
	eng.Close()
	orig := readHistory(t, dir)
	if len(taken) < 2 {
		t.Fatalf("only %d backups taken", len(taken))
	}
	for _, file := range taken {
		restored := filepath.Join(t.TempDir(), "r")
		if code, _, errOut := run(t, "", "--data-dir", restored, "restore", file); code != exitOK {
			t.Fatalf("restore %s: %s", file, errOut)
		}
		back := readHistory(t, restored)
		if len(back) == 0 || len(back) > len(orig) {
			t.Fatalf("%s restored %d messages of %d", file, len(back), len(orig))
		}
		for i := range back {
			sameMessage(t, "restored", orig[i], back[i])
		}
		if h := back[len(back)-1].Headers(); !lrjs.EndsAppend(h) {
			t.Fatalf("%s ends inside an append (batch %s)", file, h.Get("Nats-Batch-Id"))
		}
		rebuiltOnRestore := dump(t, filepath.Join(restored, "readmodel.sqlite"))
		if code, _, errOut := run(t, "", "--data-dir", restored, "rebuild"); code != exitOK {
			t.Fatal(errOut)
		}
		if dump(t, filepath.Join(restored, "readmodel.sqlite")) != rebuiltOnRestore {
			t.Fatalf("%s: the read model after restore differs from a rebuild", file)
		}
		t.Logf("%s: %d of %d messages", filepath.Base(file), len(back), len(orig))
	}
}

// export --what history, then import into an empty data dir: the same
// messages at the same sequences with byte-identical bodies; a truncated
// archive is refused before anything is written.
func TestExportImportHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo")
	}
	dir := t.TempDir()
	loadDemo(t, dir)
	archive := filepath.Join(t.TempDir(), "history.jsonl")
	if code, _, errOut := run(t, "", "--data-dir", dir, "export", "--what", "history", "--out", archive); code != exitOK {
		t.Fatal(errOut)
	}
	imported := filepath.Join(t.TempDir(), "imported")
	if code, out, errOut := run(t, "", "--data-dir", imported, "import", archive); code != exitOK || !strings.Contains(out, "imported") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	orig, back := readHistory(t, dir), readHistory(t, imported)
	if len(orig) != len(back) {
		t.Fatalf("imported %d messages, want %d", len(back), len(orig))
	}
	for i := range orig {
		sameMessage(t, "imported", orig[i], back[i])
	}
	_, a, _ := run(t, "", "--data-dir", dir, "state")
	if _, b, _ := run(t, "", "--data-dir", imported, "state"); a != b {
		t.Fatal("state after import differs")
	}
	b, _ := os.ReadFile(archive)
	cut := filepath.Join(t.TempDir(), "cut.jsonl")
	_ = os.WriteFile(cut, b[:len(b)*2/3], 0o600)
	target := filepath.Join(t.TempDir(), "cut")
	if code, _, errOut := run(t, "", "--data-dir", target, "import", cut); code != exitRefused || !strings.Contains(errOut, "truncated") {
		t.Fatalf("import of a cut archive: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatal("a refused import created the data dir")
	}
}

// serve --backup-every takes a backup at start, keeps the newest
// --backup-keep, and the health endpoint and the dashboard's status bar
// show the last good one (dashboard_browser_backup_test.go).
func TestServeScheduledBackups(t *testing.T) {
	if testing.Short() {
		t.Skip("serves")
	}
	dir := t.TempDir()
	file := writeCommands(t, synth.Mixed(synth.DefaultConfig(5, 300)))
	if code, _, errOut := run(t, "", "--data-dir", dir, "exec", file); code != exitOK && code != exitRefused {
		t.Fatal(errOut)
	}
	events := uint64(len(readHistory(t, dir)))
	bk := t.TempDir()
	old := time.Now().Add(-72 * time.Hour)
	for _, name := range []string{"20000101T000000.000Z", "20000102T000000.000Z"} {
		path := filepath.Join(bk, backupPrefix+name+backupExt)
		_ = os.WriteFile(path, []byte("an older backup"), 0o600)
		_ = os.Chtimes(path, old, old)
	}
	if code, _, errOut := run(t, "", "--data-dir", dir, "serve", "--backup-every", "1m"); code != exitUsage || !strings.Contains(errOut, "--backup-dir") {
		t.Fatalf("--backup-every without --backup-dir: exit %d %s", code, errOut)
	}
	base := startServe(t, dir, "--insecure-local", "--backup-every", "24h", "--backup-dir", bk, "--backup-keep", "2")
	c := newClient(t, base, "")
	var health struct {
		Backup struct {
			LastGood *backupRecord `json:"last_good"`
			Next     time.Time     `json:"next"`
		} `json:"backup"`
	}
	for {
		status, body := c.do("GET", "/api/v1/health", nil)
		if status != 200 || json.Unmarshal(body, &health) != nil {
			t.Fatalf("health: %d %s", status, body)
		}
		if g := health.Backup.LastGood; g != nil && g.Events > 0 {
			break
		}
		if time.Now().After(waitBound(t)) {
			t.Fatalf("no scheduled backup shown by the health endpoint: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	g := health.Backup.LastGood
	if g.Events != events || g.Sequence != events || !health.Backup.Next.After(time.Now().Add(23*time.Hour)) {
		t.Fatalf("health shows %+v next %s; want %d events and the next in 24 h", g, health.Backup.Next, events)
	}
	if _, err := verifyBackup(filepath.Join(bk, g.File)); err != nil {
		t.Fatal(err)
	}
	files, _ := backupFiles(bk)
	if len(files) != 2 || filepath.Base(files[1]) != g.File || !strings.Contains(files[0], "20000102") {
		t.Fatalf("after pruning to 2: %v", files)
	}
	t.Run("dashboard", func(t *testing.T) { dashboardShowsBackup(t, base, *g) })
}

// restore --nats-url restores onto a server reached over the network (as a
// cluster is), as the engine, and refuses when the streams exist there.
func TestRestoreOntoNATSURL(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo")
	}
	dir := t.TempDir()
	loadDemo(t, dir)
	bk := t.TempDir()
	if code, _, errOut := run(t, "", "--data-dir", dir, "backup", bk); code != exitOK {
		t.Fatal(errOut)
	}
	file := onlyBackup(t, bk)
	remote := t.TempDir()
	// Without sync_always: with it the server syncs each restored message
	// (docs/operations.md), which takes 40 s for the demo.
	srv, err := lrjs.StartEmbedded(lrjs.EmbeddedConfig{DataDir: remote, Listen: "127.0.0.1:0", StartTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	url := srv.ClientURL()
	pw := lrjs.PasswordFile(remote, lrjs.EngineUser)
	args := []string{"--nats-url", url, "--nats-user", lrjs.EngineUser, "--nats-password-file", pw, "--data-dir", t.TempDir(), "restore", file}
	if code, out, errOut := run(t, "", args...); code != exitOK {
		t.Fatalf("restore --nats-url: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "", args...); code != exitRefused || !strings.Contains(errOut, "already exists") {
		t.Fatalf("a second restore onto the same server: exit %d %s", code, errOut)
	}
	srv.Close()
	orig, back := readHistory(t, dir), readHistory(t, remote)
	if len(orig) != len(back) {
		t.Fatalf("restored %d messages, want %d", len(back), len(orig))
	}
	for i := range orig {
		sameMessage(t, "restored", orig[i], back[i])
	}
}
