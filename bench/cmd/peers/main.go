// Command peers runs the peer comparison of landrelease's event store
// (see ../../README.md) and prints the table.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/landrelease/landrelease/bench/peers"
)

func main() {
	dir := flag.String("dir", "", "directory for the stores (default: a new temporary directory, removed at the end)")
	flag.Parse()
	d := *dir
	if d == "" {
		tmp, err := os.MkdirTemp("", "landrelease-peers-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(tmp)
		d = tmp
	}
	cfg := peers.DefaultConfig(d)
	cfg.Progress = os.Stderr
	rep, err := peers.Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
	fmt.Print(rep.Table())
}
