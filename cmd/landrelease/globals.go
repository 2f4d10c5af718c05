package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/landrelease/landrelease/domain/handling"
)

// globals are the global flags of docs/contract.md.
type globals struct {
	dataDir    string
	natsURL    string
	natsListen string
	db         string
	country    string
	replicas   int // 0: let the store choose (3 on a cluster of 3 or more servers, else 1)
	cacheSize  int // aggregate states the command handler keeps in memory
	// prefill is the largest history whose states the command handler
	// folds into its cache in the background after it starts
	// (handling.HandlerConfig.PrefillEvents): serve's, which runs long
	// enough to use them; 0 for the verbs that run a few commands and stop.
	prefill  uint64
	memLimit int // soft limit of the Go runtime's memory, MiB (0: none)
	nats     natsFlags
	prov     provFlags // provincial offices (province.go)
}

func defaultGlobals() globals {
	cache := handling.DefaultCacheSize
	if n, ok := handling.CacheSizeFrom(os.Getenv); ok { // LANDRELEASE_CACHE_SIZE
		cache = n
	}
	memLimit := defaultMemoryLimitMiB
	if n, ok := memoryLimitFrom(os.Getenv); ok { // LANDRELEASE_MEMORY_LIMIT
		memLimit = n
	}
	return globals{dataDir: "./landrelease-data", country: "KH", cacheSize: cache, memLimit: memLimit}
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.dataDir, "data-dir", g.dataDir, "`dir`ectory for the embedded event store and the default read-model database")
	fs.StringVar(&g.natsURL, "nats-url", g.natsURL, "external NATS `url` (server or cluster, comma-separated); empty runs an embedded server in the data dir")
	fs.StringVar(&g.natsListen, "nats-listen", g.natsListen, "expose the embedded server on `host:port` so NATS clients can read the history as user reader (see 'landrelease nats-creds'); beyond loopback it needs --nats-tls-cert or --nats-insecure-listen (default: in-process only)")
	fs.StringVar(&g.db, "db", g.db, "read-model database: a SQLite file `path` or a postgres:// DSN (default: SQLite in the data dir)")
	fs.StringVar(&g.country, "country", g.country, "ISO 3166-1 alpha-2 `code` of the programme")
	g.nats.register(fs)
	g.prov.register(fs)
	fs.IntVar(&g.cacheSize, "cache-size", g.cacheSize, "aggregate `states` the command handler keeps in memory (an area's in about 400 bytes), the least recently used evicted first and loaded again from the history when needed; the default holds every aggregate of a 100× history (550,000 areas) in about 250 MiB")
	fs.IntVar(&g.memLimit, "memory-limit", g.memLimit, "soft limit of the process's Go memory in `MiB`: near it the garbage collector runs more often instead of letting the heap grow to twice its live size (never a failure: above it the collector only works harder); 0 for none; GOMEMLIMIT, when set, wins; LANDRELEASE_MEMORY_LIMIT sets the default")
	fs.IntVar(&g.replicas, "replicas", g.replicas, "replicas of the history stream on a --nats-url cluster (1 to 5); 0 chooses 3 on a cluster of 3 or more servers, else 1, and keeps an existing stream's count; a number changes an existing stream to it")
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
	errs = append(errs, g.nats.validate(g.natsURL, g.natsListen)...)
	errs = append(errs, g.prov.validate(g)...)
	if g.cacheSize < 1 {
		errs = append(errs, fmt.Errorf("--cache-size %d: want at least 1", g.cacheSize))
	}
	if err := validMemoryLimit(g.memLimit); err != nil {
		errs = append(errs, err)
	}
	if g.replicas < 0 || g.replicas > 5 {
		errs = append(errs, fmt.Errorf("--replicas %d: want 1 to 5, or 0 to choose", g.replicas))
	} else if g.replicas > 1 && g.natsURL == "" {
		errs = append(errs, fmt.Errorf("--replicas %d needs a cluster: the embedded server is a single node (use --nats-url)", g.replicas))
	}
	return errors.Join(errs...)
}

func (g *globals) dbPath() string {
	if g.db != "" {
		return g.db
	}
	return filepath.Join(g.dataDir, "readmodel.sqlite")
}
