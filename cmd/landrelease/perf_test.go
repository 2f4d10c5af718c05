package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/internal/perf"
)

// landrelease bench at a tiny scale measures every phase (PostgreSQL when
// the test server answers), prints well-formed JSON with a figure for each,
// and rewrites only the generated section of a Markdown file.
func TestBenchMeasuresEveryPhase(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "performance.md")
	prose := "# Performance\n\nHand-written method.\n\n## Latest run\n\n" + perf.MarkdownBegin + "\nold table\n" + perf.MarkdownEnd + "\n\n## After\n\nMore prose.\n"
	if err := os.WriteFile(doc, []byte(prose), 0o644); err != nil {
		t.Fatal(err)
	}
	pg := os.Getenv("LANDRELEASE_TEST_PG")
	t.Setenv(testAsCLI, "1") // bench runs exec as a child of this binary
	code, out, errOut := run(t, "", "bench", "--scales", "0.01,0.02", "--quick", "--json", "--dir", filepath.Join(dir, "scratch"),
		"--markdown", doc, "--pg", pg)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep perf.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(rep.Scales) != 2 || rep.Machine.Cores == 0 {
		t.Fatalf("want two scales and the machine: %+v", rep)
	}
	for _, s := range rep.Scales {
		if s.Events == 0 || s.Areas == 0 || s.Commands == 0 {
			t.Errorf("%s: empty history: %+v", perf.ScaleName(s.Scale), s)
		}
		seen := map[string]bool{}
		for _, p := range s.Phases {
			seen[p.Key] = true
			if p.Skipped != "" {
				if p.Key != "rebuild_pg" || pg != "" {
					t.Errorf("%s: %s skipped: %s", perf.ScaleName(s.Scale), p.Key, p.Skipped)
				}
				continue
			}
			if p.Units <= 0 || p.Seconds <= 0 || p.Rate <= 0 {
				t.Errorf("%s: %s has no figure: %+v", perf.ScaleName(s.Scale), p.Key, p)
			}
			if p.Ceiling != "" && p.Ratio <= 0 {
				t.Errorf("%s: %s has no ratio to %s", perf.ScaleName(s.Scale), p.Key, p.Ceiling)
			}
			if p.PeakRSSMiB <= 0 {
				t.Errorf("%s: %s has no peak RSS", perf.ScaleName(s.Scale), p.Key)
			}
			if (p.Key == "raw_snapshot" || p.Key == "backup") && (p.Bytes <= 0 || p.OfStore <= 0 || (p.Key == "backup") != (p.SizeRatio > 0)) {
				t.Errorf("%s: %s has no size, share of the store or ratio to the raw snapshot's: %+v", perf.ScaleName(s.Scale), p.Key, p)
			}
			if p.Child != (p.Key == "exec" || p.Key == "serve_start" || p.Key == "serve_restart" || p.Key == "as_of_verb") {
				t.Errorf("%s: %s ran in a child process: %v; want exec, serve and state --as-of alone there (their peak is the verb's own)", perf.ScaleName(s.Scale), p.Key, p.Child)
			}
		}
		for _, key := range perf.PhaseKeys() {
			if !seen[key] {
				t.Errorf("%s: phase %s missing", perf.ScaleName(s.Scale), key)
			}
		}
	}
	if len(rep.Growth) == 0 {
		t.Error("no growth table with two scales")
	}
	md, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Hand-written method.", "## After\n\nMore prose.\n", "| rebuild into SQLite |", "| backup |", " of the store, ", "**Growth:", perf.MarkdownEnd} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	if bytes.Contains(md, []byte("old table")) || strings.Count(string(md), "<!-- bench:begin") != 1 {
		t.Errorf("the generated section was not replaced:\n%s", md)
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"bench", "--scales", "0"}, {"bench", "--only", "everything"}, {"bench", "--only", "backups"}, {"bench", "extra"}} {
		if code, _, _ := run(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// bench --only backup,restore measures the history's exec and the backup
// and restore phases and nothing else (how the 100× figures are taken
// alone), the backup and the restores next to their raw ceilings.
func TestBenchOnlyBackupRestore(t *testing.T) {
	t.Setenv(testAsCLI, "1")
	code, out, errOut := run(t, "", "bench", "--scales", "0.01", "--quick", "--only", "backup,restore", "--json", "--dir", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep perf.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	var keys []string
	for _, p := range rep.Scales[0].Phases {
		keys = append(keys, p.Key)
		if p.Skipped != "" || p.Units <= 0 || p.Seconds <= 0 {
			t.Errorf("%s: no figure: %+v", p.Key, p)
		}
		if p.Key != "exec" && p.Ceiling != "" && p.Ratio <= 0 { // exec's ceiling is in the append group
			t.Errorf("%s: no ratio to %s", p.Key, p.Ceiling)
		}
	}
	want := "exec raw_snapshot backup raw_restore restore restore_rebuild"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("phases %q, want %q", got, want)
	}
}
