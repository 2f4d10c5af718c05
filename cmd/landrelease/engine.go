package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// engine is the wired spine: the event store (embedded or external NATS) and
// the command handler.
type engine struct {
	srv     *lrjs.Embedded // nil with --nats-url
	nc      *nats.Conn
	store   *lrjs.Store
	gate    *appendGate           // the store as the handler appends to it: a backup holds appends
	group   *handling.GroupCommit // concurrent commands share appends
	handler *handling.Handler
	lock    *dataLock  // the data dir, while the embedded server runs
	denied  chan error // permission violations on --nats-url (nil embedded)
	// alone: the embedded server is in-process only, so every message
	// stored while it runs went through this handler (its index snapshot
	// may then cover the whole history at Close).
	alone    bool
	followed atomic.Uint64 // last sequence followHistory observed
}

func openEngine(ctx context.Context, g globals, stderr io.Writer) (*engine, error) {
	e := &engine{}
	var err error
	if g.natsURL == "" {
		if err := checkDataDir(g.dataDir, 4<<10); err != nil {
			return nil, err
		}
		if mode, open := dataDirOpen(g.dataDir); open {
			fmt.Fprintf(stderr, "landrelease: data dir %s can be read by other users (mode %04o): run chmod 700 %s\n", g.dataDir, mode, g.dataDir)
		}
		if e.lock, err = lockDataDir(g.dataDir); err != nil {
			return nil, err
		}
		cfg := lrjs.DefaultEmbeddedConfig(g.dataDir)
		cfg.Listen = g.natsListen
		cfg.TLSCert, cfg.TLSKey, cfg.InsecureListen = g.nats.tlsCert, g.nats.tlsKey, g.nats.insecureListen
		if cfg.Leaf, err = g.prov.leafConfig(); err != nil {
			e.Close()
			return nil, err
		}
		if e.srv, err = lrjs.StartEmbedded(cfg); err != nil {
			e.Close()
			return nil, err
		}
		if u := e.srv.LeafURL(); u != "" {
			fmt.Fprintf(stderr, "landrelease: accepting provincial offices as leaf nodes on %s (JetStream domain %s); they authenticate as user %q, password in %s\n",
				u, g.prov.domain, lrjs.LeafUser, lrjs.PasswordFile(g.dataDir, lrjs.LeafUser))
		}
		if u := e.srv.ClientURL(); u != "" {
			// Never the password itself: start-up output ends up in logs.
			fmt.Fprintf(stderr, "landrelease: embedded NATS server listening on %s; read the history as user %q, password in %s ('landrelease nats-creds' shows how)\n",
				u, lrjs.ReaderUser, lrjs.PasswordFile(g.dataDir, lrjs.ReaderUser))
		}
		e.nc, err = e.srv.Connect()
		if err == nil && g.prov.isProvince() {
			err = openProvince(ctx, e.nc, &g.prov)
		}
	} else {
		e.nc, e.denied, err = dialNATS(g)
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	sc := lrjs.DefaultConfig()
	sc.Replicas = g.replicas
	if e.store, err = openStore(ctx, e.nc, sc, e.denied); err != nil {
		e.Close()
		return nil, err
	}
	if n := e.store.Notice(); n != "" {
		fmt.Fprintf(stderr, "landrelease: %s\n", n)
	}
	hc := handling.DefaultHandlerConfig()
	hc.Country = g.country
	hc.CacheSize = g.cacheSize
	hc.PrefillEvents = g.prefill
	hc.NewID = func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	gc := handling.DefaultGroupCommitConfig()
	gc.MaxEvents = hc.MaxBatchEvents
	e.gate = &appendGate{Store: e.store}
	if e.group, err = handling.NewGroupCommit(e.gate, gc); err != nil {
		e.Close()
		return nil, err
	}
	var hs domain.EventStore = e.group
	if g.prov.isProvince() {
		hs = provinceStore{e.store} // validates on the mirror; the national engine decides
	}
	if e.handler, err = handling.NewHandler(hs, hc); err != nil {
		e.Close()
		return nil, err
	}
	if e.srv != nil {
		// The next start reads the command index from here and scans only
		// the history stored after it (docs/security.md, Command IDs).
		e.handler.UseIndexStore(indexFile{dir: g.dataDir})
		e.alone = g.natsListen == "" && !g.prov.isProvince() && !g.prov.isNational()
	}
	return e, nil
}

// followHistory keeps the handler current with what is appended after the
// sequence Warm recorded (by other engine replicas, or by this one) until ctx ends: an
// ordered consumer from Watermark()+1 passes every event to
// Handler.Observe, so role checks, tasking checks and domain rules decide
// on what another replica wrote a moment ago, and every command ID used
// anywhere is known here. Call it after Warm, in its own goroutine; when
// the store fails it says so on stderr and resumes after the last event it
// observed, after a wait growing to 5 s.
func (e *engine) followHistory(ctx context.Context, stderr io.Writer) {
	from := e.handler.Watermark() + 1
	wait := 100 * time.Millisecond
	for {
		err := e.store.Follow(ctx, from, func(ev events.Envelope, _ uint64) error {
			e.handler.Observe(ev)
			e.followed.Store(ev.Sequence)
			from = ev.Sequence + 1
			wait = 100 * time.Millisecond
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		fmt.Fprintf(stderr, "landrelease: the command handler stopped following the history at sequence %d: %v; it resumes in %s (meanwhile refusals are still checked against the store)\n", from, err, wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// dialNATS connects to --nats-url with the credentials of the flags (or the
// nats CLI's environment variables). The first permission violation the
// server reports goes to the returned channel, so that opening the store
// with a read-only identity fails at once instead of retrying a request the
// server will never answer; later ones are printed, as nats.go would.
func dialNATS(g globals) (*nats.Conn, chan error, error) {
	opts, err := g.nats.clientOptions(g.natsURL)
	if err != nil {
		return nil, nil, err
	}
	denied := make(chan error, 1)
	opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			select {
			case denied <- err:
				return
			default:
			}
		}
		fmt.Fprintf(os.Stderr, "landrelease: NATS: %v\n", err)
	}))
	nc, err := lrjs.Dial(g.natsURL, opts...) // reconnects for ever; no publish buffered while down
	if err != nil {
		return nil, nil, fmt.Errorf("connect to --nats-url %s: %w", g.natsURL, explainNATSError(err))
	}
	return nc, denied, nil
}

// openStore opens the store on nc, giving up at the first permission
// violation on denied (nil: none can come).
func openStore(ctx context.Context, nc *nats.Conn, cfg lrjs.Config, denied <-chan error) (*lrjs.Store, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case err := <-denied:
			cancel(err)
		case <-ctx.Done():
		}
	}()
	st, err := lrjs.Open(ctx, nc, cfg)
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, nats.ErrPermissionViolation) {
		return nil, fmt.Errorf("open the event store: %w", explainNATSError(cause))
	}
	return st, err
}

// Close saves the command index snapshot, closes the connection and stops
// the embedded server.
func (e *engine) Close() {
	if e.handler != nil {
		upTo := max(e.handler.Watermark(), e.followed.Load())
		if e.alone {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if last, err := e.store.LastSequence(ctx); err == nil {
				upTo = last
			}
			cancel()
		}
		_ = e.handler.SaveIndex(upTo) // without it the next start scans more
	}
	if e.group != nil {
		e.group.Close()
	}
	if e.nc != nil {
		e.nc.Close()
	}
	if e.srv != nil {
		e.srv.Close()
	}
	e.lock.release()
}

// checkDataDir creates the data dir and proves it takes a write of size
// bytes (synced), so that a read-only, full or misnamed data dir is refused
// at start with its path and cause, before the embedded server (which would
// only time out) and before anything is written; after failed appends a
// larger probe tells a full disk, which the server reports only as a failed
// batch. Tested in datadir_test.go.
func checkDataDir(dir string, size int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil { // the history and the register: the owner's only
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	_, err = f.Write(make([]byte, size))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, err)
	}
	return nil
}

// dataDirOpen reports whether users other than the owner can enter dir:
// its mode lets group or others in, and so does every directory above its
// real path (one of ours closed to group and others, as a home or
// temporary directory of 0700, keeps them out of everything beneath it;
// one of another user's keeps out everyone but that user and us, so it
// does not count). It returns dir's permission bits.
func dataDirOpen(dir string) (os.FileMode, bool) {
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return 0, false
	}
	mode := st.Mode().Perm()
	real, err := filepath.EvalSymlinks(dir)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return mode, true
	}
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		if up, err := os.Stat(p); err == nil && up.Mode().Perm()&0o011 == 0 && ownedByUs(up) {
			return mode, false
		}
		if p == filepath.Dir(p) {
			return mode, true
		}
	}
}
