package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/landrelease/landrelease/projections"
)

func rebuildVerb() verb {
	return verb{
		name:    "rebuild",
		summary: "drop and rebuild every projection from the event history",
		usage:   "rebuild",
		help: `Rebuilds the read model (register, statistics, audit) from the whole event
history into shadow tables and swaps them in at the end, in one
transaction: readers see the old read model until the new one is complete,
and a failed rebuild leaves the old one in place. Use it after changing the
projection code, or to check that the read model equals the history.`,
		flags: func(*flag.FlagSet) any { return nil },
		run:   runRebuild,
	}
}

func runRebuild(ctx context.Context, a *app, _ any, args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease rebuild: takes no arguments")
		return exitUsage
	}
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "rebuild", err)
	}
	rm := &readModel{engine: eng}
	defer rm.Close()
	if err := rm.openDB(ctx, a.g); err != nil {
		return fail(a, "rebuild", err)
	}
	if rm.runner, err = projections.NewRunner(rm.db, projectionConfig()); err != nil {
		return fail(a, "rebuild", err)
	}
	start := time.Now()
	if err := rm.catchUp(ctx, a.stderr, true); err != nil {
		return fail(a, "rebuild", err)
	}
	d := time.Since(start)
	n := rm.runner.Sequence()
	fmt.Fprintf(a.stdout, "rebuilt %v from %d events in %s (%.0f events/s)\n", projections.Names, n, d.Round(time.Millisecond), float64(n)/d.Seconds())
	return exitOK
}
