// Package i18n holds the dashboard's and the printed outputs' message
// catalogues, one flat JSON file per language (en.json, km.json: key →
// text, edited by hand; README.md says how), and formats numbers and dates
// for a language.
//
// Numbers are written with Western digits and the separators current CLDR
// gives Khmer, which are English's (1,234,567 and 12.5): the figures of a
// printed plan are checked against its CSV and GeoPackage and against the
// English plan, and Western digits keep that a glance. Browsers (ICU) write
// km that way; the CLDR bundled in golang.org/x/text still has an older
// 1.234.567, so numberTag maps Khmer to English and the printed plan and the
// pages agree. Dates name the month in the language ("5 ធ្នូ 2026"). For
// Khmer numerals, numberTag's Khmer becomes "km-u-nu-khmr" (and
// static/assets/app.js's LOCALE the same).
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

//go:embed en.json km.json
var files embed.FS

// Languages are the languages with a catalogue, the default first.
var Languages = []string{"en", "km"}

// Default is the language of a request that asks for none the catalogues have.
const Default = "en"

var tags = []language.Tag{language.English, language.Khmer}

var matcher = language.NewMatcher(tags)

var catalogues = sync.OnceValue(func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range Languages {
		b, err := files.ReadFile(lang + ".json")
		if err != nil {
			panic(err) // embedded at build time
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			// The catalogues are part of the binary: a broken one is a build
			// error, which TestCataloguesHaveTheSameKeys names.
			panic(fmt.Sprintf("i18n: %s.json is not a flat JSON object of strings: %v", lang, err))
		}
		out[lang] = m
	}
	return out
})

// Catalogue answers the catalogue of lang (nil for a language without one).
// The map is shared: do not change it.
func Catalogue(lang string) map[string]string { return catalogues()[lang] }

// Keys answers the keys of lang's catalogue, sorted.
func Keys(lang string) []string {
	var keys []string
	for k := range Catalogue(lang) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// T answers the text of key in lang, with {name} placeholders replaced by
// the pairs in args ("name", value, ...). A key missing from lang falls back
// to English, and one missing from both answers "⟦key⟧" so that it shows;
// the tests keep both from happening.
func T(lang, key string, args ...any) string {
	s, ok := Catalogue(lang)[key]
	if !ok {
		s, ok = Catalogue(Default)[key]
	}
	if !ok {
		return "⟦" + key + "⟧"
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return s
}

// Parse answers the catalogue language of s ("km", "km-KH", "EN") and
// whether there is one.
func Parse(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", false
	}
	base, _, _ := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	if slices.Contains(Languages, base) {
		return base, true
	}
	return "", false
}

// Match answers the catalogue language that best fits an Accept-Language
// header, or Default.
func Match(acceptLanguage string) string {
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return Default
	}
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return Default
	}
	return Languages[i]
}

// numberTag is the locale numbers of lang are written in (see the package
// comment): English's separators for both languages.
func numberTag(string) language.Tag { return language.English }

// Int formats n with lang's digit grouping (1,234,567).
func Int(lang string, n int64) string {
	return message.NewPrinter(numberTag(lang)).Sprint(number.Decimal(n))
}

// Float formats f with d decimals in lang's style (12.5).
func Float(lang string, f float64, d int) string {
	return message.NewPrinter(numberTag(lang)).Sprint(number.Decimal(f, number.Scale(d)))
}

// Date formats t as day, month name and year in lang ("5 December 2026",
// "5 ធ្នូ 2026"), from the catalogue's month.1 … month.12.
func Date(lang string, t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), T(lang, fmt.Sprintf("month.%d", int(t.Month()))), t.Year())
}

// JS answers the entries of lang's catalogue whose key starts with "js.",
// for a page's scripts (passed in the page as JSON).
func JS(lang string) map[string]string {
	out := map[string]string{}
	for k, v := range Catalogue(lang) {
		if strings.HasPrefix(k, "js.") || strings.HasPrefix(k, "month.") {
			out[k] = v
		}
	}
	return out
}
