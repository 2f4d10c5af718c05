package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

// GeoPackage files (docs/exchange.md): the exports write one with
// adapters/exchange on modernc.org/sqlite (registered in basemap.go), and
// import reads one.

// gpkgOut checks the --out of a GeoPackage export: SQLite writes a file it
// can seek in, never stdout, and GIS tools know a GeoPackage by its .gpkg
// extension.
func gpkgOut(out string) error {
	if out == "" || out == "-" {
		return errors.New("--format gpkg writes an SQLite file, which cannot go to stdout: give --out FILE.gpkg")
	}
	if !strings.EqualFold(filepath.Ext(out), ".gpkg") {
		return fmt.Errorf("--out %q: a GeoPackage file name ends in .gpkg (GIS tools recognise the format by it)", out)
	}
	return nil
}

// writeGeoPackageFile builds the GeoPackage in a temporary file next to
// path and renames it over path when fill succeeded, so that a failed
// export leaves no half-written file (and an old export at path stays).
func writeGeoPackageFile(path string, fill func(db *sql.DB) (int, error)) (int, error) {
	tmp := path + ".tmp"
	for _, f := range []string{tmp, tmp + "-journal"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: tmp}).EscapedPath())
	if err != nil {
		return 0, err
	}
	db.SetMaxOpenConns(1)
	n, err := fill(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return n, err
	}
	return n, nil
}

// exportAreasGeoPackage writes the register as an areas GeoPackage.
func exportAreasGeoPackage(ctx context.Context, db *sqlstore.Store, path string) (int, error) {
	return writeGeoPackageFile(path, func(sqldb *sql.DB) (int, error) {
		g, err := exchange.NewAreaGeoPackageWriter(ctx, sqldb)
		if err != nil {
			return 0, err
		}
		const page = 10_000
		n := 0
		for off := 0; ; off += page {
			rows, err := db.Areas(ctx, sqlstore.AreaFilter{Limit: page, Offset: off})
			if err != nil {
				g.Abort()
				return n, err
			}
			for _, r := range rows {
				if err := g.Write(r); err != nil {
					g.Abort()
					return n, err
				}
				n++
			}
			if len(rows) < page {
				break
			}
		}
		return n, g.Close()
	})
}

// planColumns are the columns of a work plan as CSV (workplan --format
// csv) and as the attributes of its GeoPackage layer; planTypes their
// GeoPackage types.
var planColumns = []string{"list", "rank", "area_id", "province", "district", "village", "classification", "hazard", "land_use",
	"remaining_m2", "to_clear_m2", "casualties_last_5y", "community_request", "evidence_count", "operator", "method", "cost_usd", "score",
	"stage", "planned_m2", "carried_to_next_year_m2", "expected_cancelled_m2", "expected_cha_m2", "reason"}

func planType(col string) string {
	switch {
	case col == "rank" || col == "casualties_last_5y" || col == "evidence_count" || col == "cost_usd" || strings.HasSuffix(col, "_m2"):
		return "INTEGER"
	case col == "score":
		return "REAL"
	case col == "community_request":
		return "BOOLEAN"
	}
	return "TEXT"
}

// planRecord is one planned (or left-out) area of p in planColumns.
func planRecord(p queries.WorkPlan, list string, a projections.PlannedArea) []string {
	return []string{list, strconv.Itoa(a.Rank), a.AreaID.String(), p.Province, a.District, a.Village, a.Class, a.Hazard, a.LandUse,
		i64(a.RemainingM2), i64(a.ToClearM2), strconv.Itoa(a.Casualties), strconv.FormatBool(a.Community), strconv.Itoa(a.EvidenceCount),
		a.Operator, a.Method, i64(a.CostUSD), strconv.FormatFloat(a.Score, 'f', 2, 64),
		a.Stage, i64(a.PlannedM2), i64(a.CarriedM2), i64(a.ExpectCancel), i64(a.ExpectCHA), a.Reason}
}

// eachPlanned calls f for every area of the plan, in the CSV's order: the
// clearance plan, the SHAs for non-technical survey, the areas left out.
func eachPlanned(p queries.WorkPlan, f func(list string, a projections.PlannedArea) error) error {
	for _, l := range []struct {
		name  string
		areas []projections.PlannedArea
	}{{"plan", p.Areas}, {"nts", p.ForNTS}, {"left_out", p.LeftOut}} {
		for _, a := range l.areas {
			if err := f(l.name, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// writePlanGeoPackage writes the work plan as a GeoPackage layer
// "work_plan": one feature per area of the plan (list plan, nts or
// left_out) with the columns of the CSV and the area's polygon from the
// read model (NULL when it has none).
func writePlanGeoPackage(ctx context.Context, db *sqlstore.Store, p queries.WorkPlan, path string) (int, error) {
	layer := exchange.GeoPackageLayer{
		Table:      "work_plan",
		Identifier: fmt.Sprintf("Work plan %s %d", p.Province, p.Year),
		Description: fmt.Sprintf("landrelease MAPU work plan (proposed) for %s, %d: areas planned for clearance (list plan), "+
			"for non-technical survey (nts) and left for later years (left_out); m², US$; WGS 84 longitude/latitude (EPSG:4326)", p.Province, p.Year),
		GeometryType: "MULTIPOLYGON",
	}
	layer.Columns = append(layer.Columns, exchange.GPKGColumn{Name: "year", Type: "INTEGER"})
	for _, c := range planColumns {
		layer.Columns = append(layer.Columns, exchange.GPKGColumn{Name: c, Type: planType(c)})
	}
	return writeGeoPackageFile(path, func(sqldb *sql.DB) (int, error) {
		w, err := exchange.NewGeoPackageWriter(ctx, sqldb, layer)
		if err != nil {
			return 0, err
		}
		n := 0
		err = eachPlanned(p, func(list string, a projections.PlannedArea) error {
			row, err := db.Area(ctx, a.AreaID)
			if err != nil {
				return err
			}
			geom, err := planGeometry(row)
			if err != nil {
				return err
			}
			vals := []any{p.Year}
			for i, v := range planRecord(p, list, a) {
				vals = append(vals, exchange.GeoPackageValue(planType(planColumns[i]), v))
			}
			n++
			return w.Write(ctx, geom, vals...)
		})
		if err != nil {
			w.Abort()
			return n, err
		}
		return n, w.Close(ctx)
	})
}

// planGeometry is an area's polygon as a MULTIPOLYGON in RFC 7946 ring
// order; nil when it has none.
func planGeometry(row projections.AreaRow) (orb.Geometry, error) {
	raw := exchange.RFC7946Geometry(row.Geometry)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	g, err := exchange.ParseGeometry(raw)
	if err != nil {
		return nil, fmt.Errorf("area %s: stored geometry: %w", row.ID, err)
	}
	if p, ok := g.(orb.Polygon); ok {
		return orb.MultiPolygon{p}, nil
	}
	return g, nil
}

// openGeoPackage opens a GeoPackage for reading only.
func openGeoPackage(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=query_only(1)&_pragma=trusted_schema(0)")
}

// isGeoPackage says whether path is an SQLite file (a GeoPackage is one).
func isGeoPackage(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := f.Read(head)
	return n == 16 && string(head) == "SQLite format 3\x00"
}
