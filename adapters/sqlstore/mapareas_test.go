package sqlstore

import (
	"context"
	"testing"
)

// MapAreas answers the areas that Areas gives with a geometry (of a
// province, or all), with the fields a map draws equal to Areas', on either
// database.
func TestMapAreas(t *testing.T) {
	h := genHistory(6, 300)
	backends(t, func(t *testing.T, open func(testing.TB) *Store) {
		s := open(t)
		fold(t, s, h, 500)
		ctx := context.Background()
		for _, province := range []string{"", "Pailin"} {
			all, err := s.Areas(ctx, AreaFilter{Province: province})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.MapAreas(ctx, province)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]int{}
			for i, r := range got {
				byID[r.ID.String()] = i
			}
			want := 0
			for _, a := range all {
				i, ok := byID[a.ID.String()]
				if len(a.Geometry) == 0 {
					if ok {
						t.Errorf("MapAreas(%q) has %s, which has no geometry", province, a.ID)
					}
					continue
				}
				want++
				if !ok {
					t.Errorf("MapAreas(%q) lacks %s", province, a.ID)
					continue
				}
				r := got[i]
				if r.Province != a.Province || r.Status != a.Status || r.Classification != a.Classification || r.Hazard != a.Hazard ||
					r.LastOperator != a.LastOperator || r.RemainingM2 != a.RemainingM2 || string(r.Geometry) != string(a.Geometry) ||
					r.RestrictedSince != a.RestrictedSince {
					t.Errorf("MapAreas(%q): %+v, Areas has %+v", province, r, a)
				}
			}
			if len(got) != want || want == 0 {
				t.Errorf("MapAreas(%q): %d areas, Areas has %d with a geometry", province, len(got), want)
			}
		}
	})
}
