package dashboard_test

import (
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/landrelease/landrelease/adapters/dashboard"
	"github.com/landrelease/landrelease/adapters/dashboard/i18n"
)

// Both catalogues have the same keys, none empty, and each entry has the
// same {placeholders} in both: a reviewer who drops one breaks the page.
func TestI18nCataloguesHaveTheSameKeys(t *testing.T) {
	en, km := i18n.Catalogue("en"), i18n.Catalogue("km")
	if len(en) < 100 {
		t.Fatalf("en catalogue has %d entries, want the dashboard's labels", len(en))
	}
	placeholder := regexp.MustCompile(`\{[a-z0-9_]+\}`)
	for _, pair := range [][2]string{{"en", "km"}, {"km", "en"}} {
		for _, k := range i18n.Keys(pair[0]) {
			if _, ok := i18n.Catalogue(pair[1])[k]; !ok {
				t.Errorf("%s.json has %q, %s.json does not", pair[0], k, pair[1])
			}
		}
	}
	for k, v := range en {
		if strings.TrimSpace(v) == "" || strings.TrimSpace(km[k]) == "" {
			t.Errorf("%q is empty in a catalogue", k)
		}
		a, b := placeholder.FindAllString(v, -1), placeholder.FindAllString(km[k], -1)
		slices.Sort(a)
		slices.Sort(b)
		if _, ok := km[k]; ok && !slices.Equal(a, b) {
			t.Errorf("%q: placeholders %v in en.json, %v in km.json", k, a, b)
		}
	}
}

// Every key the templates (t "key") and the scripts (t("js.key")) use is in
// both catalogues, and every rendered page in every language shows none
// missing.
func TestI18nEveryKeyUsedExists(t *testing.T) {
	used := map[string][]string{}
	tmpl := regexp.MustCompile(`\bt "([^"]+)"`)
	script := regexp.MustCompile(`\bt\("([A-Za-z0-9_.]*[A-Za-z0-9_])"`) // "month." + n is built, not a key
	walk := func(fsys fs.FS, re *regexp.Regexp, ext string) {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ext) || strings.HasPrefix(p, "vendor/") {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = append(used[m[1]], p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	walk(dashboard.Templates(), tmpl, ".html")
	walk(dashboard.Files(), script, ".js")
	if len(used) < 100 {
		t.Fatalf("found %d keys in use, want the dashboard's labels", len(used))
	}
	for key, where := range used {
		if strings.HasPrefix(where[0], "assets/") && !strings.HasPrefix(key, "js.") {
			t.Errorf("%v: script key %q does not start with js. (only js. entries reach the page)", slices.Compact(where), key)
		}
		for _, lang := range i18n.Languages {
			if _, ok := i18n.Catalogue(lang)[key]; !ok {
				t.Errorf("%v uses %q, which %s.json lacks", slices.Compact(where), key, lang)
			}
		}
	}
	for _, lang := range i18n.Languages {
		for name, b := range dashboard.PagesIn(lang) {
			if strings.Contains(string(b), "⟦") {
				t.Errorf("%s in %s shows a missing key", name, lang)
			}
			if !strings.Contains(string(b), `<html lang="`+lang+`">`) {
				t.Errorf("%s in %s lacks <html lang=%q>", name, lang, lang)
			}
		}
	}
}

// No label is left as English text in a template: once tags, template
// actions and <code> are taken out, no word of lower-case letters remains
// (acronyms such as SHA, CHA, AP and the brand stay), and aria-label,
// placeholder and title attributes are translated.
func TestI18nTemplatesHaveNoLiteralLabels(t *testing.T) {
	drop := regexp.MustCompile(`(?s)\{\{define "page"\}\}.*?\{\{end\}\}|<code>.*?</code>|<script.*?</script>|\{\{.*?\}\}|<[^>]*>|&[a-z]+;`)
	attr := regexp.MustCompile(`(?:aria-label|placeholder|title|alt)="([^"{]+)"`)
	word := regexp.MustCompile(`[A-Za-z]*[a-z][A-Za-z]*`)
	fsys := dashboard.Templates()
	names, _ := fs.Glob(fsys, "*.html")
	for _, name := range names {
		b, _ := fs.ReadFile(fsys, name)
		for _, m := range attr.FindAllStringSubmatch(string(b), -1) {
			t.Errorf("%s: attribute text %q is not translated", name, m[1])
		}
		text := drop.ReplaceAllString(string(b), " ")
		for _, w := range word.FindAllString(text, -1) {
			if w != "landrelease" {
				t.Errorf("%s: %q is text outside the catalogue", name, w)
			}
		}
	}
}

// The language: ?lang= chooses it and a cookie remembers it; without
// either, Accept-Language decides, and English is the default.
func TestI18nLanguageSwitchRemembersTheChoice(t *testing.T) {
	base := mustServe(t)
	kmTitle := i18n.T("km", "overview.title")
	res, body := get(t, base+"/?lang=km")
	if !strings.Contains(body, "<h1>"+kmTitle+"</h1>") || res.Header.Get("Content-Language") != "km" {
		t.Fatalf("?lang=km: Content-Language %q, page without the Khmer title %q", res.Header.Get("Content-Language"), kmTitle)
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == dashboard.LangCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "km" || cookie.MaxAge <= 0 || cookie.Path != "/" {
		t.Fatalf("?lang=km did not set a lasting %s cookie: %v", dashboard.LangCookie, res.Cookies())
	}
	if _, body := get(t, base+"/province.html", "Cookie", dashboard.LangCookie+"=km"); !strings.Contains(body, i18n.T("km", "province.lead")) {
		t.Error("with the km cookie, the province page is not in Khmer")
	}
	if _, body := get(t, base+"/audit.html", "Accept-Language", "km-KH,km;q=0.9,en;q=0.5"); !strings.Contains(body, i18n.T("km", "audit.h1")) {
		t.Error("Accept-Language km-KH did not give the Khmer page")
	}
	if _, body := get(t, base+"/", "Accept-Language", "fr-FR,fr;q=0.9"); !strings.Contains(body, "<h1>National overview</h1>") {
		t.Error("Accept-Language fr did not fall back to English")
	}
	if _, body := get(t, base+"/?lang=en", "Cookie", dashboard.LangCookie+"=km"); !strings.Contains(body, "<h1>National overview</h1>") {
		t.Error("?lang=en did not override the cookie")
	}
	res, _ = get(t, base+"/?lang=km")
	if res.Header.Get("Vary") == "" || res.Header.Get("ETag") == "" {
		t.Errorf("a page varies by language: Vary %q, ETag %q", res.Header.Get("Vary"), res.Header.Get("ETag"))
	}
	if en, _ := get(t, base+"/?lang=en"); en.Header.Get("ETag") == res.Header.Get("ETag") {
		t.Error("the English and Khmer pages share an ETag")
	}
}

// Numbers and dates for the language: as browsers write them (current
// CLDR, Western digits), Khmer month names.
func TestI18nFormatsNumbersAndDates(t *testing.T) {
	for _, c := range []struct{ lang, got, want string }{
		{"en", i18n.Int("en", 1234567), "1,234,567"},
		{"km", i18n.Int("km", 1234567), "1,234,567"},
		{"km", i18n.Float("km", 12.5, 1), "12.5"},
		{"km", i18n.Date("km", mustDate(t, "2026-12-05")), "5 ធ្នូ 2026"},
		{"en", i18n.Date("en", mustDate(t, "2026-12-05")), "5 December 2026"},
		{"km", i18n.Match("km-KH"), "km"},
		{"en", i18n.Match(""), "en"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.lang, c.got, c.want)
		}
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
