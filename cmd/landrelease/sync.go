package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

func syncVerb() verb {
	return verb{
		name:    "sync",
		summary: "provincial offices: link, mirror lag and commands pending (status), or wait until synced (wait)",
		usage:   "sync status|wait [--json] [--timeout D]",
		help: `On a provincial office (--leaf): 'sync status' shows the leaf link to the
national engine, the lag of the mirror of the national history and the time
of the last contact, and the office's commands: pending (in the outbox, not
decided yet), applied (with the sequence) or refused-after-sync (with the
reason). 'sync wait' keeps the office connected until the link is up, the
mirror has caught up and no command is pending (or --timeout passes: exit
1), then prints the status: run it when the line is back.

On the national engine (--leaf-listen, --offices): the offices connected and,
for each office reachable now, the commands it has queued that are not
decided yet. The national engine decides them while 'serve' runs.

See docs/operations.md, "Provincial office".`,
		flags: func(fs *flag.FlagSet) any {
			o := &syncOpts{}
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "sync wait: give up after `duration`")
			fs.DurationVar(&o.connect, "connect-wait", 3*time.Second, "sync status: how long to wait for the leaf link to come up before reporting it down")
			return o
		},
		run: runSync,
	}
}

type syncOpts struct {
	json             bool
	timeout, connect time.Duration
}

// syncStatus is what 'sync status' reports.
type syncStatus struct {
	Office         string             `json:"office,omitempty"`
	Province       string             `json:"province,omitempty"`
	NationalDomain string             `json:"national_domain,omitempty"`
	LinkUp         bool               `json:"link_up"`
	LeafLinks      int                `json:"leaf_links"`
	MirrorLast     uint64             `json:"mirror_last_sequence"`
	NationalLast   uint64             `json:"national_last_sequence,omitempty"` // 0: not reachable
	MirrorLag      uint64             `json:"mirror_lag"`
	LastSync       *time.Time         `json:"last_sync,omitempty"` // last contact of the mirror with the national stream
	Pending        int                `json:"pending"`
	Applied        int                `json:"applied"`
	Refused        int                `json:"refused_after_sync"`
	Commands       []syncCommand      `json:"commands,omitempty"` // pending and refused ones
	Offices        []officeSyncStatus `json:"offices,omitempty"`  // national side
}

type syncCommand struct {
	CommandID string `json:"command_id"`
	Command   string `json:"command"`
	Status    string `json:"status"`
	QueuedAt  string `json:"queued_at,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

type officeSyncStatus struct {
	Domain    string `json:"domain"`
	Province  string `json:"province"`
	Reachable bool   `json:"reachable"`
	Undecided uint64 `json:"undecided"`
}

func runSync(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*syncOpts)
	if len(args) != 1 || (args[0] != "status" && args[0] != "wait") {
		fmt.Fprintln(a.stderr, "landrelease sync: want 'status' or 'wait'\nRun 'landrelease sync --help' for usage.")
		return exitUsage
	}
	p := &a.g.prov
	if !p.isProvince() && !p.isNational() {
		fmt.Fprintln(a.stderr, "landrelease sync: this is neither a provincial office (--leaf) nor a national engine serving offices (--leaf-listen, --offices); see docs/operations.md, \"Provincial office\"")
		return exitUsage
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "sync", err)
	}
	defer eng.Close()
	var st syncStatus
	if args[0] == "wait" && p.isProvince() {
		deadline := time.Now().Add(opts.timeout)
		last := time.Time{}
		for {
			st, err = provinceStatus(ctx, eng, p)
			if err == nil && st.LinkUp && st.NationalLast > 0 && st.MirrorLag == 0 && st.Pending == 0 {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				writeSyncStatus(a.stdout, st, opts.json)
				fmt.Fprintf(a.stderr, "landrelease sync wait: not synced after %s (link up: %v, mirror lag %d, %d pending)\n", opts.timeout, st.LinkUp, st.MirrorLag, st.Pending)
				return exitRefused
			}
			if time.Since(last) > 10*time.Second {
				fmt.Fprintf(a.stderr, "landrelease sync wait: link up: %v, mirror lag %d, %d command(s) pending\n", st.LinkUp, st.MirrorLag, st.Pending)
				last = time.Now()
			}
			sleepCtx(ctx, 100*time.Millisecond)
		}
	} else {
		wait := time.Now().Add(opts.connect)
		for eng.srv.LeafConnected() == 0 && time.Now().Before(wait) && ctx.Err() == nil {
			sleepCtx(ctx, 50*time.Millisecond)
		}
		if p.isProvince() {
			st, err = provinceStatus(ctx, eng, p)
		} else {
			st, err = nationalStatus(ctx, eng, a)
		}
		if err != nil {
			return fail(a, "sync", err)
		}
	}
	writeSyncStatus(a.stdout, st, opts.json)
	return exitOK
}

// provinceStatus reads the office's link, mirror and outbox.
func provinceStatus(ctx context.Context, eng *engine, p *provFlags) (syncStatus, error) {
	st := syncStatus{Office: p.domain, Province: p.province, NationalDomain: p.national(), LeafLinks: eng.srv.LeafConnected()}
	st.LinkUp = st.LeafLinks > 0
	js, err := jsOf(eng.nc)
	if err != nil {
		return st, err
	}
	ms, err := js.Stream(ctx, lrjs.StreamName)
	if err != nil {
		return st, err
	}
	info, err := ms.Info(ctx)
	if err != nil {
		return st, err
	}
	st.MirrorLast = info.State.LastSeq
	if m := info.Mirror; m != nil && m.Active >= 0 && m.Active < 365*24*time.Hour {
		t := time.Now().Add(-m.Active).UTC().Truncate(time.Second)
		st.LastSync = &t
	}
	if st.LinkUp {
		if njs, err := jetstream.NewWithDomain(eng.nc, p.national(), jetstream.WithDefaultTimeout(2*time.Second)); err == nil {
			if ns, err := njs.Stream(ctx, lrjs.StreamName); err == nil {
				st.NationalLast = ns.CachedInfo().State.LastSeq
			}
		}
	}
	if st.NationalLast > st.MirrorLast {
		st.MirrorLag = st.NationalLast - st.MirrorLast
	} else if info.Mirror != nil {
		st.MirrorLag = info.Mirror.Lag
	}
	err = eachOutboxCommand(ctx, js, func(id, name, queuedAt string) error {
		o, ok, err := readOutcome(ctx, js, p.domain, id)
		if err != nil {
			return err
		}
		c := syncCommand{CommandID: id, Command: name, Status: statusPending, QueuedAt: queuedAt}
		if ok {
			r := o.report()
			c.Status = r.Status
			if r.Error != nil {
				c.Reason = r.Error.Message
			}
		}
		switch c.Status {
		case statusPending:
			st.Pending++
		case statusApplied:
			st.Applied++
			return nil
		default:
			st.Refused++
		}
		st.Commands = append(st.Commands, c)
		return nil
	})
	return st, err
}

// eachOutboxCommand calls fn for every command in the office's outbox, in
// the order they were queued.
func eachOutboxCommand(ctx context.Context, js jetstream.JetStream, fn func(id, name, queuedAt string) error) error {
	s, err := js.Stream(ctx, lrjs.OutboxStream)
	if err != nil {
		return err
	}
	last := s.CachedInfo().State.LastSeq
	if last == 0 {
		return nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			return fmt.Errorf("read the outbox: %w", err)
		}
		meta, _ := m.Metadata()
		var w struct {
			Command string `json:"command"`
		}
		_ = json.Unmarshal(m.Data(), &w)
		subj := m.Subject()
		if err := fn(subj[strings.LastIndexByte(subj, '.')+1:], w.Command, m.Headers().Get(headerQueuedAt)); err != nil {
			return err
		}
		if meta == nil || meta.Sequence.Stream >= last {
			return nil
		}
	}
}

// nationalStatus reads, for each office, whether it is reachable and how
// many of its queued commands are not decided yet.
func nationalStatus(ctx context.Context, eng *engine, a *app) (syncStatus, error) {
	st := syncStatus{NationalDomain: a.g.prov.domain, LeafLinks: eng.srv.LeafConnected()}
	st.LinkUp = st.LeafLinks > 0
	offices, err := a.g.prov.officeList(a.g.country)
	if err != nil {
		return st, err
	}
	for _, o := range offices {
		os := officeSyncStatus{Domain: o.Domain, Province: o.Province}
		if js, err := jetstream.NewWithDomain(eng.nc, o.Domain, jetstream.WithDefaultTimeout(2*time.Second)); err == nil {
			c, err := js.Consumer(ctx, lrjs.OutboxStream, lrjs.InboxConsumer)
			if err == nil {
				info := c.CachedInfo()
				os.Reachable, os.Undecided = true, info.NumPending+uint64(info.NumAckPending)
			} else if errors.Is(err, jetstream.ErrConsumerNotFound) {
				os.Reachable = true // nothing read from it yet
				if s, err := js.Stream(ctx, lrjs.OutboxStream); err == nil {
					os.Undecided = s.CachedInfo().State.Msgs
				}
			}
		}
		st.Offices = append(st.Offices, os)
	}
	return st, nil
}

func writeSyncStatus(w io.Writer, st syncStatus, asJSON bool) {
	if asJSON {
		_ = json.NewEncoder(w).Encode(st)
		return
	}
	link := "down"
	if st.LinkUp {
		link = "up"
	}
	if st.Office == "" {
		fmt.Fprintf(w, "national engine, JetStream domain %s: %d provincial office(s) connected\n", st.NationalDomain, st.LeafLinks)
		for _, o := range st.Offices {
			if o.Reachable {
				fmt.Fprintf(w, "  %s (%s): reachable, %d command(s) not decided yet\n", o.Domain, o.Province, o.Undecided)
			} else {
				fmt.Fprintf(w, "  %s (%s): not reachable\n", o.Domain, o.Province)
			}
		}
		return
	}
	fmt.Fprintf(w, "provincial office %s (%s), national domain %s\n", st.Office, st.Province, st.NationalDomain)
	fmt.Fprintf(w, "link: %s\n", link)
	last := "not since this start"
	if st.LastSync != nil {
		last = st.LastSync.Format(time.RFC3339)
	}
	if st.NationalLast > 0 {
		fmt.Fprintf(w, "mirror: %d events, national %d, lag %d; last sync %s\n", st.MirrorLast, st.NationalLast, st.MirrorLag, last)
	} else {
		fmt.Fprintf(w, "mirror: %d events (national history not reachable now); last sync %s\n", st.MirrorLast, last)
	}
	fmt.Fprintf(w, "commands: %d pending, %d applied, %d refused after sync\n", st.Pending, st.Applied, st.Refused)
	for _, c := range st.Commands {
		if c.Reason != "" {
			fmt.Fprintf(w, "  %s %s %s: %s\n", c.CommandID, c.Status, c.Command, c.Reason)
		} else {
			fmt.Fprintf(w, "  %s %s %s (queued %s)\n", c.CommandID, c.Status, c.Command, c.QueuedAt)
		}
	}
}

// officeSyncLine is the line 'state' prints on a provincial office: when
// its mirror last heard from the national history and its commands' state.
func officeSyncLine(ctx context.Context, eng *engine, p *provFlags) string {
	st, err := provinceStatus(ctx, eng, p)
	if err != nil {
		return fmt.Sprintf("Provincial office %s: sync state unknown (%v)", p.domain, err)
	}
	last := "no contact with the national history since this start"
	if st.LastSync != nil {
		last = "last sync " + st.LastSync.Format(time.RFC3339)
	}
	return fmt.Sprintf("Provincial office %s (%s): mirror of the national history up to event %d, %s; commands: %d pending, %d applied, %d refused after sync ('landrelease sync status')",
		st.Office, st.Province, st.MirrorLast, last, st.Pending, st.Applied, st.Refused)
}

// OfficeStatus is the office's sync status for /api/v1/health and the
// dashboard (httpapi.OfficeReporter).
func (b *apiBackend) OfficeStatus(ctx context.Context) (any, bool) {
	if b.office == "" {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st, err := provinceStatus(ctx, b.rm.engine, b.prov)
	if err != nil {
		return map[string]any{"office": b.office, "error": err.Error()}, true
	}
	return st, true
}
