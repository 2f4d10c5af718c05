package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// A backup file is a tar archive (readable with any tar) of:
//
//	streams/<STREAM>.json     the stream's configuration and state, as the
//	                          snapshot API gave them (sent back on restore)
//	streams/<STREAM>.tar.s2   JetStream's own snapshot of the stream
//	…                         the same for each stream backed up
//	manifest.json             what the backup holds (backupManifest), with
//	                          the SHA-256 and size of every part above
//	manifest.sha256           the SHA-256 of manifest.json
//
// The manifest comes after the parts (their checksums are known only once
// they are written) and its checksum last, so a file cut short anywhere
// lacks one of them and is refused.
const (
	backupFormat        = "landrelease-backup"
	backupFormatVersion = 1
	manifestName        = "manifest.json"
	manifestSumName     = "manifest.sha256"
	backupExt           = ".lrbak"
	backupPrefix        = "landrelease-backup-"
)

// backupManifest is manifest.json.
type backupManifest struct {
	Format            string         `json:"format"`         // backupFormat
	FormatVersion     int            `json:"format_version"` // backupFormatVersion
	EngineVersion     string         `json:"engine_version"`
	NATSServerVersion string         `json:"nats_server_version"`
	CreatedAt         time.Time      `json:"created_at"`
	Streams           []backupStream `json:"streams"`
	// IndexSnapshot says why the command handler's index file is not in
	// the backup: it is rebuilt from the history.
	IndexSnapshot string `json:"index_snapshot"`
	// Office is the JetStream domain of the provincial office backed up
	// (its outbox's), empty for a national engine's backup: restore puts
	// an office's backup back only with that office's flags.
	Office string `json:"office,omitempty"`
}

// backupStream is one stream in the manifest.
type backupStream struct {
	Name string `json:"name"`
	Role string `json:"role"` // "history", "tokens", ...
	// Sequence is the stream's last sequence in the backup; Messages its
	// message count (for the history: the events, and any quarantined
	// message). A restore checks both.
	Sequence uint64 `json:"sequence"`
	Messages uint64 `json:"messages"`
	// FirstRecordedAt and LastRecordedAt are the Lr-Recorded-At of the
	// history's first and last events (history only).
	FirstRecordedAt string       `json:"first_recorded_at,omitempty"`
	LastRecordedAt  string       `json:"last_recorded_at,omitempty"`
	Parts           []backupPart `json:"parts"`
	office          string       // an outbox's: its office's domain
}

// backupPart is one file of the archive with its checksum.
type backupPart struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

func streamInfoPath(stream string) string     { return "streams/" + stream + ".json" }
func streamSnapshotPath(stream string) string { return "streams/" + stream + ".tar.s2" }

// engineVersion is the module version and VCS revision of this build.
func engineVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return strings.TrimSpace(v)
}

// archiveWriter writes the tar of a backup into a file, each entry's data
// streamed in place: the header is written once the size is known (a USTAR
// header is one 512-byte block), so a snapshot is written once.
type archiveWriter struct {
	f   *os.File
	off int64 // end of the last complete entry
}

// entry writes one file of the archive from fill and returns its part
// record. When fill fails, the file is cut back to before the entry.
func (a *archiveWriter) entry(name string, fill func(w io.Writer) error) (backupPart, error) {
	start := a.off
	if _, err := a.f.Seek(start+512, io.SeekStart); err != nil {
		return backupPart{}, err
	}
	sum := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(a.f, sum)}
	if err := fill(cw); err != nil {
		_ = a.f.Truncate(start)
		return backupPart{}, err
	}
	if pad := (512 - cw.n%512) % 512; pad > 0 {
		if _, err := a.f.Write(make([]byte, pad)); err != nil {
			return backupPart{}, err
		}
	}
	var hb bytes.Buffer
	tw := tar.NewWriter(&hb)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: cw.n, ModTime: time.Now().UTC().Truncate(time.Second),
		Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
		return backupPart{}, err
	}
	if hb.Len() != 512 {
		return backupPart{}, fmt.Errorf("tar header of %s: %d bytes, want 512", name, hb.Len())
	}
	if _, err := a.f.WriteAt(hb.Bytes(), start); err != nil {
		return backupPart{}, err
	}
	a.off = start + 512 + cw.n + (512-cw.n%512)%512
	return backupPart{Path: name, Bytes: cw.n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// close writes the end of the archive (two zero blocks).
func (a *archiveWriter) close() error {
	if _, err := a.f.Seek(a.off, io.SeekStart); err != nil {
		return err
	}
	_, err := a.f.Write(make([]byte, 1024))
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeManifest adds manifest.json and manifest.sha256.
func (a *archiveWriter) writeManifest(m backupManifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := a.entry(manifestName, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	line := hex.EncodeToString(sum[:]) + "  " + manifestName + "\n"
	_, err = a.entry(manifestSumName, func(w io.Writer) error { _, err := io.WriteString(w, line); return err })
	return err
}

// errBackupRefused marks a backup file that is not a whole, intact
// landrelease backup.
var errBackupRefused = errors.New("backup refused")

func refused(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", errBackupRefused, path, fmt.Sprintf(format, args...))
}

// verifyBackup reads the whole file and checks it: a tar whose
// manifest.sha256 matches manifest.json, a manifest of this format, and
// every part listed, present once, of its size and SHA-256; nothing else.
// The error names what is wrong.
func verifyBackup(path string) (backupManifest, error) {
	var m backupManifest
	f, err := os.Open(path)
	if err != nil {
		return m, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	got := map[string]backupPart{}
	var manifestBytes []byte
	var sumLine string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(got) == 0 {
				return m, refused(path, "not a landrelease backup (not a tar archive: %v)", err)
			}
			return m, refused(path, "truncated or damaged after %d files (%v): the backup is incomplete", len(got), err)
		}
		if _, dup := got[h.Name]; dup {
			return m, refused(path, "holds %s twice", h.Name)
		}
		sum := sha256.New()
		var keep *bytes.Buffer
		if h.Name == manifestName || h.Name == manifestSumName {
			keep = &bytes.Buffer{}
		}
		n, err := io.Copy(io.MultiWriter(sum, writerOrDiscard(keep)), tr)
		if err != nil {
			return m, refused(path, "%s is cut short after %d of %d bytes: the backup is truncated", h.Name, n, h.Size)
		}
		got[h.Name] = backupPart{Path: h.Name, Bytes: n, SHA256: hex.EncodeToString(sum.Sum(nil))}
		switch h.Name {
		case manifestName:
			manifestBytes = keep.Bytes()
		case manifestSumName:
			sumLine = keep.String()
		}
	}
	if manifestBytes == nil {
		if !anyStreamPart(got) {
			return m, refused(path, "not a landrelease backup (no %s)", manifestName)
		}
		return m, refused(path, "no %s: the backup is truncated (cut short before its end, e.g. killed while being written or copied)", manifestName)
	}
	if sumLine == "" {
		return m, refused(path, "no %s: the backup is truncated (cut short before its end)", manifestSumName)
	}
	want, _, _ := strings.Cut(strings.TrimSpace(sumLine), " ")
	if got[manifestName].SHA256 != want {
		return m, refused(path, "%s does not match %s (SHA-256 %s, recorded %s): the file is damaged", manifestName, manifestSumName, got[manifestName].SHA256, want)
	}
	if err := json.Unmarshal(manifestBytes, &m); err != nil {
		return m, refused(path, "%s: %v", manifestName, err)
	}
	if m.Format != backupFormat {
		return m, refused(path, "not a landrelease backup (format %q)", m.Format)
	}
	if m.FormatVersion < 1 || m.FormatVersion > backupFormatVersion {
		return m, refused(path, "backup format version %d; this landrelease reads 1 to %d: use a newer landrelease", m.FormatVersion, backupFormatVersion)
	}
	listed := map[string]bool{manifestName: true, manifestSumName: true}
	history := false
	for _, s := range m.Streams {
		history = history || s.Role == "history"
		for _, p := range s.Parts {
			listed[p.Path] = true
			g, ok := got[p.Path]
			switch {
			case !ok:
				return m, refused(path, "%s is missing (listed in the manifest)", p.Path)
			case g.Bytes != p.Bytes:
				return m, refused(path, "%s has %d bytes, the manifest says %d: the file is damaged", p.Path, g.Bytes, p.Bytes)
			case g.SHA256 != p.SHA256:
				return m, refused(path, "%s: SHA-256 %s does not match the manifest's %s: the file is damaged (bit rot, a bad copy)", p.Path, g.SHA256, p.SHA256)
			}
		}
	}
	if !history {
		return m, refused(path, "the manifest lists no history stream")
	}
	for name := range got {
		if !listed[name] {
			return m, refused(path, "holds %s, which the manifest does not list", name)
		}
	}
	return m, nil
}

func writerOrDiscard(b *bytes.Buffer) io.Writer {
	if b == nil {
		return io.Discard
	}
	return b
}

func anyStreamPart(m map[string]backupPart) bool {
	for k := range m {
		if strings.HasPrefix(k, "streams/") {
			return true
		}
	}
	return false
}

// backupFiles lists the backups in dir (landrelease-backup-*.lrbak),
// oldest first (their names sort by time).
func backupFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupExt) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out, nil // os.ReadDir sorts by name
}
