package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit statuses of docs/contract.md.
const (
	exitOK      = 0
	exitRefused = 1 // a command or input was refused
	exitUsage   = 2
)

// verb is one CLI verb: its own file holds its help text and run function.
type verb struct {
	name    string
	summary string
	usage   string // the synopsis after "landrelease"
	help    string // longer help text
	flags   func(fs *flag.FlagSet) any
	run     func(ctx context.Context, a *app, opts any, args []string) int
}

// verbs is the table of verbs, one per file, built once at start.
var verbs = func() map[string]verb {
	m := map[string]verb{}
	for _, v := range []verb{execVerb(), stateVerb(), statsVerb(), auditVerb(), rebuildVerb(), forecastVerb(), backtestVerb(), article5PlanVerb(), workplanVerb(), scenarioVerb(), demoVerb(), importVerb(), exportVerb(), qualityVerb(), benchVerb(), reportVerb(), serveVerb(), tokenVerb(), natsCredsVerb(), syncVerb(), backupVerb(), restoreVerb()} {
		m[v.name] = v
	}
	return m
}()

// app holds what every verb may use.
type app struct {
	g      globals
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

const mainHelp = `landrelease: event-sourced planning and tasking for national mine action.

Every decision is a command; accepted commands become events on NATS
JetStream, the one source of truth.

Usage:
  landrelease [global flags] <verb> [flags] [arguments]

Verbs:
%s
Global flags (before or after the verb):
%s
Run 'landrelease <verb> --help' for a verb's flags.
Exit status: 0 ok, 1 a command or input was refused, 2 usage error.
`

// Main runs the CLI and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, g: defaultGlobals()}
	gfs := flag.NewFlagSet("landrelease", flag.ContinueOnError)
	gfs.SetOutput(io.Discard)
	a.g.register(gfs)
	if err := gfs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printMainHelp(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "landrelease: %v\nRun 'landrelease --help' for usage.\n", err)
		return exitUsage
	}
	rest := gfs.Args()
	if len(rest) == 0 {
		printMainHelp(stderr)
		return exitUsage
	}
	name := rest[0]
	if name == "help" {
		if len(rest) > 1 {
			if v, ok := verbs[rest[1]]; ok {
				printVerbHelp(stdout, v, a)
				return exitOK
			}
		}
		printMainHelp(stdout)
		return exitOK
	}
	v, ok := verbs[name]
	if !ok {
		fmt.Fprintf(stderr, "landrelease: unknown verb %q; one of %s\nRun 'landrelease --help' for usage.\n", name, strings.Join(verbNames(), ", "))
		return exitUsage
	}
	fs := flag.NewFlagSet("landrelease "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.g.register(fs)
	var opts any
	if v.flags != nil {
		opts = v.flags(fs)
	}
	if err := parseInterspersed(fs, rest[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printVerbHelp(stdout, v, a)
			return exitOK
		}
		fmt.Fprintf(stderr, "landrelease %s: %v\nRun 'landrelease %s --help' for usage.\n", name, err, name)
		return exitUsage
	}
	if err := a.g.validate(); err != nil {
		fmt.Fprintf(stderr, "landrelease %s: %v\n", name, err)
		return exitUsage
	}
	applyMemoryLimit(a.g.memLimit)
	return v.run(ctx, a, opts, fs.Args())
}

func verbNames() []string {
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func printMainHelp(w io.Writer) {
	var vb strings.Builder
	for _, n := range verbNames() {
		fmt.Fprintf(&vb, "  %-10s %s\n", n, verbs[n].summary)
	}
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	g := defaultGlobals()
	g.register(fs)
	fmt.Fprintf(w, mainHelp, vb.String(), flagDefaults(fs))
}

func printVerbHelp(w io.Writer, v verb, a *app) {
	fmt.Fprintf(w, "Usage: landrelease %s\n\n%s\n", v.usage, strings.TrimSpace(v.help))
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	if v.flags != nil {
		v.flags(fs)
		if d := flagDefaults(fs); d != "" {
			fmt.Fprintf(w, "\nFlags:\n%s", d)
		}
	}
	gfs := flag.NewFlagSet("", flag.ContinueOnError)
	g := defaultGlobals()
	g.register(gfs)
	fmt.Fprintf(w, "\nGlobal flags:\n%s", flagDefaults(gfs))
}

func flagDefaults(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

// parseInterspersed parses flags wherever they stand among the arguments
// ("scenario compare --json a.yaml" as well as "scenario --json compare
// a.yaml"); after "--" everything is an argument.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// writeJSON writes v as the one indented JSON document of a --json output.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
