// Command landrelease is the event-sourced planning and tasking engine for
// national mine action programmes. See README.md, or run landrelease --help.
package main

import (
	"context"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// LANDRELEASE_PPROF=127.0.0.1:6060 serves net/http/pprof while the
	// command runs, to profile a long rebuild or import.
	if addr := os.Getenv("LANDRELEASE_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
