package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/projections"
)

func restoreVerb() verb {
	return verb{
		name:    "restore",
		summary: "restore a backup into an empty data dir (or onto a cluster), then rebuild the read model",
		usage:   "restore FILE",
		help: `Restores a backup written by 'landrelease backup' (or by serve
--backup-every):

 1. checks the file first, as 'backup --verify' does: the manifest, its
    checksum and every part's SHA-256; a partial, damaged or foreign file
    is refused, naming what is wrong, and nothing is written;
 2. restores each stream of the backup (the history, the token bucket)
    with JetStream's own restore, into the data dir, which must be empty
    or new; or, with --nats-url, onto that cluster, where the streams must
    not exist (the names cannot change: JetStream restores a snapshot under
    its own name); --replicas sets their replica count there;
 3. checks that each restored stream ends at the manifest's sequence with
    its message count;
 4. rebuilds the read model (--db, or the data dir's SQLite) from the
    restored history.

A provincial office's backup (the manifest names the office) is restored
only with that office's flags (--leaf ... --jetstream-domain DOMAIN
--office-province PROVINCE), and a national one only without --leaf; the
office's pending commands are in its restored outbox and sync once the
link is back.

The restored data dir gets new NATS passwords; API tokens keep working
(the token bucket is restored). See docs/operations.md for the restore
drill.`,
		flags: func(*flag.FlagSet) any { return nil },
		run:   runRestore,
	}
}

func runRestore(ctx context.Context, a *app, _ any, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(a.stderr, "landrelease restore: want one backup FILE\nRun 'landrelease restore --help' for usage.")
		return exitUsage
	}
	start := time.Now()
	m, err := verifyBackup(args[0])
	if err != nil {
		return fail(a, "restore", err)
	}
	if err := restoreStreams(ctx, a.g, args[0], m, a.stderr); err != nil {
		return fail(a, "restore", err)
	}
	restored := time.Since(start)
	n, err := rebuildReadModel(ctx, a)
	if err != nil {
		return fail(a, "restore", fmt.Errorf("the history is restored, but rebuilding the read model failed (run 'landrelease rebuild'): %w", err))
	}
	where := a.g.dataDir
	if a.g.natsURL != "" {
		where = withoutUserinfo(a.g.natsURL)
	}
	fmt.Fprintf(a.stdout, "restored %s (taken %s) into %s in %s; read model rebuilt from %d events in %s\n%s",
		args[0], m.CreatedAt.Format(time.RFC3339), where, restored.Round(time.Millisecond), n, (time.Since(start) - restored).Round(time.Millisecond), describeManifest(m))
	return exitOK
}

// restoreStreams restores every stream of the verified backup at path.
func restoreStreams(ctx context.Context, g globals, path string, m backupManifest, stderr io.Writer) error {
	switch {
	case m.Office != "" && g.prov.domain != m.Office:
		return fmt.Errorf("%s is a backup of the provincial office %s: restore it with that office's flags (--leaf URL --leaf-password-file FILE --jetstream-domain %s --office-province PROVINCE), as the office runs", path, m.Office, m.Office)
	case m.Office == "" && g.prov.isProvince():
		return fmt.Errorf("%s is a backup of a national engine, not of the provincial office %s: restore it without --leaf (a new office starts empty and mirrors the national history)", path, g.prov.domain)
	}
	nc, closeNATS, err := connectForRestore(ctx, g)
	if err != nil {
		return err
	}
	defer closeNATS()
	for _, s := range m.Streams {
		if _, exists, err := lrjs.StreamLastSeq(ctx, nc, s.Name); err != nil {
			return err
		} else if exists {
			return fmt.Errorf("stream %s already exists on %s: restore onto a cluster without it (JetStream restores a stream under its own name only)", s.Name, withoutUserinfo(g.natsURL))
		}
	}
	for _, s := range m.Streams {
		if err := restoreOne(ctx, nc, g, path, s); err != nil {
			return err
		}
	}
	return nil
}

// restoreOne restores stream s from the archive at path, checking its
// snapshot's SHA-256 again as it is sent (the file could have changed since
// it was verified) and the restored state against the manifest.
func restoreOne(ctx context.Context, nc *nats.Conn, g globals, path string, s backupStream) error {
	var info lrjs.SnapshotInfo
	var snap backupPart
	for _, p := range s.Parts {
		switch p.Path {
		case streamInfoPath(s.Name):
			b, err := readArchiveEntry(path, p.Path)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(b, &info); err != nil {
				return fmt.Errorf("%s: %s: %w", path, p.Path, err)
			}
		case streamSnapshotPath(s.Name):
			snap = p
		}
	}
	if info.Config == nil || snap.Path == "" {
		return refused(path, "stream %s lacks its configuration or its snapshot", s.Name)
	}
	config := info.Config
	if g.natsURL != "" && g.replicas > 0 {
		var c map[string]any
		if err := json.Unmarshal(config, &c); err != nil {
			return err
		}
		c["num_replicas"] = g.replicas
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		config = b
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, snap.Path, err)
		}
		if h.Name == snap.Path {
			break
		}
	}
	sum := sha256.New()
	state, err := lrjs.RestoreStream(ctx, nc, s.Name, config, io.TeeReader(tr, sum), nil)
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != snap.SHA256 {
		return fmt.Errorf("%s changed while it was restored (%s: SHA-256 %s, the manifest's %s): discard what was restored and restore again", path, snap.Path, got, snap.SHA256)
	}
	if state.LastSeq != s.Sequence || state.Msgs != s.Messages {
		return fmt.Errorf("stream %s restored to sequence %d with %d messages, the manifest says %d and %d: discard what was restored", s.Name, state.LastSeq, state.Msgs, s.Sequence, s.Messages)
	}
	return nil
}

// readArchiveEntry returns one small entry of the archive.
func readArchiveEntry(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, name, err)
		}
		if h.Name == name {
			return io.ReadAll(io.LimitReader(tr, 1<<20))
		}
	}
}

// connectForRestore connects as the engine to --nats-url, or starts the
// embedded server in the data dir, which must be empty or new.
func connectForRestore(ctx context.Context, g globals) (*nats.Conn, func(), error) {
	if g.natsURL != "" {
		nc, _, err := dialNATS(g)
		if err != nil {
			return nil, nil, err
		}
		return nc, nc.Close, nil
	}
	if ents, err := os.ReadDir(g.dataDir); err == nil && len(ents) > 0 {
		return nil, nil, fmt.Errorf("data dir %s is not empty (it holds %s): restore into a new or empty directory; to replace a data dir, move it aside first", g.dataDir, ents[0].Name())
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("data dir %s: %w", g.dataDir, err)
	}
	if err := checkDataDir(g.dataDir, 4<<10); err != nil {
		return nil, nil, err
	}
	lock, err := lockDataDir(g.dataDir)
	if err != nil {
		return nil, nil, err
	}
	// JetStream restores a snapshot message by message: syncing each one
	// (SyncAlways) made the demo's restore take 40 s instead of 1. The
	// files are synced once, after the server has stopped.
	cfg := backupServerConfig(g, lrjs.DefaultEmbeddedConfig(g.dataDir))
	cfg.SyncAlways = false
	srv, err := lrjs.StartEmbedded(cfg)
	if err != nil {
		lock.release()
		return nil, nil, err
	}
	nc, err := srv.Connect()
	if err != nil {
		srv.Close()
		lock.release()
		return nil, nil, err
	}
	return nc, func() {
		nc.Close()
		srv.Close()
		if err := syncTree(filepath.Join(g.dataDir, "jetstream")); err != nil {
			fmt.Fprintf(os.Stderr, "landrelease: sync the restored files: %v\n", err)
		}
		lock.release()
	}, nil
}

// syncTree fsyncs every file and directory under root.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

// rebuildReadModel rebuilds the read model from the history, as 'rebuild'
// does, and returns the events projected.
func rebuildReadModel(ctx context.Context, a *app) (uint64, error) {
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return 0, err
	}
	rm := &readModel{engine: eng}
	defer rm.Close()
	if err := rm.openDB(ctx, a.g); err != nil {
		return 0, err
	}
	if rm.runner, err = projections.NewRunner(rm.db, projectionConfig()); err != nil {
		return 0, err
	}
	if err := rm.catchUp(ctx, a.stderr, true); err != nil {
		return 0, err
	}
	return rm.runner.Sequence(), nil
}
