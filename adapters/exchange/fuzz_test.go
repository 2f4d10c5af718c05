package exchange

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// drain reads every record of rd and converts it, as the importer's first
// pass does; it must neither panic nor loop.
func drain(t *testing.T, rd Reader) {
	conv := &Converter{Country: "KH"}
	for i := 0; i < 10_000; i++ {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			return // the rest cannot be read (FileError)
		}
		if err == nil {
			row, probs := conv.Convert(rd.Header(), rec)
			if len(probs) == 0 && len(row.First) == 0 {
				t.Fatalf("record %d converted to no command and no problem", rec.Pos)
			}
		}
	}
	t.Fatal("reader did not end")
}

func addFiles(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzReadCSV(f *testing.F) {
	addFiles(f, "areas.csv", "activities.csv", "tricky.csv", "missing_column.csv", "empty.csv", "binary.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewCSVReader(bytes.NewReader(data))
		if err != nil {
			return // refused as a whole: no header, not CSV, not a FeatureCollection
		}
		drain(t, rd)
	})
}

func FuzzReadGeoJSON(f *testing.F) {
	addFiles(f, "areas.geojson", "tricky.geojson")
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewGeoJSONReader(bytes.NewReader(data))
		if err != nil {
			return // refused as a whole: no header, not CSV, not a FeatureCollection
		}
		drain(t, rd)
	})
}
