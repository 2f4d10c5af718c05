package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Clearance on an access-restricted area is refused by the CLI naming
// area_id and saying since when, why, and to lift first; a cancellation by
// desk analysis of the same area is accepted, and clearance is accepted
// once LiftAccessRestriction is recorded.
func TestExecRefusesClearanceOfRestrictedArea(t *testing.T) {
	id := uuid.Must(uuid.NewV7())
	dir := t.TempDir()
	exec := func(lines ...string) (int, string) {
		t.Helper()
		file := filepath.Join(t.TempDir(), "cmds.jsonl")
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, "", "--data-dir", dir, "exec", file)
		return code, out + errOut
	}
	clear := fmt.Sprintf(`{"command":"ClearArea","data":{"area_id":"%s","on":"2022-02-01","size_m2":10000,"operator":"HALO"}}`, id)
	if code, out := exec(
		fmt.Sprintf(`{"command":"RegisterSuspectedArea","data":{"area_id":"%s","province":"Oddar Meanchey","hazard":"AP","size_m2":100000,"registered_on":"2020-01-10","source":"BLS","classification":"CHA"}}`, id),
		fmt.Sprintf(`{"command":"RestrictAccess","data":{"area_id":"%s","on":"2021-03-01","reason":"Thai border: awaits a bilateral mechanism","expected_until":"2027-01-01"}}`, id),
	); code != exitOK {
		t.Fatalf("setup: exit %d\n%s", code, out)
	}
	code, out := exec(clear)
	if code != exitRefused || !strings.Contains(out, "field=area_id") || !strings.Contains(out, "access-restricted since 2021-03-01") ||
		!strings.Contains(out, "Thai border") || !strings.Contains(out, "LiftAccessRestriction") {
		t.Fatalf("clearance of a restricted area: exit %d, want %d naming area_id with the restriction\n%s", code, exitRefused, out)
	}
	if code, out := exec(fmt.Sprintf(`{"command":"CancelArea","data":{"area_id":"%s","on":"2022-02-01","method":"DESK_ANALYSIS","reason":"duplicate polygon","size_m2":5000}}`, id)); code != exitOK {
		t.Fatalf("desk cancellation of a restricted area: exit %d\n%s", code, out)
	}
	if code, out := exec(fmt.Sprintf(`{"command":"LiftAccessRestriction","data":{"area_id":"%s","on":"2022-01-15"}}`, id), clear); code != exitOK {
		t.Fatalf("clearance after the lifting: exit %d\n%s", code, out)
	}
}
