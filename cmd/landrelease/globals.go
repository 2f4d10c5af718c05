package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
)

// globals are the global flags of CONTRACT.md.
type globals struct {
	dataDir    string
	natsURL    string
	natsListen string
	db         string
	country    string
}

func defaultGlobals() globals {
	return globals{dataDir: "./landrelease-data", country: "KH"}
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.dataDir, "data-dir", g.dataDir, "`dir`ectory for the embedded event store and the default read-model database")
	fs.StringVar(&g.natsURL, "nats-url", g.natsURL, "external NATS `url` (server or cluster, comma-separated); empty runs an embedded server in the data dir")
	fs.StringVar(&g.natsListen, "nats-listen", g.natsListen, "expose the embedded server on `host:port` so any NATS client can read the history (default: in-process only)")
	fs.StringVar(&g.db, "db", g.db, "read-model database: a SQLite file `path` or a postgres:// DSN (default: SQLite in the data dir)")
	fs.StringVar(&g.country, "country", g.country, "ISO 3166-1 alpha-2 `code` of the programme")
}

func (g *globals) validate() error {
	var errs []error
	g.country = strings.ToUpper(g.country)
	if len(g.country) != 2 || strings.Trim(g.country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		errs = append(errs, fmt.Errorf("--country %q: want an ISO 3166-1 alpha-2 code such as KH", g.country))
	}
	if g.natsURL == "" && g.dataDir == "" {
		errs = append(errs, errors.New("--data-dir: required when --nats-url is empty (the embedded server stores the history there)"))
	}
	if g.natsURL != "" && g.natsListen != "" {
		errs = append(errs, errors.New("--nats-listen applies to the embedded server only; drop it or --nats-url"))
	}
	return errors.Join(errs...)
}

func (g *globals) dbPath() string {
	if g.db != "" {
		return g.db
	}
	return filepath.Join(g.dataDir, "readmodel.sqlite")
}
