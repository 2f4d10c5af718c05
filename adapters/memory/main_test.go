package memory_test

import (
	"os"
	"testing"

	"github.com/landrelease/landrelease/domain/handling"
)

// TestMain runs the package with the cache bound LANDRELEASE_CACHE_SIZE
// gives, if any: CI runs the spine once more with a cache of 4 states.
func TestMain(m *testing.M) {
	if n, ok := handling.CacheSizeFrom(os.Getenv); ok {
		handling.SetDefaultCacheSize(n)
	}
	os.Exit(m.Run())
}
