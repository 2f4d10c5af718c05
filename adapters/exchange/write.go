package exchange

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/landrelease/landrelease/projections"
)

// AreaRecord returns the areas-file values of a register row, in the order
// of AreaColumns, in m²; the geometry in RFC 7946 order (RFC7946Geometry)
// and crs EPSG:4326. local_id is the area's UUID, so that importing the
// export gives back the same IDs. The read model keeps how much evidence an
// area has, direct or not, but not its kinds: direct evidence is written as
// DEVICE_FOUND and indirect as OTHER, which keeps the counts and the split.
func AreaRecord(a projections.AreaRow) []string {
	ev := make([]string, 0, a.EvidenceCount)
	for i := 0; i < a.EvidenceCount; i++ {
		if i < a.DirectEvidence {
			ev = append(ev, "DEVICE_FOUND")
		} else {
			ev = append(ev, "OTHER")
		}
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	cas := ""
	if a.CasualtiesLast5y != 0 {
		cas = strconv.Itoa(a.CasualtiesLast5y)
	}
	geom := ""
	if len(a.Geometry) > 0 && string(a.Geometry) != "null" {
		geom = string(RFC7946Geometry(a.Geometry))
	}
	var since, until, why string
	if a.Restricted() && a.RemainingM2 > 0 { // a restriction of released land is moot
		since, why = a.RestrictedSince.String(), a.RestrictionReason
		if !a.RestrictedUntil.IsZero() {
			until = a.RestrictedUntil.String()
		}
	}
	last := a.LastActivityOn.String()
	if a.RemainingM2 == a.SizeM2 {
		last = "" // nothing released: no release date to carry
	}
	return []string{
		a.ID.String(), a.Province, a.District, a.Commune, a.Village, a.Hazard, a.Classification,
		i64(a.SizeM2), i64(a.RemainingM2), "m2", strings.Join(ev, ";"), a.Status, a.RegisteredOn.String(),
		a.Source, a.LastOperator, a.LandUse, cas, strconv.FormatBool(a.CommunityRequest),
		i64(a.CancelledNTSM2), i64(a.CancelledDeskM2), i64(a.ReducedM2), i64(a.ClearedM2),
		last, geom, enteredOn(a), i64(a.ReopenedM2),
		strconv.Itoa(a.APMinesDestroyed), strconv.Itoa(a.ATMinesDestroyed), strconv.Itoa(a.ERWDestroyed),
		since, until, why, CSVCRS,
	}
}

// A spreadsheet takes a cell that starts with '=', '+', '-' or '@' for a
// formula (and some strip a leading tab or carriage return first), so text
// from the register — a village name, an operator — could run in the
// reader's spreadsheet ("formula injection"). Every CSV the product writes
// goes through CSVCell: such a text cell gets a leading apostrophe, which
// spreadsheets show as text and do not display; numbers (-5, +1.5e3) are
// left as they are. A cell that already starts with an apostrophe followed
// by one of those characters or by another apostrophe gets one more, so
// that UnescapeCSVCell, which the importer applies to every CSV cell, gives
// back exactly what was written: export then import is the identity.

// formulaStart lists the characters that make a spreadsheet read a formula.
const formulaStart = "=+-@\t\r"

var plainNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// escaped says whether v is the form CSVCell makes of a cell: an apostrophe
// and then a formula character or another apostrophe.
func escaped(v string) bool {
	return len(v) > 1 && v[0] == '\'' && (v[1] == '\'' || strings.IndexByte(formulaStart, v[1]) >= 0)
}

// CSVCell is v made safe to open in a spreadsheet (see above).
func CSVCell(v string) string {
	if v == "" {
		return v
	}
	if (strings.IndexByte(formulaStart, v[0]) >= 0 && !plainNumber.MatchString(v)) || escaped(v) {
		return "'" + v
	}
	return v
}

// UnescapeCSVCell undoes CSVCell: it drops the apostrophe before a formula
// character or another apostrophe at the start of a cell.
func UnescapeCSVCell(v string) string {
	if escaped(v) {
		return v[1:]
	}
	return v
}

// CSVWriter is a csv.Writer whose every cell goes through CSVCell.
type CSVWriter struct{ *csv.Writer }

// NewCSVWriter returns a CSVWriter on w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{csv.NewWriter(w)} }

// Write writes one record, its cells made safe for spreadsheets.
func (c *CSVWriter) Write(record []string) error {
	safe := make([]string, len(record))
	for i, v := range record {
		safe[i] = CSVCell(v)
	}
	return c.Writer.Write(safe)
}

// AreaCSVWriter writes areas in the areas-file columns, each cell through
// CSVCell. Call Flush at the end.
type AreaCSVWriter struct {
	w      *CSVWriter
	header bool
}

// NewAreaCSVWriter returns a writer on w; the header goes out with the first
// area, or on Flush when there is none.
func NewAreaCSVWriter(w io.Writer) *AreaCSVWriter { return &AreaCSVWriter{w: NewCSVWriter(w)} }

// Write writes one area.
func (c *AreaCSVWriter) Write(a projections.AreaRow) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(AreaColumns); err != nil {
			return err
		}
	}
	return c.w.Write(AreaRecord(a))
}

// Flush writes what is buffered and returns the first write error.
func (c *AreaCSVWriter) Flush() error {
	if !c.header {
		c.header = true
		_ = c.w.Write(AreaColumns)
	}
	c.w.Flush()
	return c.w.Error()
}

// GeoJSONColumns are the properties of every feature of an areas GeoJSON
// export, in this order: the areas-file columns but geometry (the
// feature's geometry) and crs (RFC 7946 GeoJSON is WGS84 longitude/latitude;
// the collection's "coordinate_system" member says so).
var GeoJSONColumns = geoJSONColumns()

func geoJSONColumns() []string {
	var out []string
	for _, c := range AreaColumns {
		if c != "geometry" && c != "crs" {
			out = append(out, c)
		}
	}
	return out
}

// numberColumn says whether an areas column holds a whole number (sizes in
// m², casualties, devices): a JSON number in GeoJSON, INTEGER in a
// GeoPackage.
func numberColumn(col string) bool {
	return strings.HasSuffix(col, "_area") || col == "casualties_last_5y" || strings.HasSuffix(col, "_destroyed")
}

// AreaGeoJSONWriter writes areas as an RFC 7946 GeoJSON FeatureCollection,
// one feature per line: "id" the area ID, properties the GeoJSONColumns in
// that order, every one in every feature (null when the area has no value;
// sizes, casualties and devices as numbers, community_request a boolean),
// geometry the area's polygon with exterior rings counter-clockwise and
// holes clockwise (null when it has none). The collection carries a
// foreign member "coordinate_system": CRS84, and no "crs" member. Call
// Close at the end.
type AreaGeoJSONWriter struct {
	w   *bufio.Writer
	n   int
	err error
	buf bytes.Buffer
}

// NewAreaGeoJSONWriter starts the collection on w.
func NewAreaGeoJSONWriter(w io.Writer) *AreaGeoJSONWriter {
	g := &AreaGeoJSONWriter{w: bufio.NewWriterSize(w, 64<<10)}
	_, g.err = g.w.WriteString(`{"type":"FeatureCollection","coordinate_system":"` + CRS84 + `","features":[` + "\n")
	return g
}

// Write writes one area as a feature.
func (g *AreaGeoJSONWriter) Write(a projections.AreaRow) error {
	if g.err != nil {
		return g.err
	}
	vals := AreaRecord(a)
	b := &g.buf
	b.Reset()
	b.WriteString(`{"type":"Feature","id":"` + a.ID.String() + `","properties":{`)
	for i, col := range AreaColumns {
		if col == "geometry" || col == "crs" {
			continue
		}
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(col)
		b.Write(name)
		b.WriteByte(':')
		v := vals[i]
		switch {
		case v == "":
			b.WriteString("null")
		case numberColumn(col):
			n, _ := strconv.ParseInt(v, 10, 64)
			b.WriteString(strconv.FormatInt(n, 10))
		case col == "community_request":
			b.WriteString(strconv.FormatBool(v == "true"))
		default:
			s, _ := json.Marshal(v)
			b.Write(s)
		}
	}
	b.WriteString(`},"geometry":`)
	if geom := vals[geometryIndex]; geom != "" {
		b.WriteString(geom)
	} else {
		b.WriteString("null")
	}
	b.WriteByte('}')
	if g.n > 0 {
		g.w.WriteString(",\n")
	}
	g.n++
	_, g.err = g.w.Write(b.Bytes())
	return g.err
}

var geometryIndex = indexOf(AreaColumns, "geometry")

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Close ends the collection and flushes.
func (g *AreaGeoJSONWriter) Close() error {
	if g.err != nil {
		return g.err
	}
	g.w.WriteString("\n]}\n")
	return g.w.Flush()
}

// enteredOn is when the area first entered the database (RFC 3339), so an
// import of the export keeps "as recorded" answers.
func enteredOn(a projections.AreaRow) string {
	if a.FirstRecordedAt.IsZero() {
		return ""
	}
	return a.FirstRecordedAt.UTC().Format(time.RFC3339Nano)
}
