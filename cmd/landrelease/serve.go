package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/landrelease/landrelease/adapters/bus"
	"github.com/landrelease/landrelease/adapters/dashboard/i18n"
	"github.com/landrelease/landrelease/adapters/httpapi"
	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
)

func serveVerb() verb {
	return verb{
		name:    "serve",
		summary: "the HTTP API and the dashboard, with the projections kept live",
		usage:   "serve [--http ADDR] [--insecure-local] [--bus local|nats] [--basemap FILE.mbtiles]",
		help: `Serves the HTTP API under /api/v1/ (docs/api.md; the OpenAPI document is at
/api/v1/openapi.json) and the dashboard at /, from one process. The
projections follow the event history live: a command accepted through the
API is visible in the reads within a second, and at once for a read that
passes ?min_sequence=N (the "sequence" of the command's answer).
On a history of more than 100,000 events serve listens at once and gets
its read model ready in the background (loading it takes seconds, building
one after a large exec or import minutes): commands are accepted
meanwhile, reads answer 503 with what it is doing and Retry-After, and
/api/v1/health shows it under "read_model" (docs/operations.md).

Every request needs 'Authorization: Bearer <token>'; make tokens with
'landrelease token create --role ROLE --name NAME' (roles: admin, planner,
mapu:<province>, operator:<name>, analyst). --insecure-local serves
without tokens, everyone acting as the admin "local", on a loopback
address only; it says so at start, and answers only requests addressed to
localhost, 127.0.0.1 or [::1] (against DNS rebinding).

A POST must send its body as Content-Type: application/json (or, for a
batch of commands, application/x-ndjson); a POST or DELETE that carries an
Origin header must come from the server's own pages. So a web page of
another site cannot make a browser send commands. See docs/security.md.

Commands go through the command bus: in process by default, or over the
NATS work queue LANDRELEASE_COMMANDS with --bus nats (the default with
--nats-url), so that several serve replicas on one cluster share the work.
--backup-every 24h --backup-dir DIR --backup-keep 14 takes a backup (as
'landrelease backup DIR') every 24 hours, the first at start unless DIR
holds one younger than that, and keeps the newest 14; the health endpoint
(/api/v1/health, "backup") and the dashboard show the last good one and
any failure since. The history's snapshot holds this server's appends for
its duration (commands wait, reads go on); see docs/operations.md.
The map page draws the province boundaries (Cambodia's ship with the
binary) and the areas; --basemap FILE adds an offline basemap from an
MBTiles archive you supply (for example one your GIS unit exported), served
from this machine: nothing is fetched from the internet. PMTiles archives
are not read (convert one to MBTiles with the pmtiles tool first).

Stop with Ctrl-C: requests in flight finish first.`,
		flags: func(fs *flag.FlagSet) any {
			o := &serveOpts{}
			fs.StringVar(&o.http, "http", "127.0.0.1:8080", "listen on `host:port` (port 0 picks a free one)")
			fs.BoolVar(&o.insecureLocal, "insecure-local", false, "serve without tokens, as admin, on a loopback address only")
			fs.StringVar(&o.bus, "bus", "", "command bus: `local` (in process) or nats (shared by replicas); default nats with --nats-url, else local")
			fs.BoolVar(&o.verbose, "verbose", false, "log every request on stderr")
			o.backup.register(fs)
			fs.StringVar(&o.basemap, "basemap", "", "an offline basemap for the map page: an MBTiles `file` (raster png/jpg/webp or vector pbf tiles), served at /api/v1/map/basemap/")
			return o
		},
		run: runServe,
	}
}

type serveOpts struct {
	http          string
	insecureLocal bool
	bus           string
	verbose       bool
	backup        backupFlags // scheduled backups (backupschedule.go)
	basemap       string
	// ready, if set (tests), gets the base URL once the server listens.
	ready func(url string)
}

func runServe(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*serveOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease serve: takes no arguments")
		return exitUsage
	}
	if opts.bus == "" {
		opts.bus = "local"
		if a.g.natsURL != "" {
			opts.bus = "nats"
		}
	}
	if opts.bus != "local" && opts.bus != "nats" {
		fmt.Fprintf(a.stderr, "landrelease serve: --bus %q: want local or nats\n", opts.bus)
		return exitUsage
	}
	if err := opts.backup.validate(); err != nil {
		fmt.Fprintf(a.stderr, "landrelease serve: %v\n", err)
		return exitUsage
	}
	if err := serve(ctx, a, opts); err != nil {
		return fail(a, "serve", err)
	}
	return exitOK
}

// serve runs the API until ctx ends.
func serve(ctx context.Context, a *app, opts *serveOpts) error {
	ln, err := net.Listen("tcp", opts.http)
	if err != nil {
		return fmt.Errorf("--http %s: %w", opts.http, err)
	}
	defer ln.Close()
	if opts.insecureLocal {
		if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
			return fmt.Errorf("--insecure-local serves without tokens and is allowed on a loopback address only (such as 127.0.0.1:8080), not %s", opts.http)
		}
	}
	a.g.prefill = handling.DefaultPrefillEvents // the first command on each aggregate need not load it
	rm, err := openReadModelBehind(ctx, a, buildBehind())
	if err != nil {
		return err
	}
	defer rm.Close()
	rm.fromScratch = rm.buildTo > 0 && rm.buildFrom == 0 && rm.buildTo > rebuildAbove()
	if rm.buildTo-rm.buildFrom > buildBehind() {
		// The read model is built in the background: the handler's cache
		// fills on demand rather than by a second fold of the history
		// beside the build's (a 10× first start peaked 30-40 MB higher).
		rm.handler.SetPrefill(0)
	}
	if err := rm.handler.Warm(ctx); err != nil {
		return err
	}
	// Other replicas write to the same history: the handler follows it so
	// that it decides on current state (docs/security.md).
	observe, stopObserve := context.WithCancel(ctx)
	observed := make(chan struct{})
	go func() {
		defer close(observed)
		rm.followHistory(observe, a.stderr)
	}()
	defer func() { stopObserve(); <-observed }()
	// The national engine decides the provincial offices' commands
	// (decide_offices.go).
	if offices, _ := a.g.prov.officeList(a.g.country); len(offices) > 0 {
		decided := make(chan struct{})
		go func() {
			defer close(decided)
			decideOffices(observe, rm.nc, rm.handler, a.g.country, offices, a.stderr)
		}()
		defer func() { stopObserve(); <-decided }()
	}
	bcfg := bus.DefaultConfig()
	if opts.bus == "nats" {
		bcfg.Transport, bcfg.Conn, bcfg.StreamReplicas = bus.TransportNATS, rm.nc, rm.replicas()
	}
	counted := &countingHandler{h: rm.handler}
	b, err := bus.New(ctx, bcfg, counted)
	if err != nil {
		return fmt.Errorf("command bus: %w", err)
	}
	defer b.Close()
	bucket, err := lrjs.OpenBucket(ctx, rm.nc, lrjs.TokensBucket, rm.replicas())
	if err != nil {
		return err
	}
	backend := newAPIBackend(rm, b, a.g.country)
	if a.g.prov.isProvince() {
		backend.office, backend.prov = a.g.prov.domain, &a.g.prov
	}
	backend.handled = &counted.n
	if rm.buildTo > 0 {
		// A large history: commands are accepted at once, the read model
		// loads (and catches up, or is built) meanwhile.
		behind := rm.buildTo - rm.buildFrom
		switch {
		case rm.fromScratch:
			fmt.Fprintf(a.stderr, "landrelease: the read model is %d events behind the history: building it in the background (from scratch, as 'landrelease rebuild' does); reads of it answer 503 (retry) until it is done, commands are accepted now\n", behind)
		case behind > buildBehind():
			from := "from its checkpoint"
			if rm.buildFrom == 0 {
				from = "from the first event"
			}
			fmt.Fprintf(a.stderr, "landrelease: the read model is %d events behind the history: building it in the background (%s); reads of it answer 503 (retry) until it is done, commands are accepted now\n", behind, from)
		default:
			fmt.Fprintf(a.stderr, "landrelease: loading the read model (%d events, %d behind) in the background; reads of it answer 503 (retry) until it is loaded, commands are accepted now\n", rm.buildTo, behind)
		}
		restoreGC := replayGCPercent()
		backend.buildFrom, backend.buildTo, backend.buildStart = rm.buildFrom, rm.buildTo, time.Now()
		backend.onBuilt = func() {
			restoreGC()
			fmt.Fprintf(a.stderr, "landrelease: read model ready in %s (%d events)\n", time.Since(backend.buildStart).Round(100*time.Millisecond), rm.buildTo)
		}
	}
	follow, stopFollow := context.WithCancel(ctx)
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		if backend.buildTo > 0 {
			if rm.fromScratch {
				backend.rebuild(follow, a.stderr) // nothing projected yet: a rebuild is the faster build
			}
			backend.catchUp(follow, a.stderr)
		}
		backend.follow(follow, a.stderr)
	}()
	defer func() { stopFollow(); <-followed }()

	var api httpapi.Backend = backend
	if opts.backup.every > 0 {
		sched, err := newBackupScheduler(opts.backup, rm.nc, rm.gate)
		if err != nil {
			return err
		}
		api = &backupBackend{apiBackend: backend, sched: sched}
		backups, stopBackups := context.WithCancel(ctx)
		backedUp := make(chan struct{})
		go func() {
			defer close(backedUp)
			sched.run(backups, a.stderr)
		}()
		defer func() { stopBackups(); <-backedUp }()
	}

	var basemap httpapi.Basemap
	if opts.basemap != "" {
		m, err := openMBTiles(ctx, opts.basemap)
		if err != nil {
			return err
		}
		defer m.Close()
		basemap = m
	}
	level := slog.LevelWarn
	if opts.verbose {
		level = slog.LevelDebug
	}
	srv := httpapi.New(httpapi.Config{
		Country:       a.g.country,
		InsecureLocal: opts.insecureLocal,
		Boundaries:    mapBoundaries(a.g.country),
		Basemap:       basemap,
		Languages:     i18n.Languages,
		Building:      backend.building,
		Log:           slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level})),
	}, api, httpapi.NewTokens(bucket, a.g.country), dashboardHandler())
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(a.stderr, "landrelease: serving the API at %s/api/v1/ and the dashboard at %s/ (bus: %s)\n", url, url, opts.bus)
	if opts.insecureLocal {
		fmt.Fprintln(a.stderr, "landrelease: WARNING: --insecure-local: no token is asked; every request acts as the admin \"local\". For this machine only.")
	}
	if opts.ready != nil {
		opts.ready(url)
	}
	err = srv.Serve(ctx, ln)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	fmt.Fprintln(a.stderr, "landrelease: stopped serving")
	return err
}

// countingHandler counts the commands this replica handles from the bus.
type countingHandler struct {
	h *handling.Handler
	n atomic.Int64
}

func (c *countingHandler) Handle(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error) {
	c.n.Add(1)
	return c.h.Handle(ctx, env)
}

// replicas is the replica count for the streams and buckets the serve verb
// creates besides the event stream: the event stream's own.
func (e *engine) replicas() int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := e.store.JetStream().Stream(ctx, e.store.StreamName())
	if err != nil {
		return 1
	}
	return max(1, st.CachedInfo().Config.Replicas)
}

// buildBehindEnv overrides buildInBackgroundAbove (events; tests use a
// small history), and with it how far behind the history a read model is
// said to be built rather than loaded.
const buildBehindEnv = "LANDRELEASE_SERVE_BUILD_ABOVE"

// rebuildAbove is the size of a history (events) above which serve builds
// a read model that holds nothing yet the way 'landrelease rebuild' does
// (shadow tables, indexes at the swap) rather than by catching up from the
// first event: at 100× (2.5 million events) the rebuild took the first
// page from 266–397 s to 138 s and the peak from 2,113 to 1,576 MiB, at
// 10× it was faster (8.7 against 14.9 s) but peaked higher (411–425
// against 390 MiB, the shadow tables' buffers and index builds), so below
// half a million events the catch-up builds. rebuildAboveEnv overrides it.
const serveRebuildAbove = 500_000

const rebuildAboveEnv = "LANDRELEASE_SERVE_REBUILD_ABOVE"

func rebuildAbove() uint64 { return envEvents(rebuildAboveEnv, serveRebuildAbove) }

func buildBehind() uint64 { return envEvents(buildBehindEnv, buildInBackgroundAbove) }

// envEvents reads a count of events from the environment variable name, or
// answers def when it is unset or not a count.
func envEvents(name string, def uint64) uint64 {
	if v, err := strconv.ParseUint(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}
