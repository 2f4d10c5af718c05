package exchange

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// GeoPackage (OGC 12-128r18, GeoPackage 1.3/1.4): an SQLite file that QGIS,
// ArcGIS and GDAL open as a vector layer. This file writes and reads the
// parts a feature layer needs: the application_id and user_version
// pragmas, gpkg_spatial_ref_sys with its three mandatory rows,
// gpkg_contents, gpkg_geometry_columns, the feature table (fid INTEGER
// PRIMARY KEY, one geometry column in GeoPackageBinary) and GDAL's
// gpkg_ogr_contents feature count. No spatial index (rtree) is written:
// GDAL and QGIS read the layer without one.
//
// The caller opens the *sql.DB (the driver is registered by cmd; this
// package imports database/sql from the standard library only).

const (
	// GeoPackageApplicationID is PRAGMA application_id of a GeoPackage: "GPKG".
	GeoPackageApplicationID = 0x47504B47
	// GeoPackageUserVersion is PRAGMA user_version: GeoPackage 1.3.0. What
	// is written is the same in 1.3 and 1.4 (nothing of 1.4's additions is
	// used), and 1.3 opens without a warning in GDAL before 3.7 (Debian 12's
	// GDAL 3.6 and the QGIS built on it warn that 10400 "may only be
	// partially supported").
	GeoPackageUserVersion = 10300
	// GeoPackageSRS is the srs_id every layer is written in: EPSG:4326,
	// WGS 84 longitude/latitude in degrees (axis order x = longitude).
	GeoPackageSRS = 4326
)

// wgs84WKT is the definition of EPSG:4326 as GDAL writes it.
const wgs84WKT = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],` +
	`AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,` +
	`AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

// gpkgSchema creates the GeoPackage's own tables (spec tables 1.1.2, 1.1.3,
// 2.1.5) and the mandatory spatial reference systems (Requirement 11).
var gpkgSchema = []string{
	fmt.Sprintf("PRAGMA application_id = %d", GeoPackageApplicationID),
	fmt.Sprintf("PRAGMA user_version = %d", GeoPackageUserVersion),
	`CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT)`,
	`INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, '` + wgs84WKT + `', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')`,
	`CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
	`CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
	`CREATE TABLE gpkg_ogr_contents (table_name TEXT NOT NULL PRIMARY KEY, feature_count INTEGER DEFAULT NULL)`,
}

// GPKGColumn is an attribute column of a feature table; Type is a
// GeoPackage data type: TEXT, INTEGER, REAL, BOOLEAN, DATE or DATETIME.
type GPKGColumn struct{ Name, Type string }

// GeoPackageLayer describes the one feature table a GeoPackage is given.
type GeoPackageLayer struct {
	Table        string // feature table name, also gpkg_contents.identifier unless Identifier is set
	Identifier   string
	Description  string
	GeometryType string // geometry_type_name: MULTIPOLYGON, GEOMETRY, ...
	Columns      []GPKGColumn
}

// GeometryColumn is the name of the geometry column of every layer written.
const GeometryColumn = "geom"

// GeoPackageWriter writes the features of one layer in one transaction.
type GeoPackageWriter struct {
	layer GeoPackageLayer
	tx    *sql.Tx
	stmt  *sql.Stmt
	bound orb.Bound
	any   bool // bound holds at least one geometry
	n     int
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// NewGeoPackageWriter makes db, an empty SQLite database, a GeoPackage with
// the layer's feature table; Write adds features and Close finishes.
func NewGeoPackageWriter(ctx context.Context, db *sql.DB, layer GeoPackageLayer) (*GeoPackageWriter, error) {
	if layer.Identifier == "" {
		layer.Identifier = layer.Table
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	w := &GeoPackageWriter{layer: layer, tx: tx}
	cols := []string{"fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", quoteIdent(GeometryColumn) + " " + layer.GeometryType}
	names := []string{quoteIdent(GeometryColumn)}
	marks := []string{"?"}
	for _, c := range layer.Columns {
		cols = append(cols, quoteIdent(c.Name)+" "+c.Type)
		names = append(names, quoteIdent(c.Name))
		marks = append(marks, "?")
	}
	stmts := append(append([]string(nil), gpkgSchema...),
		"CREATE TABLE "+quoteIdent(layer.Table)+" (\n  "+strings.Join(cols, ",\n  ")+")")
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("creating the GeoPackage: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?, 'features', ?, ?, ?)`,
		layer.Table, layer.Identifier, layer.Description, GeoPackageSRS); err != nil {
		tx.Rollback()
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)`,
		layer.Table, GeometryColumn, layer.GeometryType, GeoPackageSRS); err != nil {
		tx.Rollback()
		return nil, err
	}
	w.stmt, err = tx.PrepareContext(ctx, "INSERT INTO "+quoteIdent(layer.Table)+" ("+strings.Join(names, ", ")+") VALUES ("+strings.Join(marks, ", ")+")")
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return w, nil
}

// Write adds a feature: its geometry (nil: NULL) and the values of the
// layer's columns, in order (nil: NULL).
func (w *GeoPackageWriter) Write(ctx context.Context, g orb.Geometry, values ...any) error {
	if len(values) != len(w.layer.Columns) {
		return fmt.Errorf("GeoPackage feature: %d values for %d columns", len(values), len(w.layer.Columns))
	}
	var blob any
	if g != nil {
		b, err := EncodeGeoPackageBinary(g, GeoPackageSRS)
		if err != nil {
			return err
		}
		blob = b
		if !isEmpty(g) {
			if w.any {
				w.bound = w.bound.Union(g.Bound())
			} else {
				w.bound, w.any = g.Bound(), true
			}
		}
	}
	if _, err := w.stmt.ExecContext(ctx, append([]any{blob}, values...)...); err != nil {
		return err
	}
	w.n++
	return nil
}

// Close records the layer's bounding box and feature count (and GDAL's
// triggers that keep the count), and commits.
func (w *GeoPackageWriter) Close(ctx context.Context) error {
	w.stmt.Close()
	t := w.layer.Table
	var bbox [4]any
	if w.any {
		bbox = [4]any{w.bound.Min[0], w.bound.Min[1], w.bound.Max[0], w.bound.Max[1]}
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?`, []any{bbox[0], bbox[1], bbox[2], bbox[3], t}},
		{`INSERT INTO gpkg_ogr_contents VALUES (?, ?)`, []any{t, w.n}},
		{`CREATE TRIGGER ` + quoteIdent("trigger_insert_feature_count_"+t) + ` AFTER INSERT ON ` + quoteIdent(t) +
			` BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = lower('` + strings.ReplaceAll(t, "'", "''") + `'); END`, nil},
		{`CREATE TRIGGER ` + quoteIdent("trigger_delete_feature_count_"+t) + ` AFTER DELETE ON ` + quoteIdent(t) +
			` BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = lower('` + strings.ReplaceAll(t, "'", "''") + `'); END`, nil},
	}
	for _, s := range stmts {
		if _, err := w.tx.ExecContext(ctx, s.q, s.args...); err != nil {
			w.tx.Rollback()
			return err
		}
	}
	return w.tx.Commit()
}

// Abort drops what was written.
func (w *GeoPackageWriter) Abort() { w.stmt.Close(); w.tx.Rollback() }

func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return len(g) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	}
	return false
}

// GeoPackageBinary flags (spec 2.1.3): bit 0 byte order (1: little endian),
// bits 1-3 the envelope kind (1: minx, maxx, miny, maxy), bit 4 empty.
const (
	gpbLittleEndian = 1 << 0
	gpbEnvelopeXY   = 1 << 1
	gpbEmpty        = 1 << 4
)

// EncodeGeoPackageBinary is g as a GeoPackageBinary blob: "GP", version 0,
// flags (little endian, XY envelope; an empty geometry has the empty flag
// and no envelope), srs_id, envelope minx maxx miny maxy, then the
// little-endian WKB of g.
func EncodeGeoPackageBinary(g orb.Geometry, srsID int32) ([]byte, error) {
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, fmt.Errorf("geometry to WKB: %w", err)
	}
	flags := byte(gpbLittleEndian)
	if isEmpty(g) {
		flags |= gpbEmpty
	} else {
		flags |= gpbEnvelopeXY
	}
	b := make([]byte, 0, 8+32+len(body))
	b = append(b, 'G', 'P', 0, flags)
	b = binary.LittleEndian.AppendUint32(b, uint32(srsID))
	if flags&gpbEnvelopeXY != 0 {
		bd := g.Bound()
		for _, f := range []float64{bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1]} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		}
	}
	return append(b, body...), nil
}

// GeoPackageBinaryHeader is what the header of a GeoPackageBinary blob says.
type GeoPackageBinaryHeader struct {
	SRSID    int32
	Empty    bool
	Envelope []float64 // as stored: minx, maxx, miny, maxy[, minz, maxz][, minm, maxm]; nil when none
}

// DecodeGeoPackageBinary reads a GeoPackageBinary blob: its header and the
// geometry of its WKB. A blob that is not one (no "GP" magic, a version
// other than 0, an extended type, a short or bad WKB) is an error saying so.
func DecodeGeoPackageBinary(b []byte) (orb.Geometry, GeoPackageBinaryHeader, error) {
	var h GeoPackageBinaryHeader
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, h, errors.New("not a GeoPackage geometry: no \"GP\" magic")
	}
	if b[2] != 0 {
		return nil, h, fmt.Errorf("GeoPackage geometry version %d: only version 0 (GeoPackage 1.x) is read", b[2])
	}
	flags := b[3]
	if flags&(1<<5) != 0 {
		return nil, h, errors.New("GeoPackage extended geometry type: not read (write standard WKB geometries)")
	}
	var order binary.ByteOrder = binary.BigEndian
	if flags&gpbLittleEndian != 0 {
		order = binary.LittleEndian
	}
	h.SRSID = int32(order.Uint32(b[4:8]))
	h.Empty = flags&gpbEmpty != 0
	var n int
	switch env := (flags >> 1) & 7; env {
	case 0:
	case 1:
		n = 4
	case 2, 3:
		n = 6
	case 4:
		n = 8
	default:
		return nil, h, fmt.Errorf("GeoPackage geometry envelope kind %d is not defined", env)
	}
	if len(b) < 8+8*n {
		return nil, h, errors.New("GeoPackage geometry shorter than its envelope")
	}
	for i := 0; i < n; i++ {
		h.Envelope = append(h.Envelope, math.Float64frombits(order.Uint64(b[8+8*i:])))
	}
	g, err := wkb.Unmarshal(b[8+8*n:])
	if err != nil {
		return nil, h, fmt.Errorf("GeoPackage geometry WKB: %w", err)
	}
	return g, h, nil
}
