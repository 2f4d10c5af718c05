package sqlstore

import (
	"testing"

	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/projections/projectiontest"
)

func TestConformance(t *testing.T) {
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		projectiontest.Run(t, func(t *testing.T) projections.Store { return open(t) })
	})
}
