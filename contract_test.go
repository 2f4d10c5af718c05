package landrelease_test

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// contractNames returns the names in the first column of the tables under the
// level-2 heading of docs/contract.md, in the order they are listed.
func contractNames(t *testing.T, heading string) []string {
	t.Helper()
	f, err := os.Open("docs/contract.md")
	if err != nil {
		t.Fatalf("the contract must live in the repository: %v", err)
	}
	defer f.Close()
	var names []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## "+heading
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.TrimSpace(strings.SplitN(line[1:], "|", 2)[0])
		names = append(names, strings.Trim(cell, "`"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("docs/contract.md: no table rows under %q", "## "+heading)
	}
	return names
}

// sameSet reports names in code but not in the contract and the reverse.
func sameSet(t *testing.T, what string, code, contract []string) {
	t.Helper()
	for _, n := range code {
		if !slices.Contains(contract, n) {
			t.Errorf("%s %q exists in the code but is not in docs/contract.md", what, n)
		}
	}
	for _, n := range contract {
		if !slices.Contains(code, n) {
			t.Errorf("%s %q is in docs/contract.md but not in the code", what, n)
		}
	}
}

func TestContractListsEveryCommand(t *testing.T) {
	sameSet(t, "command", domain.CommandNames(), contractNames(t, "Commands"))
}

func TestContractListsEveryEvent(t *testing.T) {
	sameSet(t, "event", events.NewRegistry().Types(), contractNames(t, "Events"))
}

func TestContractListsEveryErrorKind(t *testing.T) {
	var codes []string
	for _, k := range domain.Kinds() {
		codes = append(codes, k.Code())
	}
	sameSet(t, "error kind", codes, contractNames(t, "Errors"))
	api, err := os.ReadFile("docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		if !strings.Contains(string(api), "`"+c+"`") {
			t.Errorf("docs/api.md does not say the error kind `%s`", c)
		}
	}
}
