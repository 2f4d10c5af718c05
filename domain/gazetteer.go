package domain

import (
	"strings"

	"github.com/landrelease/landrelease/events"
)

// provinces is the gazetteer of first-level divisions, by English name, for
// the countries landrelease knows. A country missing here accepts any name.
var provinces = map[string][]string{
	"KH": {
		"Banteay Meanchey", "Battambang", "Kampong Cham", "Kampong Chhnang", "Kampong Speu",
		"Kampong Thom", "Kampot", "Kandal", "Kep", "Koh Kong", "Kratie", "Mondulkiri",
		"Oddar Meanchey", "Pailin", "Phnom Penh", "Preah Sihanouk", "Preah Vihear", "Prey Veng",
		"Pursat", "Ratanakiri", "Siem Reap", "Stung Treng", "Svay Rieng", "Takeo", "Tbong Khmum",
	},
}

// Provinces lists the gazetteer's provinces of a country (nil if unknown).
func Provinces(country string) []string { return provinces[strings.ToUpper(country)] }

// CanonicalProvince returns the gazetteer's spelling of name in country,
// matched without regard to case; any name is accepted for a country
// without a gazetteer.
func CanonicalProvince(country, name string) (string, bool) {
	list := Provinces(country)
	if list == nil {
		return name, name != ""
	}
	for _, p := range list {
		if strings.EqualFold(p, name) {
			return p, true
		}
	}
	return "", false
}

func knownProvince(c Context, field, name string) error {
	list := Provinces(c.Country)
	if list == nil || events.Contains(list, name) {
		return nil
	}
	for _, p := range list {
		if strings.EqualFold(p, name) {
			return Errorf(ErrInvalid, field, "unknown province %q: did you mean %q?", name, p)
		}
	}
	return Errorf(ErrInvalid, field, "unknown province %q in %s; one of %s", name, c.Country, strings.Join(list, ", "))
}

// Bounds is a longitude/latitude box in WGS84 degrees.
type Bounds struct{ MinLon, MinLat, MaxLon, MaxLat float64 }

// Contains reports whether the position lies in the box, edges included.
func (b Bounds) Contains(lon, lat float64) bool {
	return lon >= b.MinLon && lon <= b.MaxLon && lat >= b.MinLat && lat <= b.MaxLat
}

// countryBounds is each known country's bounding box with a margin of
// about 0.1° (11 km) for border areas and imprecise surveys. Cambodia:
// longitude 102.33 (Koh Kong) to 107.63 (Mondulkiri), latitude 9.91 (the
// Poulo Wai islands) to 14.69 (Oddar Meanchey).
var countryBounds = map[string]Bounds{
	"KH": {MinLon: 102.2, MinLat: 9.8, MaxLon: 107.75, MaxLat: 14.8},
}

// CountryBounds returns the bounding box every hazard area of country
// must lie in; false for a country without one (any position accepted).
func CountryBounds(country string) (Bounds, bool) {
	b, ok := countryBounds[strings.ToUpper(country)]
	return b, ok
}
