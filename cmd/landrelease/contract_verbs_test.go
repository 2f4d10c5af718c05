package main

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// Every verb of the CLI is in docs/contract.md's verb table, and every verb
// there exists.
func TestContractListsEveryVerb(t *testing.T) {
	f, err := os.Open("../../docs/contract.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var listed []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, "## Command-line interface")
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.SplitN(line[1:], "|", 2)[0]
		// "`import` / `export`" and "`exec FILE`" name verbs too.
		for _, part := range strings.Split(cell, "/") {
			name, _, _ := strings.Cut(strings.Trim(strings.TrimSpace(part), "`"), " ")
			listed = append(listed, name)
		}
	}
	if len(listed) == 0 {
		t.Fatal("no verb table in docs/contract.md")
	}
	for _, v := range verbNames() {
		if !slices.Contains(listed, v) {
			t.Errorf("verb %q is not in docs/contract.md", v)
		}
	}
	for _, v := range listed {
		if _, ok := verbs[v]; !ok {
			t.Errorf("docs/contract.md lists verb %q, which does not exist", v)
		}
	}
}
