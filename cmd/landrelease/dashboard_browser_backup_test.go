package main

import (
	"strings"
	"testing"
)

// dashboardShowsBackup checks, in headless Chromium, that the dashboard's
// status bar (on every page) shows the last good backup that the health
// endpoint reports for serve at base: "last backup <its UTC time>", in the
// ok state, its file named in the tooltip. TestServeScheduledBackups runs
// it once serve's scheduled backup has been reported.
func dashboardShowsBackup(t *testing.T, base string, good backupRecord) {
	b := openBrowser(t, needChromium(t), base)
	b.open(t, "/", `#backup:not([hidden])`)
	want := "last backup " + good.At.UTC().Format("2006-01-02 15:04:05") + " UTC"
	if got := b.text(t, "#backup"); got != want {
		b.screenshot(t, "backup-status")
		t.Fatalf("the status bar shows %q, want %q", got, want)
	}
	if state := b.attr(t, "#backup", "data-state"); state != "ok" {
		t.Errorf("the backup status's state is %q, want ok", state)
	}
	if title := b.attr(t, "#backup", "title"); !strings.Contains(title, good.File) {
		t.Errorf("the backup status's tooltip %q does not name the file %s", title, good.File)
	}
	b.noProblems(t, "/")
}
