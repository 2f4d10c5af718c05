package main

import "github.com/landrelease/landrelease/scenarios/cambodia/boundaries"

// mapBoundaries answers the province boundaries the map draws for a
// programme's country: Cambodia's ship with the binary; other countries
// have none yet (the map then shows the areas without boundaries).
func mapBoundaries(country string) []byte {
	if country == "KH" {
		return boundaries.GeoJSON()
	}
	return nil
}
