package memory_test

import (
	"testing"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) domain.EventStore { return memory.New() })
}

func TestConformanceGroupCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.EventStore {
		g := domain.NewGroupCommit(memory.New(), 1000)
		t.Cleanup(g.Close)
		return g
	})
}
