package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/adapters/sqlstore"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios"
)

func exportVerb() verb {
	return verb{
		name:    "export",
		summary: "export areas, statistics or work plans as CSV, GeoJSON or GeoPackage, or the whole history as JSON Lines",
		usage:   "export --what areas|stats|workplans|history [--format csv|geojson|gpkg] [--year YEAR] [--out FILE]",
		help: `Writes the register or figures drawn from it, brought up to date with the
history:

  areas      every hazard area in the columns of an areas import file
             (docs/exchange.md), local_id = the area's ID, sizes in m²;
             CSV, GeoJSON (RFC 7946) with each area's polygon, or a
             GeoPackage (--format gpkg --out FILE.gpkg) that QGIS, ArcGIS and
             GDAL open as a layer "areas", with the release history as
             attributes. Importing the export into an empty data dir gives
             back the same register.
  stats      the land-release statistics of 'landrelease stats' (CSV).
  workplans  the proposed MAPU work plan of every province for --year
             (default: this year), one row per area (CSV).
  history    every message of the event history, in order, as JSON Lines:
             a first line describing the archive, then one line per event
             with its sequence, subject, headers and body exactly as stored
             (docs/operations.md). 'landrelease import' of it into an empty
             data dir gives back the same history: same event IDs, order,
             recorded times and bodies.

Output goes to --out FILE or stdout; a GeoPackage needs --out FILE.gpkg
(SQLite cannot write to stdout). Every export states its coordinate
system, WGS 84 longitude/latitude: CSV in its crs column (EPSG:4326),
GeoJSON by RFC 7946 and its "coordinate_system" member, a GeoPackage by
srs_id 4326. A work plan of one province as a GeoPackage:
'landrelease workplan --format gpkg --out FILE.gpkg'.`,
		flags: func(fs *flag.FlagSet) any {
			o := &exportOpts{}
			fs.StringVar(&o.what, "what", "", "what to export: `areas`, stats, workplans or history (required)")
			fs.StringVar(&o.format, "format", "csv", "output `format`: csv, geojson or gpkg (GeoJSON and GeoPackage: areas only)")
			fs.StringVar(&o.out, "out", "", "output `file` (default stdout)")
			fs.IntVar(&o.year, "year", 0, "work-plan `year` (default this year)")
			return o
		},
		run: runExport,
	}
}

type exportOpts struct {
	what, format, out string
	year              int
}

func runExport(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*exportOpts)
	if len(args) > 0 {
		fmt.Fprintln(a.stderr, "landrelease export: takes no arguments\nRun 'landrelease export --help' for usage.")
		return exitUsage
	}
	if opts.what == "history" {
		return runExportHistory(ctx, a, opts.out) // history.go
	}
	switch {
	case opts.what != "areas" && opts.what != "stats" && opts.what != "workplans":
		fmt.Fprintf(a.stderr, "landrelease export: --what %q: want areas, stats, workplans or history\n", opts.what)
		return exitUsage
	case opts.format != "csv" && opts.format != "geojson" && opts.format != "gpkg":
		fmt.Fprintf(a.stderr, "landrelease export: --format %q: want csv, geojson or gpkg\n", opts.format)
		return exitUsage
	case opts.format != "csv" && opts.what != "areas":
		fmt.Fprintf(a.stderr, "landrelease export: --format %s is for --what areas only (a province's work plan: workplan --format gpkg)\n", opts.format)
		return exitUsage
	}
	if opts.format == "gpkg" {
		if err := gpkgOut(opts.out); err != nil {
			fmt.Fprintf(a.stderr, "landrelease export: %v\n", err)
			return exitUsage
		}
	}
	rm, err := openReadModel(ctx, a)
	if err != nil {
		return fail(a, "export", err)
	}
	defer rm.Close()
	if opts.format == "gpkg" {
		n, err := exportAreasGeoPackage(ctx, rm.db, opts.out)
		if err != nil {
			return fail(a, "export", err)
		}
		fmt.Fprintf(a.stderr, "landrelease export: %d areas written to %s (GeoPackage, layer %q, EPSG:4326)\n", n, opts.out, exchange.AreaGeoPackageTable)
		return exitOK
	}
	out := a.stdout
	var file *os.File
	if opts.out != "" && opts.out != "-" {
		if file, err = os.Create(opts.out); err != nil {
			return fail(a, "export", err)
		}
		out = file
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	var n int
	switch opts.what {
	case "areas":
		n, err = exportAreas(ctx, rm.db, bw, opts.format)
	case "stats":
		n, err = exportStats(bw, rm.runner.Fold())
	case "workplans":
		year := opts.year
		if year == 0 {
			year = time.Now().UTC().Year()
		}
		n, err = exportWorkPlans(bw, rm.runner.Fold(), a.g.country, year)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fail(a, "export", err)
	}
	fmt.Fprintf(a.stderr, "landrelease export: %d %s rows written\n", n, opts.what)
	return exitOK
}

// exportAreas streams the register page by page.
func exportAreas(ctx context.Context, db *sqlstore.Store, w io.Writer, format string) (int, error) {
	const page = 10_000
	var write func(projections.AreaRow) error
	var finish func() error
	if format == "geojson" {
		g := exchange.NewAreaGeoJSONWriter(w)
		write, finish = g.Write, g.Close
	} else {
		c := exchange.NewAreaCSVWriter(w)
		write, finish = c.Write, c.Flush
	}
	n := 0
	for off := 0; ; off += page {
		rows, err := db.Areas(ctx, sqlstore.AreaFilter{Limit: page, Offset: off})
		if err != nil {
			return n, err
		}
		for _, r := range rows {
			if err := write(r); err != nil {
				return n, err
			}
			n++
		}
		if len(rows) < page {
			break
		}
	}
	return n, finish()
}

func exportStats(w io.Writer, fold *projections.National) (int, error) {
	rows := queries.StatRows(fold, queries.StatsQuery{})
	return len(rows), writeStatsCSV(w, rows)
}

func exportWorkPlans(w io.Writer, fold *projections.National, country string, year int) (int, error) {
	crit, err := scenarios.DefaultCriteria()
	if err != nil {
		return 0, err
	}
	cw := exchange.NewCSVWriter(w)
	cw.Write([]string{"year", "province", "list", "rank", "area_id", "district", "village", "classification", "hazard", "land_use",
		"remaining_m2", "to_clear_m2", "casualties_last_5y", "community_request", "evidence_count", "operator", "method", "cost_usd", "score"})
	n := 0
	for _, prov := range domain.Provinces(country) {
		p := projections.PlanWorkPlan(fold, prov, year, crit, projections.DefaultForecastConfig())
		row := func(list string, a projections.PlannedArea) {
			n++
			cw.Write([]string{strconv.Itoa(year), prov, list, strconv.Itoa(a.Rank), a.AreaID.String(), a.District, a.Village, a.Class, a.Hazard, a.LandUse,
				i64(a.RemainingM2), i64(a.ToClearM2), strconv.Itoa(a.Casualties), strconv.FormatBool(a.Community), strconv.Itoa(a.EvidenceCount),
				a.Operator, a.Method, i64(a.CostUSD), strconv.FormatFloat(a.Score, 'f', 2, 64)})
		}
		for _, a := range p.Areas {
			row("plan", a)
		}
		for _, a := range p.ForNTS {
			row("nts", a)
		}
	}
	cw.Flush()
	return n, cw.Error()
}
