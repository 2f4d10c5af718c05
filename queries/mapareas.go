package queries

import "context"

// MapAreas answers the areas with a polygon of province ("" all) as the
// map draws them: ID, province, status, classification, hazard, last
// operator, remaining m², geometry and the restriction filled; the other
// fields of the documents are zero. In no particular order.
func (r *Reads) MapAreas(ctx context.Context, province string) ([]Area, error) {
	if m, ok := r.Register.(MapRegister); ok {
		rows, err := m.MapAreas(ctx, province)
		if err != nil {
			return nil, err
		}
		out := make([]Area, 0, len(rows))
		for _, row := range rows {
			if a := AreaOf(row); len(a.Geometry) > 0 {
				out = append(out, a)
			}
		}
		return out, nil
	}
	rows, err := r.Register.Areas(ctx, AreaFilter{Province: province})
	if err != nil {
		return nil, err
	}
	var out []Area
	for _, row := range rows {
		if a := AreaOf(row); len(a.Geometry) > 0 {
			out = append(out, a)
		}
	}
	return out, nil
}
