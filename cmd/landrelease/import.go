package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/exchange"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/projections"
)

func importVerb() verb {
	return verb{
		name:    "import",
		summary: "import hazard areas or land-release activities from IMSMA-style CSV, GeoJSON or GeoPackage",
		usage:   "import [--dry-run] [--skip-invalid] [--rejects FILE] [--format auto|csv|geojson|gpkg] FILE",
		help: `Imports an exchange file (columns in docs/exchange.md): an areas file (one
hazard area per row: local_id, province, ..., estimated_area, remaining_area,
area_unit, ...) or an activities file (one cancellation, reduction or
clearance per row: local_id, activity, on, area, area_unit, operator, reason),
as CSV, as a GeoJSON FeatureCollection whose properties are the columns, or
as a GeoPackage (an export --format gpkg, or a layer saved from QGIS/GDAL):
its table "areas" (or its one table), the attributes as the columns and
the geometry, in WGS 84 (EPSG:4326), as the geometry column.

Each row becomes commands (RegisterSuspectedArea, then CancelArea,
ReduceArea, ClearArea for what was released before the import) that go
through the same domain rules as any other command. Area IDs come from
local_id (a UUID is kept as the area ID) and command IDs from the row's
content: importing the same file again adds nothing.

Two passes. The first reads every row and checks it: columns, values,
units, ISO dates, the gazetteer, duplicate local IDs, the domain's
validation. If any row is refused, nothing is written (exit status 1),
unless --skip-invalid. The second pass applies the rows in chunks. A rule
that needs the recorded history (an area already registered with other
data, an activity releasing more than remains) is found only then: the
import stops after that chunk and the report says what was written;
running the import again after a fix is safe.

--dry-run runs the first pass only and writes nothing.
--skip-invalid imports the valid rows and writes the refused ones, with an
"error" column, to --rejects (default FILE.rejects.csv), which can be
corrected and imported again.

A history archive (export --what history) is imported as it is, message by
message at its own sequence, into an empty data dir (or a --nats-url
cluster without the history stream); the read model is then rebuilt.

The report lists each refused row: its line (CSV) or feature index
(GeoJSON, from 0; GeoPackage: its fid), the column and the reason; then
the counts.`,
		flags: func(fs *flag.FlagSet) any {
			o := &importOpts{}
			fs.BoolVar(&o.dryRun, "dry-run", false, "check every row and write nothing")
			fs.BoolVar(&o.skipInvalid, "skip-invalid", false, "import the valid rows; write the refused ones to the rejects file")
			fs.StringVar(&o.rejects, "rejects", "", "rejects `file` for --skip-invalid (default FILE.rejects.csv)")
			fs.StringVar(&o.format, "format", "auto", "input `format`: auto (a history archive by its first line, a GeoPackage by its SQLite header, else by extension: .geojson/.json is GeoJSON), csv, geojson, gpkg or history")
			fs.IntVar(&o.chunk, "chunk", 5000, "rows applied per round (memory bound for large files)")
			return o
		},
		run: runImport,
	}
}

type importOpts struct {
	dryRun, skipInvalid bool
	rejects, format     string
	chunk               int
}

// importReport gathers what an import did, for the report.
type importReport struct {
	geojson  bool
	rows     int
	written  int // rows that wrote at least one event
	already  int // rows whose commands were all in the history already
	refused  map[int][]exchange.Problem
	stopped  int          // last position of the chunk an apply-time refusal stopped at; -1: not stopped
	rejected int          // rows written to the rejects file
	shown    map[int]bool // refused positions already printed
}

func (r *importReport) refuse(pos int, ps ...exchange.Problem) {
	r.refused[pos] = append(r.refused[pos], ps...)
}

func runImport(ctx context.Context, a *app, o any, args []string) int {
	opts := o.(*importOpts)
	if len(args) != 1 || args[0] == "-" {
		fmt.Fprintln(a.stderr, "landrelease import: want exactly one FILE (stdin cannot be read twice)\nRun 'landrelease import --help' for usage.")
		return exitUsage
	}
	if opts.chunk < 1 {
		fmt.Fprintln(a.stderr, "landrelease import: --chunk must be at least 1")
		return exitUsage
	}
	path := args[0]
	if opts.format == "history" || (opts.format == "auto" && isHistoryArchive(path)) {
		return runImportHistory(ctx, a, path) // history.go
	}
	format := opts.format
	switch format {
	case "auto":
		ext := strings.ToLower(filepath.Ext(path))
		switch {
		case ext == ".gpkg" || isGeoPackage(path):
			format = "gpkg"
		case ext == ".geojson" || ext == ".json":
			format = "geojson"
		default:
			format = "csv"
		}
	case "geojson", "csv", "gpkg":
	default:
		fmt.Fprintf(a.stderr, "landrelease import: --format %q: want auto, csv, geojson, gpkg or history\n", opts.format)
		return exitUsage
	}
	if opts.rejects != "" && !opts.skipInvalid {
		fmt.Fprintln(a.stderr, "landrelease import: --rejects goes with --skip-invalid")
		return exitUsage
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(a, "import", err)
	}
	defer f.Close()
	src := &exchangeSource{ctx: ctx, f: f, path: path, format: format}
	defer src.close()
	conv := &exchange.Converter{Country: a.g.country}
	rep := &importReport{geojson: format != "csv", refused: map[int][]exchange.Problem{}, shown: map[int]bool{}, stopped: -1}

	// Pass 1: check every row; write nothing.
	rd, err := src.open()
	if err != nil {
		return importFileRefused(a, path, err)
	}
	kind := rd.Header().Kind
	if err := checkRows(rd, conv, rep); err != nil {
		return importFileRefused(a, path, err)
	}
	if len(rd.Header().Ignored) > 0 {
		fmt.Fprintf(a.stdout, "columns not read: %s\n", strings.Join(rd.Header().Ignored, ", "))
	}
	printRefused(a.stdout, rep)
	if opts.dryRun || (len(rep.refused) > 0 && !opts.skipInvalid) {
		return importSummary(a, path, kind, rep, "nothing written")
	}

	// Pass 2: apply the rows that passed, chunk by chunk.
	if rd, err = src.open(); err != nil {
		return importFileRefused(a, path, err)
	}
	var rejects *rejectsFile
	if opts.skipInvalid {
		name := opts.rejects
		if name == "" {
			name = path + ".rejects.csv"
		}
		if rejects, err = createRejects(name, rd.Header()); err != nil {
			return fail(a, "import", err)
		}
	}
	// The read model, caught up, holds the areas a re-import finds
	// registered already; their rows are compared with it.
	rm, err := openReadModel(ctx, a)
	if err != nil {
		return fail(a, "import", err)
	}
	defer rm.Close()
	if err := rm.handler.Warm(ctx); err != nil {
		return fail(a, "import", err)
	}
	lookup := func(id uuid.UUID) (projections.AreaRow, error) { return rm.db.Area(ctx, id) }
	start := time.Now()
	bar := newProgress(a.stderr, int64(rep.rows), "importing rows")
	err = applyRows(ctx, rm.handler, lookup, rd, conv, rep, rejects, opts, func(n int) {
		if bar != nil {
			_ = bar.Add(n)
		}
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if rejects != nil {
		if cerr := rejects.close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fail(a, "import", err)
	}
	printRefused(a.stdout, rep)
	note := fmt.Sprintf("applied in %s", time.Since(start).Round(time.Millisecond))
	if rep.stopped >= 0 {
		note = fmt.Sprintf("stopped: a row was refused by the recorded history; written: every accepted row up to %s %d, nothing after it", rep.posWord(), rep.stopped)
	}
	if rejects != nil {
		note += fmt.Sprintf("; %d refused rows written to %s", rep.rejected, rejects.name)
	}
	return importSummary(a, path, kind, rep, note)
}

// exchangeSource is the file an import reads, opened once per pass.
type exchangeSource struct {
	ctx          context.Context
	f            *os.File
	path, format string
	db           *sql.DB                    // gpkg
	gp           *exchange.GeoPackageReader // gpkg: the pass's reader
}

// open starts a pass over the file.
func (s *exchangeSource) open() (exchange.Reader, error) {
	switch s.format {
	case "gpkg":
		if s.gp != nil {
			s.gp.Close()
		}
		if s.db == nil {
			db, err := openGeoPackage(s.path)
			if err != nil {
				return nil, err
			}
			s.db = db
		}
		gp, err := exchange.NewGeoPackageReader(s.ctx, s.db)
		if err != nil {
			return nil, err
		}
		s.gp = gp
		return gp, nil
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if s.format == "geojson" {
		return exchange.NewGeoJSONReader(s.f)
	}
	return exchange.NewCSVReader(s.f)
}

func (s *exchangeSource) close() {
	if s.gp != nil {
		s.gp.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
}

func (r *importReport) posWord() string {
	if r.geojson {
		return "feature"
	}
	return "line"
}

// checkRows is pass 1: it converts every record and records the refused
// ones, with both lines of a duplicate local ID.
func checkRows(rd exchange.Reader, conv *exchange.Converter, rep *importReport) error {
	h := rd.Header()
	first := map[string]int{}
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var re *exchange.RecordError
		if errors.As(err, &re) {
			rep.rows++
			rep.refuse(re.Pos, re.Problem)
			continue
		}
		var fe *exchange.FileError
		if errors.As(err, &fe) { // the rest of the file cannot be read
			rep.rows++
			rep.refuse(rec.Pos, fe.Problems...)
			return nil
		}
		if err != nil {
			return err
		}
		rep.rows++
		row, probs := conv.Convert(h, rec)
		if len(probs) > 0 {
			rep.refuse(rec.Pos, probs...)
		}
		if row.Key == "" {
			continue
		}
		if p, ok := first[row.Key]; ok {
			field, what := "local_id", fmt.Sprintf("duplicate local ID %q", row.LocalID)
			if h.Kind == exchange.Activities {
				field, what = "activity", "the same activity"
			}
			rep.refuse(rec.Pos, exchange.Problem{Field: field, Reason: fmt.Sprintf("%s: also at %s %d (both refused)", what, rep.posWord(), p)})
			if p >= 0 {
				rep.refuse(p, exchange.Problem{Field: field, Reason: fmt.Sprintf("%s: also at %s %d (both refused)", what, rep.posWord(), rec.Pos)})
			}
			continue
		}
		first[row.Key] = rec.Pos
	}
}

// pendingRow is a row of pass 2 with its commands.
type pendingRow struct {
	rec exchange.Record
	row exchange.Row
}

// applyRows is pass 2: rows refused in pass 1 go to the rejects file (or
// are skipped), the others are applied in chunks of opts.chunk rows.
func applyRows(ctx context.Context, h *handling.Handler, lookup areaLookup, rd exchange.Reader, conv *exchange.Converter, rep *importReport,
	rejects *rejectsFile, opts *importOpts, progress func(int)) error {
	hd := rd.Header()
	chunk := make([]pendingRow, 0, opts.chunk)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		stop := applyImportChunk(ctx, h, lookup, conv, chunk, rep, rejects)
		progress(len(chunk))
		last := chunk[len(chunk)-1].rec.Pos
		chunk = chunk[:0]
		if stop && rejects == nil {
			rep.stopped = last
		}
		return ctx.Err()
	}
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *exchange.RecordError
		var fe *exchange.FileError
		if err != nil && !errors.As(err, &re) && !errors.As(err, &fe) {
			return err
		}
		if probs, bad := rep.refused[rec.Pos]; bad || re != nil || fe != nil {
			if rejects != nil {
				if err := rejects.write(rec, probs); err != nil {
					return err
				}
				rep.rejected++
			}
			if fe != nil {
				break // nothing after a malformed feature can be read
			}
			continue
		}
		row, _ := conv.Convert(hd, rec)
		chunk = append(chunk, pendingRow{rec: rec, row: row})
		if len(chunk) == opts.chunk {
			if err := flush(); err != nil || rep.stopped >= 0 {
				return err
			}
		}
	}
	return flush()
}

// areaLookup returns an area of the read model.
type areaLookup func(uuid.UUID) (projections.AreaRow, error)

// applyImportChunk sends the chunk's first commands as one bulk run, then
// the follow-up commands: a row's own when its first commands were applied
// now; when its area was registered before (a re-import), the commands
// that bring the register to what the row says (exchange.Converter.Changes).
// It reports whether a row was refused.
func applyImportChunk(ctx context.Context, h *handling.Handler, lookup areaLookup, conv *exchange.Converter,
	chunk []pendingRow, rep *importReport, rejects *rejectsFile) bool {
	var firsts []domain.CommandEnvelope
	for _, p := range chunk {
		firsts = append(firsts, p.row.First...)
	}
	out1 := h.HandleBatch(ctx, firsts, nil)
	type state struct {
		wrote, failed bool
		probs         []exchange.Problem
	}
	st := make([]state, len(chunk))
	var thens []domain.CommandEnvelope
	var owner []int
	k := 0
	for i, p := range chunk {
		registered := false
		for _, e := range p.row.First {
			o := out1[k]
			k++
			_, isReg := e.Command.(domain.RegisterSuspectedArea)
			if isReg && (o.Duplicate || errors.Is(o.Err, domain.ErrConflict)) {
				// Registered before: by this import (a duplicate) or another
				// way (the area ID is taken); compare the row with it.
				registered = true
				continue
			}
			noteOutcome(&st[i].wrote, &st[i].failed, &st[i].probs, o)
		}
		then := p.row.Then
		if registered && !st[i].failed {
			cur, err := lookup(p.row.AreaID)
			switch {
			case err == nil:
				var probs []exchange.Problem
				if then, probs = conv.Changes(p.row, cur); len(probs) > 0 {
					st[i].failed, st[i].probs = true, probs
				}
			case !errors.Is(err, domain.ErrNotFound):
				st[i].failed, st[i].probs = true, []exchange.Problem{{Reason: err.Error()}}
			}
		}
		if !st[i].failed {
			for _, e := range then {
				thens = append(thens, e)
				owner = append(owner, i)
			}
		}
	}
	out2 := h.HandleBatch(ctx, thens, nil)
	for j, o := range out2 {
		i := owner[j]
		noteOutcome(&st[i].wrote, &st[i].failed, &st[i].probs, o)
	}
	refused := false
	for i, p := range chunk {
		s := st[i]
		switch {
		case s.failed:
			refused = true
			if s.wrote {
				s.probs = append(s.probs, exchange.Problem{Reason: "part of the row was written before the refusal"})
			}
			rep.refuse(p.rec.Pos, s.probs...)
			if rejects != nil {
				if err := rejects.write(p.rec, s.probs); err == nil {
					rep.rejected++
				}
			}
			if s.wrote {
				rep.written++
			}
		case s.wrote:
			rep.written++
		default:
			rep.already++
		}
	}
	return refused
}

func noteOutcome(wrote, failed *bool, probs *[]exchange.Problem, o domain.Outcome) {
	switch {
	case o.Err != nil:
		*failed = true
		var de *domain.Error
		if errors.As(o.Err, &de) && len(de.Problems) > 0 {
			for _, p := range de.Problems {
				field := p.Field
				if field == "area_id" {
					field = "local_id"
				}
				*probs = append(*probs, exchange.Problem{Field: field, Reason: fmt.Sprintf("%s refused (%s): %s", o.Command, de.Kind, p.Reason)})
			}
			return
		}
		*probs = append(*probs, exchange.Problem{Reason: o.Err.Error()})
	case !o.Duplicate:
		*wrote = true
	}
}

// printRefused prints, in file order, the refused rows not printed before.
func printRefused(w io.Writer, rep *importReport) {
	pos := make([]int, 0, len(rep.refused))
	for p := range rep.refused {
		if !rep.shown[p] {
			pos = append(pos, p)
		}
	}
	sort.Ints(pos)
	for _, p := range pos {
		rep.shown[p] = true
		for _, pr := range rep.refused[p] {
			fmt.Fprintf(w, "%s %d: refused field=%s reason=%q\n", rep.posWord(), p, orDash(pr.Field), pr.Reason)
		}
	}
}

func importFileRefused(a *app, path string, err error) int {
	var fe *exchange.FileError
	if !errors.As(err, &fe) {
		return fail(a, "import", err)
	}
	for _, p := range fe.Problems {
		fmt.Fprintf(a.stdout, "%s: refused field=%s reason=%q\n", path, orDash(p.Field), p.Reason)
	}
	fmt.Fprintf(a.stdout, "import %s: the file was refused; nothing written\n", path)
	return exitRefused
}

func importSummary(a *app, path string, kind exchange.Kind, rep *importReport, note string) int {
	accepted := rep.rows - len(rep.refused)
	fmt.Fprintf(a.stdout, "import %s (%s): %d rows read, %d accepted, %d refused", path, kind, rep.rows, accepted, len(rep.refused))
	if rep.written+rep.already > 0 {
		fmt.Fprintf(a.stdout, " (%d written, %d already imported: nothing written for them)", rep.written, rep.already)
	}
	fmt.Fprintf(a.stdout, "; %s\n", note)
	if len(rep.refused) > 0 {
		return exitRefused
	}
	return exitOK
}

// rejectsFile is the CSV of refused rows: the input's columns and "error".
type rejectsFile struct {
	name  string
	width int
	f     *os.File
	w     *exchange.CSVWriter
}

func createRejects(name string, h *exchange.Header) (*rejectsFile, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	r := &rejectsFile{name: name, width: len(h.Names), f: f, w: exchange.NewCSVWriter(f)}
	return r, r.w.Write(append(append([]string(nil), h.Names...), "error"))
}

func (r *rejectsFile) write(rec exchange.Record, probs []exchange.Problem) error {
	msgs := make([]string, len(probs))
	for i, p := range probs {
		msgs[i] = p.Reason
		if p.Field != "" {
			msgs[i] = p.Field + ": " + p.Reason
		}
	}
	vals := make([]string, r.width)
	copy(vals, rec.Values)
	return r.w.Write(append(vals, strings.Join(msgs, "; ")))
}

func (r *rejectsFile) close() error {
	r.w.Flush()
	err := r.w.Error()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}
