package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// The backup and restore phases (issue 20): 'landrelease backup' and
// 'landrelease restore' of the scale's history, each next to its raw
// ceiling measured in the same run on the same stream:
//
//   - raw stream snapshot: JetStream's snapshot API of the history stream to
//     a file, nothing else (what 'nats stream backup' does), through the
//     same connection as the backup;
//   - backup: takeBackup as the verb and serve's schedule run it: every
//     stream of the data dir (the history and, when they exist, the token
//     bucket and a provincial office's outbox and outcomes), the clean-cut
//     check, the recorded times, the manifest, the file's and its
//     directory's fsync and the rename;
//   - raw restore: start an embedded server in an empty directory, the
//     restore API of that raw snapshot, stop the server: with SyncAlways
//     off, as 'restore' runs its server (with SyncAlways each restored
//     message is synced, about 2 ms each on a small disk: the demo takes
//     40 s), and no sync at the end;
//   - restore: verify the backup (read it through, every checksum), start
//     the embedded server in an empty data dir (SyncAlways off), restore
//     every stream, check each against the manifest, stop the server and
//     fsync every restored file: 'landrelease restore' without its rebuild;
//   - restore with the read model: 'landrelease restore' as a user runs it,
//     its rebuild of the SQLite read model included.
//
// The sizes: the raw snapshot's and the backup's, in MiB and as a share
// of the store (the data dir's JetStream directory on disk); the backup's
// also as a ratio to the raw snapshot's.
func init() {
	phaseSpecs["raw_snapshot"] = phaseSpec{group: "backup", name: "raw stream snapshot", unit: "events"}
	phaseSpecs["backup"] = phaseSpec{group: "backup", name: "backup", unit: "events", ceiling: "raw_snapshot"}
	phaseSpecs["raw_restore"] = phaseSpec{group: "restore", name: "raw stream restore", unit: "events"}
	phaseSpecs["restore"] = phaseSpec{group: "restore", name: "restore: verify, streams, check, sync", unit: "events", ceiling: "raw_restore"}
	phaseSpecs["restore_rebuild"] = phaseSpec{group: "restore", name: "restore with the read model's rebuild", unit: "events", ceiling: "raw_restore"}
}

// BackupHost is a Host that can back up and restore a data dir as the
// landrelease verbs do.
type BackupHost interface {
	// BackupConn connects as the engine to the embedded server of the data
	// dir dataDir, as 'landrelease backup' does; close releases it.
	BackupConn(ctx context.Context, dataDir string) (nc *nats.Conn, close func(), err error)
	// Backup takes a backup through nc into the directory dest, as
	// 'landrelease backup' and serve's schedule do, and returns its file.
	Backup(ctx context.Context, nc *nats.Conn, dest string) (file string, err error)
	// RestoreStreams verifies the backup file and restores its streams into
	// the empty data dir dataDir, as 'landrelease restore' does before its
	// rebuild of the read model.
	RestoreStreams(ctx context.Context, file, dataDir string) error
	// Restore runs 'landrelease --data-dir dataDir restore file'.
	Restore(ctx context.Context, file, dataDir string) error
}

// backupRestore measures the backup group, the restore group or both on
// the data dir store, in scratch directories under dir. Each pair (raw
// snapshot and backup, raw restore and restore) is measured cfg.Rounds
// times, taking turns, and each phase keeps its fastest round: on a
// shared machine one run of either can be slowed by other work, and the
// ratio is between what each costs when nothing else intervenes.
func (b *bencher) backupRestore(ctx context.Context, store, dir string) error {
	bh, ok := b.host.(BackupHost)
	if !ok {
		for _, k := range []string{"raw_snapshot", "backup", "raw_restore", "restore", "restore_rebuild"} {
			if b.cfg.wants(phaseSpecs[k].group) {
				b.skip(k, "the host cannot back up or restore")
			}
		}
		return nil
	}
	work := filepath.Join(dir, "backup")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(work)
	storeBytes, err := dirBytes(filepath.Join(store, "jetstream"))
	if err != nil {
		return err
	}
	nc, closeNC, err := bh.BackupConn(ctx, store)
	if err != nil {
		return err
	}
	defer func() { closeNC() }()
	raw := filepath.Join(work, "raw.tar.s2")
	var info lrjs.SnapshotInfo
	snapshot := func() (float64, error) {
		f, err := os.Create(raw)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		info, err = lrjs.SnapshotStream(ctx, nc, lrjs.StreamName, f)
		if err == nil {
			err = f.Close()
		}
		return float64(info.State.Msgs), err
	}
	// A first snapshot warms the server's caches and the page cache.
	b.logf("warming up: one snapshot of the history")
	if _, err := snapshot(); err != nil {
		return err
	}
	events := float64(info.State.Msgs)
	backupDir := filepath.Join(work, "backups")
	if err := os.MkdirAll(backupDir, 0o755); err != nil {
		return err
	}
	var file string // the latest backup (each round writes a new dated file)
	backup := func() (float64, error) {
		var err error
		file, err = bh.Backup(ctx, nc, backupDir)
		return events, err
	}
	if b.cfg.wants("backup") {
		err := b.rounds("raw_snapshot", snapshot, "backup", backup, func() {
			b.sized("raw_snapshot", raw, storeBytes, 0)
			b.sized("backup", file, storeBytes, b.phase("raw_snapshot").Bytes)
		}, func() { // the earlier rounds' backups
			ents, _ := os.ReadDir(backupDir)
			for _, e := range ents {
				if p := filepath.Join(backupDir, e.Name()); p != file {
					os.Remove(p)
				}
			}
		})
		if err != nil {
			return err
		}
	} else {
		b.logf("taking the backup the restores read (not measured: group backup)")
		if _, err := backup(); err != nil {
			return err
		}
	}
	closeNC()
	closeNC = func() {}
	if !b.cfg.wants("restore") {
		return nil
	}
	rawTarget, target := filepath.Join(work, "raw-restore"), filepath.Join(work, "restore")
	rawRestore := func() (float64, error) { return b.rawRestore(ctx, raw, info.Config, rawTarget, events) }
	restore := func() (float64, error) { return events, bh.RestoreStreams(ctx, file, target) }
	err = b.rounds("raw_restore", rawRestore, "restore", restore, nil, func() { os.RemoveAll(rawTarget); os.RemoveAll(target) })
	if err != nil {
		return err
	}
	err = b.measure("restore_rebuild", func() (float64, error) {
		return events, bh.Restore(ctx, file, filepath.Join(work, "restore-rebuild"))
	})
	os.RemoveAll(filepath.Join(work, "restore-rebuild"))
	return err
}

// rounds measures the ceiling rawKey (rawFn) and the phase key (fn)
// cfg.Rounds times, taking turns, and keeps each one's fastest round.
// after, if not nil, runs after both phases' first round (while their
// files are there); cleanup, if not nil, after every round of either,
// off the clock.
func (b *bencher) rounds(rawKey string, rawFn func() (float64, error), key string, fn func() (float64, error), after, cleanup func()) error {
	if cleanup == nil {
		cleanup = func() {}
	}
	if err := b.measure(rawKey, rawFn); err != nil {
		return err
	}
	cleanup()
	if err := b.measure(key, fn); err != nil {
		return err
	}
	if after != nil {
		after()
	}
	cleanup()
	for r := 2; r <= b.cfg.Rounds; r++ {
		for _, k := range []string{rawKey, key} {
			f := map[string]func() (float64, error){rawKey: rawFn, key: fn}[k]
			start := time.Now()
			if _, err := f(); err != nil {
				return fmt.Errorf("%s, round %d: %w", b.spec(k).name, r, err)
			}
			d := time.Since(start).Seconds()
			cleanup()
			p := b.phase(k)
			b.logf("%s, round %d of %d: %s", p.Name, r, b.cfg.Rounds, formatSeconds(d))
			if d < p.Seconds {
				p.Seconds, p.Rate = d, p.Units/d
			}
		}
	}
	if b.cfg.Rounds > 1 {
		p := b.phase(key)
		b.judge(p, b.spec(key))
		b.logf("%s: the fastest of %d rounds %s, %.2f of %s's fastest (%s)", p.Name, b.cfg.Rounds, formatSeconds(p.Seconds),
			p.Ratio, b.spec(rawKey).name, formatSeconds(b.phase(rawKey).Seconds))
	}
	return nil
}

// phase is the measured phase key of this scale.
func (b *bencher) phase(key string) *Phase {
	for i := range b.res.Phases {
		if b.res.Phases[i].Key == key {
			return &b.res.Phases[i]
		}
	}
	return &Phase{}
}

// rawRestore restores the raw snapshot with JetStream's restore API into a
// fresh embedded server in the new directory dir (SyncAlways off), then
// stops the server, as restore starts and stops its own.
func (b *bencher) rawRestore(ctx context.Context, raw string, config json.RawMessage, dir string, events float64) (float64, error) {
	cfg := lrjs.DefaultEmbeddedConfig(dir)
	cfg.SyncAlways = false // as 'restore' runs its server
	srv, err := lrjs.StartEmbedded(cfg)
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	nc, err := srv.Connect()
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	f, err := os.Open(raw)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := lrjs.RestoreStream(ctx, nc, lrjs.StreamName, config, f, nil)
	if err == nil && float64(st.Msgs) != events {
		err = fmt.Errorf("restored %d of %v messages", st.Msgs, events)
	}
	return events, err
}

// sized records the size of file on the phase key: in bytes, as
// a share of the store and, when ceiling is not 0, as a ratio to the
// ceiling's file.
func (b *bencher) sized(key, file string, store, ceiling int64) {
	p := b.phase(key)
	st, err := os.Stat(file)
	if err != nil {
		b.logf("%s: size unknown: %v", p.Name, err)
		return
	}
	p.Bytes = st.Size()
	if store > 0 {
		p.OfStore = float64(p.Bytes) / float64(store)
	}
	if ceiling > 0 {
		p.SizeRatio = float64(p.Bytes) / float64(ceiling)
	}
	b.logf("%s: %s, %.2f of the store (%.1f MiB)", p.Name, formatMiB(p.Bytes), p.OfStore, float64(store)/(1<<20))
}

// dirBytes is the size of the regular files under root.
func dirBytes(root string) (int64, error) {
	var n int64
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

func formatMiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
