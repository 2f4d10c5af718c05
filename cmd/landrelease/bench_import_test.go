package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// BenchmarkImport imports LANDRELEASE_BENCH_ROWS areas (default 100,000)
// from CSV into a fresh data dir and, in the same run, execs the equivalent
// JSON Lines commands into another: rows/s, peak RSS, and the ratio
// import ÷ exec (target ≥ 0.8).
//
//	go test -run '^$' -bench Import -benchtime 1x -timeout 30m ./cmd/landrelease/
func BenchmarkImport(b *testing.B) {
	rows := 100_000
	if n, err := strconv.Atoi(os.Getenv("LANDRELEASE_BENCH_ROWS")); err == nil && n > 0 {
		rows = n
	}
	dir := b.TempDir()
	csvPath, jsonlPath := filepath.Join(dir, "areas.csv"), filepath.Join(dir, "areas.jsonl")
	writeBenchFiles(b, rows, csvPath, jsonlPath)
	for i := 0; i < b.N; i++ {
		measure := func(args ...string) (time.Duration, float64) {
			resetPeakRSS()
			start := time.Now()
			var errb bytes.Buffer
			if code := Main(context.Background(), args, nil, io.Discard, &errb); code != exitOK {
				b.Fatalf("%v: exit %d: %s", args, code, errb.String())
			}
			return time.Since(start), peakRSS()
		}
		execD, execRSS := measure("--data-dir", filepath.Join(dir, fmt.Sprintf("exec%d", i)), "exec", jsonlPath)
		impD, impRSS := measure("--data-dir", filepath.Join(dir, fmt.Sprintf("import%d", i)), "import", csvPath)
		ratio := execD.Seconds() / impD.Seconds()
		b.ReportMetric(float64(rows)/impD.Seconds(), "import_rows/s")
		b.ReportMetric(ratio, "import/exec")
		b.Logf("\n%-34s %10s %12s %10s\n%-34s %10.2f %12.0f %10.0f\n%-34s %10.2f %12.0f %10.0f\nimport ÷ exec = %.2f (target ≥ 0.8)",
			"path", "seconds", "rows/s", "peak MiB",
			"exec of the equivalent commands", execD.Seconds(), float64(rows)/execD.Seconds(), execRSS,
			"import of the CSV", impD.Seconds(), float64(rows)/impD.Seconds(), impRSS, ratio)
	}
}

// writeBenchFiles writes n areas as an IMSMA-style CSV and as the
// RegisterSuspectedArea commands an import makes of it.
func writeBenchFiles(b *testing.B, n int, csvPath, jsonlPath string) {
	cf, err := os.Create(csvPath)
	if err != nil {
		b.Fatal(err)
	}
	jf, err := os.Create(jsonlPath)
	if err != nil {
		b.Fatal(err)
	}
	cw, jw := bufio.NewWriter(cf), bufio.NewWriter(jf)
	fmt.Fprintln(cw, "local_id,province,district,hazard,classification,estimated_area,remaining_area,area_unit,evidence,registered_on,land_use")
	provinces := domain.Provinces("KH")
	for i := 0; i < n; i++ {
		prov := provinces[i%len(provinces)]
		size := int64(1000 + (i*7919)%400_000)
		fmt.Fprintf(cw, "B-%d,%s,District %d,AP,SHA,%d,%d,m2,WITNESS,2019-03-01,AGRICULTURE\n", i, prov, i%7, size, size)
		cmd := domain.RegisterSuspectedArea{AreaID: events.NameID("bench", strconv.Itoa(i)), Province: prov, District: fmt.Sprintf("District %d", i%7),
			Hazard: "AP", Classification: "SHA", SizeM2: size, RegisteredOn: events.MustDate("2019-03-01"), Source: "OTHER", LandUse: "AGRICULTURE",
			Evidence: []events.Evidence{{Kind: "WITNESS", ObservedOn: events.MustDate("2019-03-01")}}}
		line, err := domain.EncodeCommand(domain.CommandEnvelope{ID: events.NameID("bench-cmd", strconv.Itoa(i)), Actor: "import", Command: cmd})
		if err != nil {
			b.Fatal(err)
		}
		jw.Write(line)
		jw.WriteByte('\n')
	}
	cw.Flush()
	jw.Flush()
	cf.Close()
	jf.Close()
}
