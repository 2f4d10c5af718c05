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
		return storetest.GroupCommit(t, memory.New(), 0)
	})
}
