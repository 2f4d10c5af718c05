package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// backupFlags are serve's scheduled backups.
type backupFlags struct {
	every time.Duration
	dir   string
	keep  int
}

func (b *backupFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&b.every, "backup-every", 0, "take a backup (as 'landrelease backup') every `interval`, e.g. 24h, into --backup-dir; 0: none")
	fs.StringVar(&b.dir, "backup-dir", "", "`directory` of the scheduled backups (created if missing)")
	fs.IntVar(&b.keep, "backup-keep", 14, "scheduled backups to keep in --backup-dir: the oldest beyond this `count` are deleted after a good one")
}

func (b *backupFlags) validate() error {
	var errs []error
	switch {
	case b.every < 0:
		errs = append(errs, fmt.Errorf("--backup-every %s: want a positive interval, or 0 for none", b.every))
	case b.every > 0 && b.every < time.Minute:
		errs = append(errs, fmt.Errorf("--backup-every %s: want at least 1m", b.every))
	case b.every > 0 && b.dir == "":
		errs = append(errs, errors.New("--backup-every needs --backup-dir (where to write the backups)"))
	case b.every == 0 && b.dir != "":
		errs = append(errs, errors.New("--backup-dir needs --backup-every (how often)"))
	}
	if b.keep < 1 {
		errs = append(errs, fmt.Errorf("--backup-keep %d: want at least 1", b.keep))
	}
	return errors.Join(errs...)
}

// backupStatus is what the health endpoint and the dashboard show of the
// scheduled backups: the last good one, and the last failure if it came
// after it.
type backupStatus struct {
	LastGood *backupRecord `json:"last_good,omitempty"`
	// LastError is the last attempt's failure, when it failed.
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	Every       string     `json:"every"`
	Next        time.Time  `json:"next"`
}

// backupRecord describes one backup file (its name only: the health
// endpoint is public, the directory is not its business).
type backupRecord struct {
	At       time.Time `json:"at"`
	File     string    `json:"file"`
	Bytes    int64     `json:"bytes"`
	Sequence uint64    `json:"sequence"`
	Events   uint64    `json:"events"`
	TookMS   int64     `json:"took_ms,omitempty"`
}

// backupScheduler takes serve's scheduled backups.
type backupScheduler struct {
	cfg   backupFlags
	nc    *nats.Conn
	pause sync.Locker
	mu    sync.Mutex
	st    backupStatus
}

func newBackupScheduler(cfg backupFlags, nc *nats.Conn, pause sync.Locker) (*backupScheduler, error) {
	if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
		return nil, fmt.Errorf("--backup-dir %s: %w", cfg.dir, err)
	}
	s := &backupScheduler{cfg: cfg, nc: nc, pause: pause}
	s.st.Every = cfg.every.String()
	s.st.Next = time.Now()
	// The newest backup already there counts as the last good one, and the
	// next is due one interval after it.
	if files, err := backupFiles(cfg.dir); err == nil && len(files) > 0 {
		newest := files[len(files)-1]
		if fi, err := os.Stat(newest); err == nil {
			s.st.LastGood = &backupRecord{At: fi.ModTime().UTC(), File: filepath.Base(newest), Bytes: fi.Size()}
			s.st.Next = fi.ModTime().Add(cfg.every)
		}
	}
	return s, nil
}

// Status returns the current status (for the health endpoint).
func (s *backupScheduler) Status() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	return st
}

// run takes a backup whenever one is due until ctx ends.
func (s *backupScheduler) run(ctx context.Context, stderr io.Writer) {
	for {
		s.mu.Lock()
		wait := time.Until(s.st.Next)
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(wait, 0)):
		}
		s.once(ctx, stderr)
	}
}

// once takes one backup, records it and prunes the directory.
func (s *backupScheduler) once(ctx context.Context, stderr io.Writer) {
	res, err := takeBackup(ctx, s.nc, s.pause, s.cfg.dir, time.Now())
	s.mu.Lock()
	s.st.Next = time.Now().Add(s.cfg.every)
	if err != nil {
		now := time.Now().UTC()
		s.st.LastError, s.st.LastErrorAt = err.Error(), &now
		s.mu.Unlock()
		if ctx.Err() == nil {
			fmt.Fprintf(stderr, "landrelease: scheduled backup failed: %v (next try at %s)\n", err, s.st.Next.Format(time.RFC3339))
		}
		return
	}
	rec := &backupRecord{At: res.Manifest.CreatedAt, File: filepath.Base(res.Path), Bytes: res.Bytes, TookMS: res.Took.Milliseconds()}
	for _, st := range res.Manifest.Streams {
		if st.Role == "history" {
			rec.Sequence, rec.Events = st.Sequence, st.Messages
		}
	}
	s.st.LastGood, s.st.LastError, s.st.LastErrorAt = rec, "", nil
	s.mu.Unlock()
	fmt.Fprintf(stderr, "landrelease: backup %s written (%d events, %d bytes, %s)\n", res.Path, rec.Events, res.Bytes, res.Took.Round(time.Millisecond))
	if err := pruneBackups(s.cfg.dir, s.cfg.keep); err != nil {
		fmt.Fprintf(stderr, "landrelease: pruning old backups in %s: %v\n", s.cfg.dir, err)
	}
}

// pruneBackups deletes the oldest backups of dir beyond keep, and the
// temporary files of backups that were killed (untouched for 10 minutes).
func pruneBackups(dir string, keep int) error {
	files, err := backupFiles(dir)
	if err != nil {
		return err
	}
	var errs []error
	for len(files) > keep {
		errs = append(errs, os.Remove(files[0]))
		files = files[1:]
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, "."+backupPrefix) || !strings.HasSuffix(n, ".tmp") {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 10*time.Minute {
			errs = append(errs, os.Remove(filepath.Join(dir, n)))
		}
	}
	return errors.Join(errs...)
}

// backupBackend is the API backend with the scheduled backups' status for
// the health endpoint (httpapi.BackupReporter).
type backupBackend struct {
	*apiBackend
	sched *backupScheduler
}

func (b *backupBackend) BackupStatus() any { return b.sched.Status() }
