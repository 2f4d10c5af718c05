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
