package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The index snapshot file is replaced atomically: a write killed half way
// (a temporary file left beside it) leaves the previous snapshot readable,
// and the next write removes what was left. (A snapshot that is damaged or
// cut short anyway is ignored by the handler: TestIndexSnapshot.)
func TestIndexFileReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	f := indexFile{dir: dir}
	if b, err := f.Read(); b != nil || err != nil {
		t.Fatalf("no snapshot yet: %q %v", b, err)
	}
	if err := f.Write([]byte("first")); err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(dir, "."+indexFileName+"-12345")
	if err := os.WriteFile(killed, []byte("half of the sec"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := f.Read(); !bytes.Equal(b, []byte("first")) || err != nil {
		t.Fatalf("after a killed write: %q %v, want the previous snapshot", b, err)
	}
	if err := f.Write([]byte("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := f.Read(); !bytes.Equal(b, []byte("second")) {
		t.Fatalf("read %q, want the new snapshot", b)
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Fatalf("the killed write's file is still there: %v", err)
	}
}
