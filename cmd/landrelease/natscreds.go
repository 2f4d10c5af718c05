package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

func natsCredsVerb() verb {
	return verb{
		name:    "nats-creds",
		summary: "show how to read the history with any NATS client",
		usage:   "nats-creds [--engine] [--json]",
		help: `Prints the NATS identity an outside reader uses to read the event history
from a 'serve --nats-listen' (or any verb run with --nats-listen): user
"reader", its password and the file that holds it, and how to connect with
the nats CLI and nats.go. The embedded server creates both its identities
in DATA_DIR/nats (directory 0700, files 0600) at its first start, or this
verb does if none has run yet; it runs while serve holds the data dir.

The reader may read stream LANDRELEASE (info, ordered and ephemeral
consumers, direct get) and nothing else: it cannot publish events, touch
the token bucket, or delete, purge or change the stream.

With --engine it prints the engine's identity instead, which may write:
give it to another landrelease (--nats-url with --nats-user engine
--nats-password-file) to run token, exec or state against a serving
process, and to nobody else. To change a password, delete its file and
restart (docs/security.md, "Rotating credentials").

On a --nats-url cluster the operator issues the identities
(deploy/nats/cluster.conf); this verb applies to the embedded server only.`,
		flags: func(fs *flag.FlagSet) any {
			o := &natsCredsOpts{}
			fs.BoolVar(&o.engine, "engine", false, "print the engine's identity (may write) instead of the reader's")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout: user, password, password_file, url")
			return o
		},
		run: runNATSCreds,
	}
}

type natsCredsOpts struct {
	engine, json bool
}

func runNATSCreds(_ context.Context, a *app, o any, args []string) int {
	opts := o.(*natsCredsOpts)
	if len(args) > 0 {
		fmt.Fprintf(a.stderr, "landrelease nats-creds: takes no arguments, got %q\n", args)
		return exitUsage
	}
	if a.g.natsURL != "" {
		fmt.Fprintln(a.stderr, "landrelease nats-creds: shows the embedded server's identities; on --nats-url the cluster's operator issues them (see deploy/nats/cluster.conf)")
		return exitUsage
	}
	creds, err := lrjs.EnsureCredentials(a.g.dataDir)
	if err != nil {
		return fail(a, "nats-creds", err)
	}
	id := creds.Reader
	if opts.engine {
		id = creds.Engine
	}
	file := lrjs.PasswordFile(a.g.dataDir, id.User)
	url, known := "nats://127.0.0.1:4333", false
	if a.g.natsListen != "" {
		url, known = "nats://"+a.g.natsListen, true
		if host, port, err := net.SplitHostPort(a.g.natsListen); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
			url = "nats://" + net.JoinHostPort("127.0.0.1", port)
		}
	}
	if opts.json {
		if err := json.NewEncoder(a.stdout).Encode(map[string]string{"user": id.User, "password": id.Password, "password_file": file, "url": url}); err != nil {
			return fail(a, "nats-creds", err)
		}
		return exitOK
	}
	where := "the address serve prints at start (\"embedded NATS server listening on ...\")"
	if known {
		where = url
	}
	fmt.Fprintf(a.stdout, "user:          %s\npassword:      %s\npassword file: %s\nserver:        %s\n\n", id.User, id.Password, file, where)
	pw := fmt.Sprintf(`"$(cat %s)"`, file)
	if opts.engine {
		fmt.Fprintf(a.stdout, `The engine's identity may write the history: keep it to landrelease itself.
Another landrelease against the serving process (with a data dir of its own):
  landrelease --nats-url %s --nats-user %s --nats-password-file %s --data-dir OTHER-DIR token list
`, url, id.User, file)
		return exitOK
	}
	fmt.Fprintf(a.stdout, `Read the history (stream %s, subjects lr.<country>.<kind>.<id>) with the nats CLI:
  nats --server %s --user %s --password %s stream info %s
  nats --server %s --user %s --password %s stream get %s 1
or from Go (nats.go): nats.Connect("%s", nats.UserInfo("%s", password)),
then jetstream.New(nc) and an OrderedConsumer on stream %s.
This identity reads only; it cannot publish, delete, purge or change anything.
`, lrjs.StreamName,
		url, id.User, pw, lrjs.StreamName,
		url, id.User, pw, lrjs.StreamName,
		url, id.User, lrjs.StreamName)
	return exitOK
}
