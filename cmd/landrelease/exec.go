package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
)

func execVerb() verb {
	return verb{
		name:    "exec",
		summary: "apply commands from a JSON Lines file (or - for stdin)",
		usage:   "exec [--json] [--chunk N] [--max-line BYTES] FILE|-",
		help: `Applies commands, one JSON object per line:

  {"command": "CancelArea", "command_id": "0192…", "actor": "mapu:Pailin",
   "data": {"area_id": "…", "on": "2021-03-01", "method": "NTS", "reason": "…"}}

Blank lines and lines starting with # are skipped; a UTF-8 byte order mark
at the start of the file is ignored. A line longer than --max-line bytes
(16 MiB by default) is refused as a whole, naming its number and the limit,
and the lines after it are read as usual. Each command is validated
and decided against the state left by the lines before it; accepted commands
are stored in atomic batches (one write to disk for up to 1,000 events).

Prints one result line per command, in input order:
  LINE ok COMMAND command_id=… seq=… events=ID,ID
  LINE already-applied COMMAND command_id=… seq=…   (same command_id seen before: nothing written)
  LINE refused COMMAND field=… reason=…            (nothing written for that line)
A refused line does not stop the others. Exit status 1 if any line was refused.
Sizes, counts, money and dates must lie in their plausible ranges
(docs/security.md, "Plausible quantities"). A command whose event is over the
NATS server's message size limit (max_payload, 1 MiB by default) is refused
with kind=too_large, naming the largest field: only that line, never retried.
Give every command a command_id to make re-running a file safe: a command
already in the history is never applied twice.

On a provincial office (--leaf), each command is checked against the mirror
of the national history as the office's MAPU and queued for the national
engine, which decides it when the line allows:
  LINE pending COMMAND command_id=…                  (in the outbox)
  LINE applied COMMAND command_id=… seq=…            (decided nationally)
  LINE refused-after-sync COMMAND command_id=… kind=… reason=…
Run the file again, or 'landrelease sync status', to see the outcomes.`,
		flags: func(fs *flag.FlagSet) any {
			o := &execOpts{}
			fs.BoolVar(&o.json, "json", false, "print one JSON object per result line instead of text")
			fs.IntVar(&o.chunk, "chunk", 5000, "commands read and decided per round (memory bound for large files)")
			fs.IntVar(&o.maxLine, "max-line", defaultMaxLine, "longest line read, in bytes; a longer line is refused and skipped")
			return o
		},
		run: runExec,
	}
}

type execOpts struct {
	json    bool
	chunk   int
	maxLine int
}

// execLine is one input line: its number and its decoded command or error.
type execLine struct {
	n   int
	env domain.CommandEnvelope
	err error
}

func runExec(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*execOpts)
	if len(args) != 1 {
		fmt.Fprintln(a.stderr, "landrelease exec: want exactly one FILE (or - for stdin)\nRun 'landrelease exec --help' for usage.")
		return exitUsage
	}
	if opts.chunk < 1 {
		fmt.Fprintln(a.stderr, "landrelease exec: --chunk must be at least 1")
		return exitUsage
	}
	if opts.maxLine < 1 {
		fmt.Fprintln(a.stderr, "landrelease exec: --max-line must be at least 1")
		return exitUsage
	}
	in := a.stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintf(a.stderr, "landrelease exec: %v\n", err)
			return exitRefused
		}
		defer f.Close()
		in = f
	}
	// The handler's cache of states is the live heap of a long exec: grow
	// the heap half of it between collections, not all of it.
	defer replayGCPercent()()
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		fmt.Fprintf(a.stderr, "landrelease exec: %v\n", err)
		return exitRefused
	}
	defer eng.Close()
	if err := eng.handler.Warm(ctx); err != nil {
		fmt.Fprintf(a.stderr, "landrelease exec: %v\n", err)
		return exitRefused
	}
	start := time.Now()
	run := func() (execStats, error) { return execStream(ctx, eng.handler, in, a.stdout, opts) }
	if a.g.prov.isProvince() { // a provincial office queues its commands (province_exec.go)
		run = func() (execStats, error) { return provinceExec(ctx, a, eng, in, a.stdout, opts) }
	}
	stats, err := run()
	if err != nil {
		fmt.Fprintf(a.stderr, "landrelease exec: reading %s: %v\n", args[0], err)
		stats.refused++
	}
	pending := ""
	if stats.pending > 0 {
		pending = fmt.Sprintf(", %d pending (queued for the national engine)", stats.pending)
	}
	fmt.Fprintf(a.stderr, "landrelease exec: %d commands in %s: %d applied, %d already applied (nothing written), %d refused%s\n",
		stats.total(), time.Since(start).Round(time.Millisecond), stats.applied, stats.duplicate, stats.refused, pending)
	if stats.refused > 0 {
		// The server reports a full or read-only disk only as a failed
		// append ("batch is incomplete"): say what is wrong with the data dir.
		if eng.srv != nil {
			if err := checkDataDir(a.g.dataDir, 1<<20); err != nil {
				fmt.Fprintf(a.stderr, "landrelease exec: %v\n", err)
			}
		}
		return exitRefused
	}
	return exitOK
}

// execStream applies the JSON Lines commands of in, chunk by chunk, and
// writes a result line per command to w. It returns an error only when in
// cannot be read; refused commands are counted in the stats.
func execStream(ctx context.Context, h *handling.Handler, in io.Reader, w io.Writer, opts *execOpts) (execStats, error) {
	out := bufio.NewWriterSize(w, 64<<10)
	defer out.Flush()
	// Reading and decoding the next chunk overlaps with deciding and storing
	// this one (which mostly waits for the disk).
	chunks := make(chan []execLine, 1)
	var readErr error
	go func() {
		defer close(chunks)
		lr := newLineReader(in, opts.maxLine)
		lines := make([]execLine, 0, opts.chunk)
		for {
			raw, n, tooLong, err := lr.next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = fmt.Errorf("after line %d: %w", n, err)
				}
				break
			}
			var l execLine
			if tooLong {
				l = execLine{n: n, err: &domain.Error{Op: "exec", Kind: domain.ErrInvalid, Problems: []domain.Problem{{
					Reason: fmt.Sprintf("line %d is longer than the limit of %d bytes: not read (--max-line raises the limit)", n, opts.maxLine)}}}}
			} else {
				text := bytes.TrimSpace(raw)
				if len(text) == 0 || text[0] == '#' {
					continue
				}
				env, err := domain.DecodeCommand(text)
				if env.Actor == "" {
					env.Actor = localActor()
				}
				l = execLine{n: n, env: env, err: err}
			}
			lines = append(lines, l)
			if len(lines) == opts.chunk {
				select {
				case chunks <- lines:
				case <-ctx.Done():
					return
				}
				lines = make([]execLine, 0, opts.chunk)
			}
		}
		if len(lines) > 0 {
			chunks <- lines
		}
	}()
	var stats execStats
	for lines := range chunks {
		stats.add(applyChunk(ctx, h, lines, out, opts.json))
		out.Flush()
	}
	return stats, readErr
}

type execStats struct{ applied, duplicate, refused, pending int } // pending: a provincial office's queued commands

func (s *execStats) add(o execStats) {
	s.applied += o.applied
	s.duplicate += o.duplicate
	s.refused += o.refused
	s.pending += o.pending
}
func (s execStats) total() int { return s.applied + s.duplicate + s.refused + s.pending }

// applyChunk decides and stores the decodable lines as one bulk run and
// prints every line's result in input order.
func applyChunk(ctx context.Context, h *handling.Handler, lines []execLine, w io.Writer, asJSON bool) execStats {
	var st execStats
	envs := make([]domain.CommandEnvelope, 0, len(lines))
	for _, l := range lines {
		if l.err == nil {
			envs = append(envs, l.env)
		}
	}
	outcomes := h.HandleBatch(ctx, envs, nil)
	k := 0
	enc := json.NewEncoder(w)
	for _, l := range lines {
		o := domain.Outcome{Err: l.err}
		if l.err == nil {
			o = outcomes[k]
			k++
		}
		r := domain.Report(l.n, l.env, o)
		switch r.Status {
		case domain.StatusOK:
			st.applied++
		case domain.StatusAlreadyApplied:
			st.duplicate++
		default:
			st.refused++
		}
		if asJSON {
			_ = enc.Encode(r)
			continue
		}
		writeResultText(w, r)
	}
	return st
}

func writeResultText(w io.Writer, r domain.CommandReport) {
	name := r.Command
	if name == "" {
		name = "-"
	}
	switch r.Status {
	case domain.StatusOK:
		fmt.Fprintf(w, "%d ok %s command_id=%s seq=%d events=%s\n", r.Line, name, r.CommandID, r.Sequence, strings.Join(r.EventIDs, ","))
	case domain.StatusAlreadyApplied:
		fmt.Fprintf(w, "%d already-applied %s command_id=%s seq=%d (nothing written)\n", r.Line, name, r.CommandID, r.Sequence)
	default:
		e := r.Error
		if len(e.Problems) == 0 {
			fmt.Fprintf(w, "%d refused %s kind=%s reason=%q\n", r.Line, name, e.Kind, e.Message)
			return
		}
		for _, p := range e.Problems {
			fmt.Fprintf(w, "%d refused %s kind=%s field=%s reason=%q\n", r.Line, name, e.Kind, orDash(p.Field), p.Reason)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// localActor is the actor of a command sent from the command line without
// one: "cli:" and the operating-system user, so that every event says who.
var localActor = sync.OnceValue(func() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
})
