package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/landrelease/landrelease/projections"
)

// MapAreas returns the areas with a polygon, of province ("" all), with
// only what a map draws and filters by: ID, province, status,
// classification, hazard, last operator, remaining m², geometry and the
// restriction's start; the other fields are zero. In no particular order.
// One query that skips the areas without a polygon and the columns a map
// does not use: the map's tiles read a province's areas this way, not
// through Areas.
func (s *Store) MapAreas(ctx context.Context, province string) ([]projections.AreaRow, error) {
	q := "SELECT id, province, status, classification, hazard, last_operator, remaining_m2, geometry, restricted_since FROM areas WHERE geometry IS NOT NULL"
	var args []any
	if province != "" {
		q, args = q+" AND province = ?", append(args, province)
	}
	rows, err := queryRows(ctx, s.db, s.d.bind(q), args, func(rows *sql.Rows) (projections.AreaRow, error) {
		var r projections.AreaRow
		err := rows.Scan(&r.ID, &r.Province, &r.Status, &r.Classification, &r.Hazard, &r.LastOperator, &r.RemainingM2,
			geomCol{&r.Geometry}, dateCol{&r.RestrictedSince})
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: map areas: %w", err)
	}
	return rows, nil
}
