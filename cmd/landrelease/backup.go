package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
)

// backupSource is one stream a backup holds.
type backupSource struct {
	Name string
	Role string // in the manifest: "history", "tokens", …
	// Required: a backup fails without it (otherwise a stream that does
	// not exist yet, such as the token bucket before the first token, is
	// left out and the manifest says so by not listing it).
	Required bool
	// Appends: the stream takes the engine's atomic appends, so the
	// snapshot must end between two of them (see takeBackup). A mirror
	// (a provincial office's history) is exempt: JetStream fills it, and
	// it resumes after its last message whatever that is.
	Appends bool
	// Consumers: the snapshot holds the stream's consumers and their
	// acknowledgement state.
	Consumers bool
}

// backupStreams are the streams a backup holds, in the order they are
// written and restored: add a stream here (a provincial outbox) and
// backup, --verify and restore take it. The command handler's index file
// (indexfile.go) is not backed up: it is a cache that the first start
// after a restore rebuilds from the history.
var backupStreams = []backupSource{
	{Name: lrjs.StreamName, Role: "history", Required: true, Appends: true},
	{Name: "KV_" + lrjs.TokensBucket, Role: "tokens"},
	// A provincial office's commands written offline and the national
	// decisions on them (docs/operations.md, "Provincial office"): present
	// on an office only; one message per command, never a batch. The
	// outbox keeps its consumer: the national engine's durable consumer
	// (landrelease-decide, in the office's domain), whose acknowledgements
	// say which commands were decided; without it a restored office would
	// have every command of its outbox decided again, and one refused
	// long ago might then be applied.
	{Name: lrjs.OutboxStream, Role: "outbox", Consumers: true},
	{Name: lrjs.OutcomeStream, Role: "outcomes"},
}

const indexSnapshotNote = "not included: the command handler rebuilds its index from the history at the first start after a restore"

func backupVerb() verb {
	return verb{
		name:    "backup",
		summary: "back up the history and the token bucket to a file, or check a backup",
		usage:   "backup FILE|DIR  |  backup --verify FILE",
		help: `Writes a consistent backup of the event history (the LANDRELEASE stream)
and of what the engine needs beside it (the API token bucket) to FILE, or
to DIR/landrelease-backup-<UTC time>.lrbak when given a directory. It uses
JetStream's own stream snapshot, so the history is copied as the server
stores it, and ends between two appends: never half of a command's events.

The file is a tar archive: each stream's snapshot, then manifest.json (the
history's last sequence, event count, first and last recorded times, the
SHA-256 of every part, the engine's and the server's versions, the format
version), then the manifest's own SHA-256. It is written to a temporary
file, synced and renamed: a backup that is killed leaves no file that
--verify accepts, and earlier backups untouched.

On a provincial office (run with the office's --leaf, --jetstream-domain
and --office-province flags) the backup also holds its outbox, with the
national engine's consumer on it (which commands were decided), and its
outcomes; its history is its mirror of the national one, taken as
JetStream filled it. The manifest names the office.

With the embedded server, run it while no other landrelease uses the data
dir, or let 'serve --backup-every' take backups while it serves. On a
cluster (--nats-url), it runs while the engines keep serving; it needs the
engine identity (--nats-user engine ...).

--verify FILE reads a backup through and checks the manifest and every
checksum without restoring anything; exit status 1 names what is wrong.

Restore with 'landrelease restore FILE' (docs/operations.md).`,
		flags: func(fs *flag.FlagSet) any {
			o := &backupOpts{}
			fs.BoolVar(&o.verify, "verify", false, "check the backup FILE (manifest and checksums) instead of taking one")
			return o
		},
		run: runBackup,
	}
}

type backupOpts struct {
	verify bool
}

func runBackup(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*backupOpts)
	if len(args) != 1 {
		fmt.Fprintln(a.stderr, "landrelease backup: want one FILE or DIR\nRun 'landrelease backup --help' for usage.")
		return exitUsage
	}
	if opts.verify {
		m, err := verifyBackup(args[0])
		if err != nil {
			return fail(a, "backup", err)
		}
		st, _ := os.Stat(args[0])
		fmt.Fprintf(a.stdout, "%s: an intact landrelease backup of %s (%d bytes)\n%s", args[0], m.CreatedAt.Format(time.RFC3339), st.Size(), describeManifest(m))
		return exitOK
	}
	nc, closeNATS, err := connectForBackup(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "backup", err)
	}
	defer closeNATS()
	res, err := takeBackup(ctx, nc, nil, args[0], time.Now())
	if err != nil {
		return fail(a, "backup", err)
	}
	fmt.Fprintf(a.stdout, "backup written to %s (%d bytes in %s)\n%s", res.Path, res.Bytes, res.Took.Round(time.Millisecond), describeManifest(res.Manifest))
	return exitOK
}

// describeManifest says what a backup holds, one stream per line.
func describeManifest(m backupManifest) string {
	s := ""
	for _, st := range m.Streams {
		s += fmt.Sprintf("  %-8s %s: %d messages up to sequence %d", st.Role, st.Name, st.Messages, st.Sequence)
		if st.FirstRecordedAt != "" {
			s += fmt.Sprintf(", recorded %s to %s", st.FirstRecordedAt, st.LastRecordedAt)
		}
		s += "\n"
	}
	if m.Office != "" {
		s += fmt.Sprintf("  of the provincial office %s: its mirror of the national history, its outbox with the national engine's consumer, its outcomes\n", m.Office)
	}
	return s + fmt.Sprintf("  engine %s, nats-server %s, format %s %d\n", m.EngineVersion, m.NATSServerVersion, m.Format, m.FormatVersion)
}

// connectForBackup connects as the engine: to --nats-url, or to the
// embedded server of the data dir (which it locks: no other landrelease may
// use it meanwhile).
func connectForBackup(ctx context.Context, g globals, stderr io.Writer) (*nats.Conn, func(), error) {
	if g.natsURL != "" {
		nc, _, err := dialNATS(g)
		if err != nil {
			return nil, nil, err
		}
		return nc, nc.Close, nil
	}
	if _, err := os.Stat(filepath.Join(g.dataDir, "jetstream")); err != nil {
		return nil, nil, fmt.Errorf("data dir %s holds no history (no jetstream directory): check --data-dir", g.dataDir)
	}
	lock, err := lockDataDir(g.dataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w; or take backups from the running server with 'serve --backup-every 24h --backup-dir DIR'", err)
	}
	srv, err := lrjs.StartEmbedded(backupServerConfig(g, lrjs.DefaultEmbeddedConfig(g.dataDir)))
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
	return nc, func() { nc.Close(); srv.Close(); lock.release() }, nil
}

// backupResult is what takeBackup wrote.
type backupResult struct {
	Path     string
	Bytes    int64
	Took     time.Duration
	Manifest backupManifest
}

// takeBackup writes a backup of backupStreams to dest (a file, or a
// directory to name one in) through nc. pause, if not nil, holds this
// process's appends while the history is snapshotted (serve passes its
// engine's gate). A snapshot of the history must end between two appends:
// it must hold exactly the messages up to the sequence the server reported
// when it started, and that message must end its append; when another
// writer appended meanwhile, it is taken again (up to 5 times).
func takeBackup(ctx context.Context, nc *nats.Conn, pause sync.Locker, dest string, now time.Time) (backupResult, error) {
	start := time.Now()
	dir, final := dest, ""
	if st, err := os.Stat(dest); err == nil && st.IsDir() {
		final = filepath.Join(dir, backupPrefix+now.UTC().Format("20060102T150405.000Z")+backupExt)
	} else if err == nil {
		return backupResult{}, fmt.Errorf("%s exists: name a new file, or a directory to write a dated backup into", dest)
	} else {
		final, dir = dest, filepath.Dir(dest)
	}
	if _, err := os.Stat(final); err == nil {
		return backupResult{}, fmt.Errorf("%s exists: name a new file", final)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(final)+".*.tmp")
	if err != nil {
		return backupResult{}, fmt.Errorf("backup dir %s: %w", dir, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	m := backupManifest{Format: backupFormat, FormatVersion: backupFormatVersion, EngineVersion: engineVersion(),
		NATSServerVersion: nc.ConnectedServerVersion(), CreatedAt: now.UTC(), IndexSnapshot: indexSnapshotNote}
	aw := &archiveWriter{f: tmp}
	for _, src := range backupStreams {
		bs, present, err := backupOne(ctx, nc, aw, src, pause)
		if err != nil {
			return backupResult{}, err
		}
		if present {
			m.Streams = append(m.Streams, bs)
			if bs.office != "" {
				m.Office = bs.office
			}
		}
	}
	if err := aw.writeManifest(m); err != nil {
		return backupResult{}, err
	}
	if err := aw.close(); err != nil {
		return backupResult{}, err
	}
	if err := tmp.Sync(); err != nil {
		return backupResult{}, fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return backupResult{}, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return backupResult{}, err
	}
	ok = true
	if d, err := os.Open(dir); err == nil { // the rename itself, durable
		_ = d.Sync()
		d.Close()
	}
	st, err := os.Stat(final)
	if err != nil {
		return backupResult{}, err
	}
	return backupResult{Path: final, Bytes: st.Size(), Took: time.Since(start), Manifest: m}, nil
}

// backupOne adds one stream's snapshot and description to the archive.
func backupOne(ctx context.Context, nc *nats.Conn, aw *archiveWriter, src backupSource, pause sync.Locker) (backupStream, bool, error) {
	bs := backupStream{Name: src.Name, Role: src.Role}
	if _, exists, err := lrjs.StreamLastSeq(ctx, nc, src.Name); err != nil {
		return bs, false, fmt.Errorf("stream %s: %w", src.Name, err)
	} else if !exists {
		if src.Required {
			return bs, false, fmt.Errorf("stream %s does not exist: nothing to back up (check --data-dir or --nats-url)", src.Name)
		}
		return bs, false, nil
	}
	before := aw.off
	var info lrjs.SnapshotInfo
	var part backupPart
	for attempt := 1; ; attempt++ {
		aw.off = before
		if err := aw.f.Truncate(before); err != nil {
			return bs, false, err
		}
		if pause != nil && src.Appends {
			pause.Lock()
		}
		var err error
		part, err = aw.entry(streamSnapshotPath(src.Name), func(w io.Writer) error {
			var err error
			if src.Consumers {
				info, err = lrjs.SnapshotStreamAndConsumers(ctx, nc, src.Name, w)
			} else {
				info, err = lrjs.SnapshotStream(ctx, nc, src.Name, w)
			}
			return err
		})
		clean := true
		if err == nil && src.Appends && !isMirror(info.Config) {
			clean, err = cleanCut(ctx, nc, src.Name, info.State.LastSeq)
		}
		if pause != nil && src.Appends {
			pause.Unlock()
		}
		if err != nil {
			return bs, false, err
		}
		if clean {
			break
		}
		if attempt == 5 {
			return bs, false, fmt.Errorf("stream %s: every snapshot of 5 ended inside an append other engines were writing; try again, or at a quieter time", src.Name)
		}
	}
	bs.Sequence, bs.Messages = info.State.LastSeq, info.State.Msgs
	bs.Parts = append(bs.Parts, part)
	if src.Name == lrjs.OutboxStream {
		bs.office = outboxDomain(info.Config)
	}
	desc, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return bs, false, err
	}
	part, err = aw.entry(streamInfoPath(src.Name), func(w io.Writer) error { _, err := w.Write(desc); return err })
	if err != nil {
		return bs, false, err
	}
	bs.Parts = append(bs.Parts, part)
	if src.Role == "history" && info.State.Msgs > 0 {
		for _, at := range []struct {
			seq uint64
			dst *string
		}{{info.State.FirstSeq, &bs.FirstRecordedAt}, {info.State.LastSeq, &bs.LastRecordedAt}} {
			h, err := lrjs.StoredHeaders(ctx, nc, src.Name, at.seq)
			if err != nil {
				return bs, false, err
			}
			*at.dst = h.Get(lrjs.HeaderRecordedAt)
		}
	}
	return bs, true, nil
}

// isMirror reports whether a stream's configuration (as the snapshot API
// gave it) makes it a mirror.
func isMirror(config json.RawMessage) bool {
	var c struct {
		Mirror json.RawMessage `json:"mirror"`
	}
	return json.Unmarshal(config, &c) == nil && len(c.Mirror) > 0 && string(c.Mirror) != "null"
}

// outboxDomain is the JetStream domain of the provincial office whose
// outbox has the configuration config (its subjects are lrprov.<domain>.*).
func outboxDomain(config json.RawMessage) string {
	var c struct {
		Subjects []string `json:"subjects"`
	}
	if json.Unmarshal(config, &c) != nil || len(c.Subjects) != 1 {
		return ""
	}
	parts := strings.Split(c.Subjects[0], ".")
	if len(parts) != 3 || parts[0] != lrjs.OutboxPrefix {
		return ""
	}
	return parts[1]
}

// cleanCut reports whether a snapshot whose state said last sequence s0
// holds exactly the messages up to s0, ending an append: nothing was
// appended while it was taken (the stream's last sequence is still s0) and
// the message at s0 is the last of its append.
func cleanCut(ctx context.Context, nc *nats.Conn, stream string, s0 uint64) (bool, error) {
	last, _, err := lrjs.StreamLastSeq(ctx, nc, stream)
	if err != nil || last != s0 {
		return false, err
	}
	if s0 == 0 {
		return true, nil
	}
	h, err := lrjs.StoredHeaders(ctx, nc, stream, s0)
	if err != nil {
		return false, err
	}
	return lrjs.EndsAppend(h), nil
}

// appendGate is the engine's store with a lock around Append: a backup
// takes it for the moment of the history's snapshot, so that the
// snapshot ends between two of this engine's appends. Reads go on.
type appendGate struct {
	*lrjs.Store
	mu sync.RWMutex
}

var _ domain.EventStore = (*appendGate)(nil)

func (g *appendGate) Append(ctx context.Context, writes []domain.Write) (uint64, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.Store.Append(ctx, writes)
}

// Lock and Unlock hold and release appends (sync.Locker).
func (g *appendGate) Lock()   { g.mu.Lock() }
func (g *appendGate) Unlock() { g.mu.Unlock() }

// backupServerConfig is cfg in the data dir's JetStream domain (a
// provincial office's, or the national one) without its leaf link: a
// backup or a restore works on the local streams only, offline; an
// office's mirror resumes from the national history when its engine next
// starts with --leaf.
func backupServerConfig(g globals, cfg lrjs.EmbeddedConfig) lrjs.EmbeddedConfig {
	if g.prov.domain != "" {
		cfg.Leaf = lrjs.LeafConfig{Domain: g.prov.domain}
	}
	return cfg
}
