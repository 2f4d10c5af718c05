package exchange

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// readAll converts every record of a testdata file and returns the rows
// and the problems by position.
func readAll(t *testing.T, name string) (*Header, []Row, map[int][]Problem) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rd Reader
	if strings.HasSuffix(name, ".geojson") {
		rd, err = NewGeoJSONReader(f)
	} else {
		rd, err = NewCSVReader(f)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	conv := &Converter{Country: "KH", Today: events.MustDate("2025-01-01")}
	probs := map[int][]Problem{}
	var rows []Row
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *RecordError
		if errors.As(err, &re) {
			probs[re.Pos] = append(probs[re.Pos], re.Problem)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		row, ps := conv.Convert(rd.Header(), rec)
		if len(ps) > 0 {
			probs[rec.Pos] = ps
			continue
		}
		rows = append(rows, row)
	}
	return rd.Header(), rows, probs
}

func TestExchangeReadsAreasCSV(t *testing.T) {
	h, rows, probs := readAll(t, "areas.csv")
	if h.Kind != Areas || len(probs) != 0 || len(rows) != 3 {
		t.Fatalf("kind %v, %d rows, problems %v", h.Kind, len(rows), probs)
	}
	reg := rows[0].First[0].Command.(domain.RegisterSuspectedArea)
	if reg.Village != "O'Chamlong, lower" || reg.SizeM2 != 12000 || reg.Classification != "CHA" || len(reg.Evidence) != 2 {
		t.Errorf("row 1: %+v", reg)
	}
	if rows[0].AreaID != events.NameID("import", "KH", "KH-BB-0001") || rows[0].Pos != 2 {
		t.Errorf("row 1: area %s at line %d", rows[0].AreaID, rows[0].Pos)
	}
	// ha × 10,000; the difference estimated − remaining is cancelled.
	reg2 := rows[1].First[0].Command.(domain.RegisterSuspectedArea)
	if reg2.SizeM2 != 15000 || reg2.Village != "ភូមិតាតោក" || len(reg2.Geometry) == 0 {
		t.Errorf("row 2: %+v", reg2)
	}
	if c, ok := rows[1].Then[0].Command.(domain.CancelArea); !ok || c.SizeM2 != 3000 {
		t.Errorf("row 2 follow-ups: %+v", rows[1].Then)
	}
	if c := rows[2].Then[0].Command.(domain.CancelArea); c.SizeM2 != 5000 {
		t.Errorf("row 3: released area not cancelled in full: %+v", c)
	}
}

func TestExchangeCommandIDsAreDeterministic(t *testing.T) {
	_, a, _ := readAll(t, "areas.csv")
	_, b, _ := readAll(t, "areas.csv")
	for i := range a {
		if a[i].First[0].ID != b[i].First[0].ID {
			t.Errorf("row %d: command IDs differ between two reads", i)
		}
	}
	if a[0].First[0].ID == a[1].First[0].ID {
		t.Error("two rows share a command ID")
	}
}

func TestExchangeReadsGeoJSON(t *testing.T) {
	h, rows, probs := readAll(t, "areas.geojson")
	if h.Kind != Areas || len(probs) != 0 || len(rows) != 2 {
		t.Fatalf("kind %v, %d rows, problems %v", h.Kind, len(rows), probs)
	}
	if rows[0].Pos != 0 || rows[1].Pos != 1 {
		t.Errorf("feature indexes %d, %d", rows[0].Pos, rows[1].Pos)
	}
	if !contains(h.Ignored, "imsma_guid") {
		t.Errorf("ignored columns %v", h.Ignored)
	}
	if c := rows[1].Then[0].Command.(domain.ClearArea); c.SizeM2 != 7500 || c.Operator != "MAG" {
		t.Errorf("feature 1 clearance %+v", c)
	}
}

func TestExchangeReadsActivities(t *testing.T) {
	h, rows, probs := readAll(t, "activities.csv")
	if h.Kind != Activities || len(probs) != 0 || len(rows) != 3 {
		t.Fatalf("kind %v, %d rows, problems %v", h.Kind, len(rows), probs)
	}
	if c := rows[1].First[0].Command.(domain.ClearArea); c.SizeM2 != 5000 {
		t.Errorf("0.5 ha cleared: %+v", c)
	}
	if c := rows[2].First[0].Command.(domain.CancelArea); c.SizeM2 != 0 || c.Method != events.CancelByNTS {
		t.Errorf("cancel all remaining: %+v", c)
	}
}

// The tricky file: BOM, CRLF, quoted commas and non-ASCII are read; units,
// dates and sizes are refused naming line and column.
func TestExchangeTrickyCSV(t *testing.T) {
	_, rows, probs := readAll(t, "tricky.csv")
	want := map[int]string{3: "area_unit", 4: "registered_on", 6: "remaining_area"}
	for line, field := range want {
		if len(probs[line]) != 1 || probs[line][0].Field != field {
			t.Errorf("line %d: want one problem on %s, got %v", line, field, probs[line])
		}
	}
	if len(rows) != 3 { // lines 2, 5 and 7; the duplicate T-1 is the importer's check
		t.Fatalf("%d rows read cleanly, want 3", len(rows))
	}
	reg := rows[0].First[0].Command.(domain.RegisterSuspectedArea)
	if reg.Commune != "Boeung, Reang" || reg.Village != "Phúm Thmey" || rows[0].LocalID != "T-1" {
		t.Errorf("BOM, quoting or UTF-8 lost: %q %+v", rows[0].LocalID, reg)
	}
}

func TestExchangeRefusesBadFiles(t *testing.T) {
	for name, want := range map[string]string{
		"empty.csv":          "no header",
		"binary.csv":         "not a CSV file",
		"missing_column.csv": "remaining_area",
	} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewCSVReader(f)
		f.Close()
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(fe.Error(), want) {
			t.Errorf("%s: want a FileError about %q, got %v", name, want, err)
		}
	}
	if _, err := NewGeoJSONReader(strings.NewReader(`{"type":"Feature"}`)); err == nil {
		t.Error("a lone Feature read as a FeatureCollection")
	}
}

func TestExchangeAreaIDKeepsUUIDs(t *testing.T) {
	id := events.NameID("x")
	if AreaID("KH", id.String()) != id {
		t.Error("a UUID local_id is not kept as the area ID")
	}
	if AreaID("KH", "A-1") == AreaID("LA", "A-1") {
		t.Error("the country does not enter the derived area ID")
	}
}
