package exchange

import (
	"errors"
	"strings"
	"testing"
)

// A FeatureCollection declaring a projected CRS (as GDAL writes it, before
// the features) is refused as a whole, saying to reproject; one declaring
// WGS84 (CRS84 or EPSG:4326) reads as usual.
func TestGeoJSONReaderChecksTheCRS(t *testing.T) {
	const features = `"features":[{"type":"Feature","properties":{"local_id":"A1"},"geometry":null}]}`
	for name, crs := range map[string]string{
		"UTM 48N":     `{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32648"}}`,
		"Indian 1960": `{"type":"name","properties":{"name":"EPSG:3148"}}`,
	} {
		_, err := NewGeoJSONReader(strings.NewReader(`{"type":"FeatureCollection","crs":` + crs + `,` + features))
		var fe *FileError
		if !errors.As(err, &fe) || fe.Problems[0].Field != "crs" || !strings.Contains(fe.Error(), "reproject the data to WGS84") {
			t.Errorf("%s: want a file error on crs saying to reproject, got %v", name, err)
		}
	}
	for _, crs := range []string{
		`{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}`,
		`{"type":"name","properties":{"name":"EPSG:4326"}}`,
		`null`,
	} {
		rd, err := NewGeoJSONReader(strings.NewReader(`{"type":"FeatureCollection","crs":` + crs + `,` + features))
		if err != nil {
			t.Fatalf("%s: %v", crs, err)
		}
		if rec, err := rd.Next(); err != nil || rd.Header().Get(rec, "local_id") != "A1" {
			t.Fatalf("%s: first feature %v, %v", crs, rec, err)
		}
	}
}
