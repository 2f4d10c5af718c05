package exchange

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/landrelease/landrelease/domain"
)

// GeoJSONReader reads a GeoJSON FeatureCollection one feature at a time,
// without holding the collection: each feature's properties are the columns
// of a CSV file (docs/exchange.md) and its geometry, a Polygon or
// MultiPolygon, is the geometry column. Record.Pos is the feature index,
// from 0.
type GeoJSONReader struct {
	dec    *json.Decoder
	header *Header
	n      int
	done   bool
	first  json.RawMessage // the first feature, read ahead to learn the kind
}

// NewGeoJSONReader reads up to the first feature. A "crs" member before
// "features" (where GDAL and QGIS write it) naming anything but WGS84
// longitude/latitude refuses the file with a *FileError saying to
// reproject; a geometry's own "crs" is checked with the geometry
// (domain.CheckCRS). The kind of file
// (areas or activities) is taken from the first feature's properties: one
// with an "activity" property makes an activities file. It returns a
// *FileError when the input is empty or not a FeatureCollection.
func NewGeoJSONReader(in io.Reader) (*GeoJSONReader, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	head, _ := br.Peek(3)
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(3)
	}
	dec := json.NewDecoder(br)
	g := &GeoJSONReader{dec: dec}
	notFC := func(why string) error {
		return &FileError{Problems: []Problem{{Reason: "not a GeoJSON FeatureCollection: " + why}}}
	}
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, &FileError{Problems: []Problem{{Reason: "no features: the file is empty"}}}
	}
	if err != nil {
		return nil, notFC(err.Error())
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, notFC("the file does not start with a JSON object")
	}
	sawType := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, notFC(err.Error())
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			var t string
			if err := dec.Decode(&t); err != nil || t != "FeatureCollection" {
				return nil, notFC(fmt.Sprintf("type is %q", t))
			}
			sawType = true
		case "crs":
			var crs json.RawMessage
			if err := dec.Decode(&crs); err != nil {
				return nil, notFC(err.Error())
			}
			if err := domain.CheckCRS(crs); err != nil {
				return nil, &FileError{Problems: []Problem{{Field: "crs", Reason: "the file " + err.Error()}}}
			}
		case "features":
			tok, err := dec.Token()
			if err != nil {
				return nil, notFC(err.Error())
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, notFC("features is not a list")
			}
			// The header: every known column; the kind from the first feature.
			g.header = &Header{Kind: Areas}
			if !dec.More() {
				g.done = true
			}
			return g, g.setKind()
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, notFC(err.Error())
			}
		}
	}
	if !sawType {
		return nil, notFC("no \"type\": \"FeatureCollection\"")
	}
	return nil, notFC("no \"features\" list")
}

// pending holds the first feature, read to know the file's kind.
type feature struct {
	Type       string                     `json:"type"`
	Properties map[string]json.RawMessage `json:"properties"`
	Geometry   json.RawMessage            `json:"geometry"`
}

func (g *GeoJSONReader) setKind() error {
	cols := AreaColumns
	if !g.done {
		var f feature
		raw := json.RawMessage{}
		if err := g.dec.Decode(&raw); err != nil {
			return &FileError{Problems: []Problem{{Reason: "feature 0 is not valid JSON: " + err.Error()}}}
		}
		g.first = raw
		if json.Unmarshal(raw, &f) == nil {
			if _, ok := f.Properties["activity"]; ok {
				g.header.Kind, cols = Activities, ActivityColumns
			}
		}
	}
	g.header.Names = append([]string(nil), cols...)
	g.header.index = map[string]int{}
	for i, c := range g.header.Names {
		g.header.index[c] = i
	}
	return nil
}

// Header returns the columns every record of the file is given in.
func (g *GeoJSONReader) Header() *Header { return g.header }

// Next returns the next feature as a record. A feature that is not an
// object with properties comes back as a *RecordError.
func (g *GeoJSONReader) Next() (Record, error) {
	if g.done {
		return Record{}, io.EOF
	}
	var raw json.RawMessage
	if g.first != nil {
		raw, g.first = g.first, nil
	} else {
		if !g.dec.More() {
			g.done = true
			return Record{}, io.EOF
		}
		if err := g.dec.Decode(&raw); err != nil {
			g.done = true
			return Record{Pos: g.n}, &FileError{Problems: []Problem{{Reason: fmt.Sprintf("feature %d: malformed JSON (reading stops here): %v", g.n, err)}}}
		}
	}
	pos := g.n
	g.n++
	var f feature
	if err := json.Unmarshal(raw, &f); err != nil || f.Type != "Feature" {
		why := "not a GeoJSON Feature object"
		if err != nil {
			why += ": " + err.Error()
		}
		return Record{Pos: pos}, &RecordError{Pos: pos, Problem: Problem{Reason: why}}
	}
	r := Record{Pos: pos, Values: make([]string, len(g.header.Names))}
	var unknown []string
	for k, v := range f.Properties {
		i, ok := g.header.index[k]
		if !ok || k == "geometry" {
			unknown = append(unknown, k)
			continue
		}
		s, err := propertyText(v)
		if err != nil {
			return r, &RecordError{Pos: pos, Problem: Problem{Field: k, Reason: err.Error()}}
		}
		r.Values[i] = s
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		if !contains(g.header.Ignored, k) {
			g.header.Ignored = append(g.header.Ignored, k)
		}
	}
	if i, ok := g.header.index["geometry"]; ok && len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		r.Values[i] = string(f.Geometry)
	}
	return r, nil
}

// propertyText turns a property value into the text a CSV cell would hold.
func propertyText(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return "", nil
	}
	switch v[0] {
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	case '[', '{':
		return "", errors.New("a list or object where a text or number belongs")
	default:
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
}
