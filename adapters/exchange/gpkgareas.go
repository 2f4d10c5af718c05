package exchange

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/landrelease/landrelease/projections"
)

// AreaGeoPackageTable is the feature table of an areas GeoPackage export.
const AreaGeoPackageTable = "areas"

// GeoPackageDerivedColumns are the attributes an areas GeoPackage has
// beyond the GeoJSONColumns, for reading in a GIS: the m² released by every
// method (cancelled, reduced, cleared, less reopened), the date the area
// was fully released, the date of its last recorded field event, when its
// last event was recorded, and how often it was reclassified. The importer
// knows them and does not read them (they follow from the other columns).
var GeoPackageDerivedColumns = []string{"released_area", "released_on", "last_event_on", "last_recorded_at", "reclassifications"}

// gpkgType is the GeoPackage data type of an areas column.
func gpkgType(col string) string {
	switch {
	case numberColumn(col) || col == "reclassifications":
		return "INTEGER"
	case col == "community_request":
		return "BOOLEAN"
	case col == "last_recorded_at":
		return "DATETIME"
	case strings.HasSuffix(col, "_on") && col != "entered_on", strings.HasPrefix(col, "access_") && col != "access_restriction_reason":
		return "DATE"
	}
	return "TEXT" // entered_on too: an RFC 3339 instant kept to the nanosecond
}

// AreaGeoPackageLayer is the layer an areas GeoPackage export holds.
func AreaGeoPackageLayer() GeoPackageLayer {
	l := GeoPackageLayer{
		Table:      AreaGeoPackageTable,
		Identifier: "Hazard areas",
		Description: "landrelease register: hazard areas with status, classification, remaining area and release history (m²); " +
			"WGS 84 longitude/latitude (EPSG:4326)",
		GeometryType: "MULTIPOLYGON",
	}
	for _, c := range append(append([]string(nil), GeoJSONColumns...), GeoPackageDerivedColumns...) {
		l.Columns = append(l.Columns, GPKGColumn{Name: c, Type: gpkgType(c)})
	}
	return l
}

// GeoPackageValue is a column's text (as AreaRecord or a CSV writes it) as
// the value of a GeoPackage column of type typ: "" is NULL, INTEGER and
// BOOLEAN are numbers.
func GeoPackageValue(typ, v string) any {
	if v == "" {
		return nil
	}
	switch typ {
	case "INTEGER":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case "REAL":
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case "BOOLEAN":
		if v == "true" {
			return 1
		}
		return 0
	}
	return v
}

// AreaGeoPackageWriter writes the register as the AreaGeoPackageLayer:
// every area a feature, its polygon a MULTIPOLYGON (NULL when it has none).
type AreaGeoPackageWriter struct {
	ctx   context.Context
	w     *GeoPackageWriter
	types []string
}

// NewAreaGeoPackageWriter makes db, an empty SQLite database, an areas
// GeoPackage. Call Close at the end (or Abort).
func NewAreaGeoPackageWriter(ctx context.Context, db *sql.DB) (*AreaGeoPackageWriter, error) {
	layer := AreaGeoPackageLayer()
	w, err := NewGeoPackageWriter(ctx, db, layer)
	if err != nil {
		return nil, err
	}
	g := &AreaGeoPackageWriter{ctx: ctx, w: w}
	for _, c := range layer.Columns {
		g.types = append(g.types, c.Type)
	}
	return g, nil
}

// Write adds one area.
func (g *AreaGeoPackageWriter) Write(a projections.AreaRow) error {
	rec := AreaRecord(a)
	vals := make([]any, 0, len(g.types))
	i := 0
	for k, col := range AreaColumns {
		if col == "geometry" || col == "crs" {
			continue
		}
		vals = append(vals, GeoPackageValue(g.types[i], rec[k]))
		i++
	}
	released := a.CancelledNTSM2 + a.CancelledDeskM2 + a.ReducedM2 + a.ClearedM2 - a.ReopenedM2
	date := func(d interface{ IsZero() bool }, s string) any {
		if d.IsZero() {
			return nil
		}
		return s
	}
	var recorded any
	if !a.LastRecordedAt.IsZero() {
		recorded = a.LastRecordedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	vals = append(vals, released, date(a.ReleasedOn, a.ReleasedOn.String()), date(a.LastActivityOn, a.LastActivityOn.String()),
		recorded, a.Reclassifications)
	geom, err := ParseGeometry(a.Geometry)
	if err != nil {
		return fmt.Errorf("area %s: stored geometry: %w", a.ID, err)
	}
	if p, ok := geom.(orb.Polygon); ok {
		geom = orb.MultiPolygon{p}
	}
	if geom != nil {
		geom = OrientRFC7946(geom)
	}
	return g.w.Write(g.ctx, geom, vals...)
}

// Close finishes the GeoPackage.
func (g *AreaGeoPackageWriter) Close() error { return g.w.Close(g.ctx) }

// Abort drops what was written.
func (g *AreaGeoPackageWriter) Abort() { g.w.Abort() }

// GeoPackageReader reads an areas or activities register from a GeoPackage
// (docs/exchange.md): the feature table named "areas", else the one feature
// or attributes table of the file. Its columns are read as the columns of
// a CSV file and its geometry (WGS84, EPSG:4326) as the geometry column, in
// GeoJSON: a one-part MultiPolygon as a Polygon, rings in RFC 7946 order.
// Record.Pos is the feature's fid.
type GeoPackageReader struct {
	header *Header
	rows   *sql.Rows
	geom   int // position of the geometry column in Header.Names; -1: none
	done   bool
}

// NewGeoPackageReader opens the register layer of db. A file that is not a
// GeoPackage, has no such layer or is in another coordinate system than
// WGS84 is a *FileError saying what to do.
func NewGeoPackageReader(ctx context.Context, db *sql.DB) (*GeoPackageReader, error) {
	refuse := func(format string, args ...any) error {
		return &FileError{Problems: []Problem{{Reason: fmt.Sprintf(format, args...)}}}
	}
	var app int64
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return nil, refuse("not a GeoPackage (an SQLite file): %v", err)
	}
	var tables []string
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM gpkg_contents WHERE data_type IN ('features', 'attributes') ORDER BY table_name`)
	if err != nil {
		return nil, refuse("not a GeoPackage: no gpkg_contents table (application_id %#x)", app)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	table := ""
	for _, t := range tables {
		if t == AreaGeoPackageTable {
			table = t
		}
	}
	switch {
	case table != "":
	case len(tables) == 1:
		table = tables[0]
	case len(tables) == 0:
		return nil, refuse("the GeoPackage has no feature table")
	default:
		return nil, refuse("the GeoPackage has %d tables (%s): landrelease reads the one named %q, or a GeoPackage with one table; "+
			"save the register layer alone (e.g. ogr2ogr -f GPKG out.gpkg in.gpkg LAYER)", len(tables), strings.Join(tables, ", "), AreaGeoPackageTable)
	}
	geomCol := ""
	var srs int64
	err = db.QueryRowContext(ctx, `SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?`, table).Scan(&geomCol, &srs)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, refuse("the GeoPackage's gpkg_geometry_columns cannot be read: %v", err)
	}
	if geomCol != "" && srs != GeoPackageSRS && srs != 0 {
		var org string
		var code int64
		_ = db.QueryRowContext(ctx, `SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, srs).Scan(&org, &code)
		if !(strings.EqualFold(org, "EPSG") && code == 4326) && !(strings.EqualFold(org, "OGC") && code == 84) {
			return nil, &FileError{Problems: []Problem{{Field: "crs", Reason: fmt.Sprintf(
				"layer %q is in srs_id %d (%s:%d): landrelease takes WGS84 longitude/latitude (EPSG:4326); reproject the data to WGS84 first (e.g. ogr2ogr -t_srs EPSG:4326)",
				table, srs, org, code)}}}
		}
	}
	cols, err := tableColumns(ctx, db, table, geomCol)
	if err != nil {
		return nil, err
	}
	names := append([]string(nil), cols...)
	sel := make([]string, 0, len(cols)+2)
	sel = append(sel, "fid")
	for _, c := range cols {
		sel = append(sel, "CAST("+quoteIdent(c)+" AS TEXT)")
	}
	g := &GeoPackageReader{geom: -1}
	if geomCol != "" {
		g.geom = len(names)
		names = append(names, "geometry")
		sel = append(sel, quoteIdent(geomCol))
	}
	h, probs := newHeader(names)
	if len(probs) > 0 {
		return nil, &FileError{Problems: probs}
	}
	var ignored []string
	for _, c := range h.Ignored {
		if !contains(GeoPackageDerivedColumns, c) {
			ignored = append(ignored, c)
		}
	}
	h.Ignored = ignored
	g.header = h
	fid := "rowid"
	if pk, _ := primaryKey(ctx, db, table); pk != "" {
		fid = quoteIdent(pk)
	}
	sel[0] = fid
	g.rows, err = db.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+quoteIdent(table)+" ORDER BY "+fid)
	if err != nil {
		return nil, refuse("layer %q cannot be read: %v", table, err)
	}
	return g, nil
}

// tableColumns returns the attribute columns of a table: all but its
// integer primary key and its geometry column.
func tableColumns(ctx context.Context, db *sql.DB, table, geomCol string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, typ string
		var pk int
		if err := rows.Scan(&name, &typ, &pk); err != nil {
			return nil, err
		}
		if (pk > 0 && strings.EqualFold(typ, "INTEGER")) || strings.EqualFold(name, geomCol) {
			continue
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

func primaryKey(ctx context.Context, db *sql.DB, table string) (string, error) {
	var name string
	err := db.QueryRowContext(ctx, "SELECT name FROM pragma_table_info(?) WHERE pk = 1 AND upper(type) = 'INTEGER'", table).Scan(&name)
	return name, err
}

// Header returns the layer's columns.
func (g *GeoPackageReader) Header() *Header { return g.header }

// Next returns the next feature; a geometry that cannot be read is a
// *RecordError on the geometry column.
func (g *GeoPackageReader) Next() (Record, error) {
	if g.done || g.rows == nil {
		return Record{}, io.EOF
	}
	if !g.rows.Next() {
		g.done = true
		err := g.rows.Err()
		g.rows.Close()
		if err != nil {
			return Record{}, err
		}
		return Record{}, io.EOF
	}
	n := len(g.header.Names)
	var fid int64
	texts := make([]sql.NullString, n)
	var blob []byte
	dest := []any{&fid}
	for i := range texts {
		if i == g.geom {
			dest = append(dest, &blob)
		} else {
			dest = append(dest, &texts[i])
		}
	}
	if err := g.rows.Scan(dest...); err != nil {
		return Record{}, err
	}
	r := Record{Pos: int(fid), Values: make([]string, n)}
	for i, t := range texts {
		r.Values[i] = t.String
	}
	if g.geom >= 0 && len(blob) > 0 {
		geom, hdr, err := DecodeGeoPackageBinary(blob)
		switch {
		case err != nil:
			return r, &RecordError{Pos: r.Pos, Problem: Problem{Field: "geometry", Reason: err.Error()}}
		case hdr.SRSID != GeoPackageSRS && hdr.SRSID != 0:
			return r, &RecordError{Pos: r.Pos, Problem: Problem{Field: "geometry", Reason: fmt.Sprintf(
				"in srs_id %d: reproject the data to WGS84 (EPSG:4326) first", hdr.SRSID)}}
		case !hdr.Empty && !isEmpty(geom):
			text, err := geometryJSON(singlePart(geom))
			if err != nil {
				return r, &RecordError{Pos: r.Pos, Problem: Problem{Field: "geometry", Reason: err.Error()}}
			}
			r.Values[g.geom] = string(text)
		}
	}
	return r, nil
}

// Close releases the layer's query.
func (g *GeoPackageReader) Close() error {
	if g.rows != nil {
		return g.rows.Close()
	}
	return nil
}
