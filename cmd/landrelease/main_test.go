package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
)

// run runs the CLI in process and returns its exit status and output.
func run(t testing.TB, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// writeCommands writes envs as a JSON Lines file and returns its path.
func writeCommands(t *testing.T, envs []domain.CommandEnvelope) string {
	t.Helper()
	var b bytes.Buffer
	for _, e := range envs {
		line, err := domain.EncodeCommand(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "commands.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func countPrefix(lines []string, word string) int {
	n := 0
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 1 && f[1] == word {
			n++
		}
	}
	return n
}

func TestHelpForEveryVerb(t *testing.T) {
	code, out, _ := run(t, "", "--help")
	if code != exitOK || !strings.Contains(out, "exec") {
		t.Fatalf("--help: exit %d\n%s", code, out)
	}
	for name := range verbs {
		code, out, _ := run(t, "", name, "--help")
		if code != exitOK || !strings.Contains(out, "Usage: landrelease "+name) || !strings.Contains(out, "--data-dir") && !strings.Contains(out, "-data-dir") {
			t.Errorf("%s --help: exit %d\n%s", name, code, out)
		}
	}
	if code, _, errOut := run(t, "", "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown verb") {
		t.Errorf("unknown verb: exit %d, %s", code, errOut)
	}
	if code, _, _ := run(t, "", "exec"); code != exitUsage {
		t.Errorf("exec without a file: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := run(t, "", "--country", "Cambodia", "exec", "-"); code != exitUsage {
		t.Errorf("bad --country: exit %d, want %d", code, exitUsage)
	}
}
