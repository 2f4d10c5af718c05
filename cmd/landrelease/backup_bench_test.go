package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// BenchmarkBackupRestore measures backup and restore of the demo history
// against raw ceilings measured in the same run, on the same data dir:
//
//   - raw snapshot: JetStream's stream snapshot of the history to a file,
//     nothing else (what 'nats stream backup' does);
//   - backup: 'landrelease backup' (every stream, the clean-cut check, the
//     manifest, fsync and rename);
//   - raw restore: JetStream's restore of that snapshot into a fresh
//     embedded server (no verification, no sync, no read model);
//   - restore (streams): verify the file, restore every stream, check the
//     state, sync the files;
//   - restore (with read model): 'landrelease restore', which also rebuilds
//     the read model.
//
// go test -run '^$' -bench BackupRestore -benchtime 1x ./cmd/landrelease/
//
// LANDRELEASE_BACKUP_BENCH_COMMANDS=N measures a synthetic history of N
// commands instead of the demo (about 10 events per 9 commands; 200000 for
// a history 10× the demo's); LANDRELEASE_BACKUP_BENCH_ROUNDS sets the
// rounds (default 3).
func BenchmarkBackupRestore(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if n, _ := strconv.Atoi(os.Getenv("LANDRELEASE_BACKUP_BENCH_COMMANDS")); n > 0 {
		file := filepath.Join(b.TempDir(), "commands.jsonl")
		var buf bytes.Buffer
		for _, e := range synth.Mixed(synth.DefaultConfig(77, n)) {
			line, err := domain.EncodeCommand(e)
			if err != nil {
				b.Fatal(err)
			}
			buf.Write(line)
			buf.WriteByte('\n')
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		if code, _, errOut := run(b, "", "--data-dir", dir, "exec", file); code != exitOK && code != exitRefused {
			b.Fatal(errOut)
		}
	} else {
		loadDemo(b, dir)
	}
	g := defaultGlobals()
	g.dataDir = dir
	rounds := 3
	if n, _ := strconv.Atoi(os.Getenv("LANDRELEASE_BACKUP_BENCH_ROUNDS")); n > 0 {
		rounds = n
	}
	var rawSnap, backup, rawRestore, restoreStreamsOnly, restoreFull []time.Duration
	var rawBytes, backupBytes int64
	var events uint64
	for r := 0; r < rounds; r++ {
		nc, closeNATS, err := connectForBackup(ctx, g, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		raw := filepath.Join(b.TempDir(), "raw.tar.s2")
		f, err := os.Create(raw)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		info, err := lrjs.SnapshotStream(ctx, nc, lrjs.StreamName, f)
		if err == nil {
			err = f.Close()
		}
		rawSnap = append(rawSnap, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		st, _ := os.Stat(raw)
		rawBytes = st.Size()
		bk := b.TempDir()
		res, err := takeBackup(ctx, nc, nil, bk, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		backup, backupBytes = append(backup, res.Took), res.Bytes
		events = res.Manifest.Streams[0].Messages
		closeNATS()

		// Raw restore into a fresh server.
		fresh := b.TempDir()
		cfg := lrjs.DefaultEmbeddedConfig(fresh)
		cfg.SyncAlways = false
		srv, err := lrjs.StartEmbedded(cfg)
		if err != nil {
			b.Fatal(err)
		}
		rnc, err := srv.Connect()
		if err != nil {
			b.Fatal(err)
		}
		rf, _ := os.Open(raw)
		start = time.Now()
		if _, err := lrjs.RestoreStream(ctx, rnc, lrjs.StreamName, info.Config, rf, nil); err != nil {
			b.Fatal(err)
		}
		rawRestore = append(rawRestore, time.Since(start))
		rf.Close()
		rnc.Close()
		srv.Close()

		// landrelease's restore, streams only, then with the read model.
		g2 := defaultGlobals()
		g2.dataDir = filepath.Join(b.TempDir(), "r")
		start = time.Now()
		m, err := verifyBackup(res.Path)
		if err == nil {
			err = restoreStreams(ctx, g2, res.Path, m, io.Discard)
		}
		restoreStreamsOnly = append(restoreStreamsOnly, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		target := filepath.Join(b.TempDir(), "full")
		start = time.Now()
		if code, _, errOut := run(b, "", "--data-dir", target, "restore", res.Path); code != exitOK {
			b.Fatal(errOut)
		}
		restoreFull = append(restoreFull, time.Since(start))
	}
	med := func(d []time.Duration) time.Duration { s := slices.Clone(d); slices.Sort(s); return s[len(s)/2] }
	ratio := func(a, c []time.Duration) float64 { return med(a).Seconds() / med(c).Seconds() }
	b.ReportMetric(med(rawSnap).Seconds()*1e3, "raw-snapshot-ms")
	b.ReportMetric(med(backup).Seconds()*1e3, "backup-ms")
	b.ReportMetric(ratio(backup, rawSnap), "backup/raw")
	b.ReportMetric(float64(backupBytes)/float64(rawBytes), "size/raw")
	b.ReportMetric(med(rawRestore).Seconds()*1e3, "raw-restore-ms")
	b.ReportMetric(med(restoreStreamsOnly).Seconds()*1e3, "restore-streams-ms")
	b.ReportMetric(ratio(restoreStreamsOnly, rawRestore), "restore-streams/raw")
	b.ReportMetric(med(restoreFull).Seconds()*1e3, "restore+rebuild-ms")
	b.ReportMetric(ratio(restoreFull, rawRestore), "restore+rebuild/raw")
	b.Logf("history of %d events: raw snapshot %d bytes, backup %d bytes; medians of %d rounds: raw snapshot %s, backup %s, raw restore %s, restore (streams) %s, restore with read model %s",
		events, rawBytes, backupBytes, rounds, med(rawSnap), med(backup), med(rawRestore), med(restoreStreamsOnly), med(restoreFull))
}
