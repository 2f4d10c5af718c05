package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/landrelease/landrelease/adapters/httpapi"
	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

func tokenVerb() verb {
	return verb{
		name:    "token",
		summary: "create, list and revoke API tokens",
		usage:   "token create --role ROLE --name NAME | token list | token revoke NAME",
		help: `Manages the API's tokens. A token is shown once, when created; only its
SHA-256 is kept, with its name and role, in the JetStream key-value bucket
LANDRELEASE_TOKENS, so every serve replica sees a revocation at once.

  create --role ROLE --name NAME   prints a new token
  list                             names, roles, dates (never the tokens)
  revoke NAME                      refuses the token from now on

Names are unique, ignoring case, and never reused, even after a revocation
(the name is the actor of the holder's events): creating a name that exists,
even at the same moment on another replica, is refused with a conflict that
names the existing token.

Roles: admin (everything, and tokens), planner (national commands and
scenarios), mapu:<province> (commands and work plans of its province),
operator:<name> (survey and clearance results on areas tasked to it),
analyst (read only). See docs/api.md.

With the embedded server, run it while serve is stopped (the data dir is
in use), or create tokens through the API (POST /api/v1/tokens, admin).`,
		flags: func(fs *flag.FlagSet) any {
			o := &tokenOpts{}
			fs.StringVar(&o.role, "role", "", "`role` of the new token: admin, planner, analyst, mapu:<province>, operator:<name>")
			fs.StringVar(&o.name, "name", "", "`name` of the new token's holder (recorded as the actor of their commands)")
			fs.BoolVar(&o.json, "json", false, "one JSON document on stdout")
			return o
		},
		run: runToken,
	}
}

type tokenOpts struct {
	role, name string
	json       bool
}

func runToken(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*tokenOpts)
	if len(args) == 0 {
		fmt.Fprintln(a.stderr, "landrelease token: want create, list or revoke\nRun 'landrelease token --help' for usage.")
		return exitUsage
	}
	switch {
	case args[0] == "create" && len(args) == 1:
		if opts.role == "" || opts.name == "" {
			fmt.Fprintln(a.stderr, "landrelease token create: --role and --name are required")
			return exitUsage
		}
	case args[0] == "list" && len(args) == 1:
	case args[0] == "revoke" && len(args) == 2:
	default:
		fmt.Fprintf(a.stderr, "landrelease token: want 'create --role ROLE --name NAME', 'list' or 'revoke NAME', got %q\n", args)
		return exitUsage
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "token", err)
	}
	defer eng.Close()
	bucket, err := lrjs.OpenBucket(ctx, eng.nc, lrjs.TokensBucket, eng.replicas())
	if err != nil {
		return fail(a, "token", err)
	}
	tokens := httpapi.NewTokens(bucket, a.g.country)
	switch args[0] {
	case "create":
		token, info, err := tokens.Create(ctx, opts.name, opts.role)
		if err != nil {
			return fail(a, "token create", err)
		}
		if opts.json {
			return jsonOrFail(a, "token", map[string]any{"token": token, "name": info.Name, "role": info.Role, "created_at": info.CreatedAt})
		}
		fmt.Fprintln(a.stdout, token)
		fmt.Fprintf(a.stderr, "landrelease token: created %q with role %s; this token is shown once: keep it secret\n", info.Name, info.Role)
	case "list":
		list, err := tokens.List(ctx)
		if err != nil {
			return fail(a, "token list", err)
		}
		if opts.json {
			return jsonOrFail(a, "token", map[string]any{"tokens": list})
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "name\trole\tcreated\trevoked")
		for _, t := range list {
			revoked := "-"
			if t.RevokedAt != nil {
				revoked = t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Role, t.CreatedAt.Format(time.RFC3339), revoked)
		}
		tw.Flush()
	case "revoke":
		info, err := tokens.Revoke(ctx, args[1])
		if err != nil {
			return fail(a, "token revoke", err)
		}
		if opts.json {
			return jsonOrFail(a, "token", info)
		}
		fmt.Fprintf(a.stderr, "landrelease token: %q (%s) is revoked\n", info.Name, info.Role)
	}
	return exitOK
}

func jsonOrFail(a *app, verb string, v any) int {
	if err := writeJSON(a.stdout, v); err != nil {
		return fail(a, verb, err)
	}
	return exitOK
}
