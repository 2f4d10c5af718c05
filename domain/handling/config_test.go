package handling_test

import (
	"errors"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
)

// A configuration out of range is refused with every problem named, not
// clamped to something the caller did not ask for.
func TestGroupCommitConfigValidates(t *testing.T) {
	if err := handling.DefaultGroupCommitConfig().Validate(); err != nil {
		t.Fatalf("the default configuration: %v", err)
	}
	cases := []struct {
		cfg    handling.GroupCommitConfig
		fields []string
	}{
		{handling.GroupCommitConfig{MaxEvents: 0, MinBatch: 0}, []string{"max_events", "min_batch", "max_in_flight"}},
		{handling.GroupCommitConfig{MaxEvents: 1001, MinBatch: 1, MaxInFlight: 1}, []string{"max_events"}},
		{handling.GroupCommitConfig{MaxEvents: 1000, MinBatch: -1, MaxInFlight: 1}, []string{"min_batch"}},
		{handling.GroupCommitConfig{MaxEvents: 1000, MinBatch: 1, MaxInFlight: 4097}, []string{"max_in_flight"}},
	}
	for _, c := range cases {
		g, err := handling.NewGroupCommit(nil, c.cfg) // refused before the store is used
		if g != nil {
			g.Close()
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.ErrInvalid || len(de.Problems) != len(c.fields) {
			t.Errorf("%+v: %v; want domain.ErrInvalid naming %v", c.cfg, err, c.fields)
			continue
		}
		for i, f := range c.fields {
			if de.Problems[i].Field != f {
				t.Errorf("%+v: problem %d names %q, want %q", c.cfg, i, de.Problems[i].Field, f)
			}
		}
	}
}

// LANDRELEASE_CACHE_SIZE, parsed by CacheSizeFrom and set with
// SetDefaultCacheSize (CI runs the spine with 4 that way), gives the
// default cache bound; a bound below 1 is refused.
func TestHandlerCacheSize(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == handling.CacheSizeEnv {
				return v
			}
			return ""
		}
	}
	if n, ok := handling.CacheSizeFrom(env("4")); !ok || n != 4 {
		t.Fatalf("CacheSizeFrom(4) = %d, %v", n, ok)
	}
	for _, v := range []string{"", "0", "-3", "many"} {
		if n, ok := handling.CacheSizeFrom(env(v)); ok {
			t.Fatalf("CacheSizeFrom(%q) = %d, accepted", v, n)
		}
	}
	was := handling.DefaultHandlerConfig().CacheSize
	defer handling.SetDefaultCacheSize(was)
	handling.SetDefaultCacheSize(4)
	if n := handling.DefaultHandlerConfig().CacheSize; n != 4 {
		t.Fatalf("cache size %d after SetDefaultCacheSize(4)", n)
	}
	handling.SetDefaultCacheSize(0)
	cfg := handling.DefaultHandlerConfig()
	if cfg.CacheSize != handling.DefaultCacheSize {
		t.Fatalf("cache size %d by default, want %d", cfg.CacheSize, handling.DefaultCacheSize)
	}
	cfg.CacheSize = 0
	var de *domain.Error
	if err := cfg.Validate(); !errors.As(err, &de) || de.Field() != "cache_size" {
		t.Fatalf("a cache of 0: %v, want a problem on cache_size", err)
	}
}
