package dashboard_test

import (
	"strings"
	"testing"

	"github.com/landrelease/landrelease/adapters/dashboard"
)

// Every page is rendered from the one layout: a complete document with the
// shared navigation, its own title, page name and scripts.
func TestPagesShareOneLayout(t *testing.T) {
	pages := dashboard.Pages()
	if len(pages) < 8 {
		t.Fatalf("%d pages rendered, want the dashboard's 8 or more", len(pages))
	}
	for name, b := range pages {
		s := string(b)
		for _, want := range []string{"<!doctype html>", `<nav class="top" aria-label="Pages">`, `<a href="/forecast.html" data-page="forecast">`,
			" · landrelease</title>", `<script src="/assets/app.js" defer></script>`, "<main>\n", "</main>\n</body>\n</html>\n"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if strings.Contains(s, "{{") || strings.Contains(s, "<title> · ") || strings.Contains(s, `data-page=""`) {
			t.Errorf("%s is not fully rendered:\n%.400s", name, s)
		}
	}
}
