package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestDataDirIsLockedWhileInUse: a second process on a data dir whose
// embedded server runs is refused with what to do, instead of opening the
// same files (which would corrupt the history); once the first closes, the
// data dir is free again.
func TestDataDirIsLockedWhileInUse(t *testing.T) {
	dir := t.TempDir()
	g := defaultGlobals()
	g.dataDir = dir
	first, err := openEngine(context.Background(), g, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "", "--data-dir", dir, "state")
	if code != exitRefused || !strings.Contains(errOut, "in use by another landrelease process") || !strings.Contains(errOut, "--nats-url") {
		t.Fatalf("second process on a busy data dir: exit %d\n%s", code, errOut)
	}
	first.Close()
	if code, _, errOut := run(t, "", "--data-dir", dir, "state"); code != exitOK {
		t.Fatalf("after the first closed: exit %d\n%s", code, errOut)
	}
}
