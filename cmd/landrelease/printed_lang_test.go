package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/adapters/dashboard/i18n"
	"github.com/landrelease/landrelease/queries"
)

// The printed work plan and annual report use only keys both catalogues
// have, render in each language with none missing, and a Khmer one carries
// its font inline (a saved file needs no server) and a policy that lets it.
func TestI18nPrintedOutputs(t *testing.T) {
	key := regexp.MustCompile(`\bt "([^"]+)"`)
	for name, text := range map[string]string{"work plan": planHTMLText, "annual report": reportHTMLText} {
		keys := key.FindAllStringSubmatch(text, -1)
		if len(keys) < 20 {
			t.Errorf("the %s uses %d catalogue keys, want its every label", name, len(keys))
		}
		for _, m := range keys {
			for _, lang := range i18n.Languages {
				if _, ok := i18n.Catalogue(lang)[m[1]]; !ok {
					t.Errorf("the %s uses %q, which %s.json lacks", name, m[1], lang)
				}
			}
		}
	}
	plan := queries.WorkPlan{Province: "Pailin", Year: 2022}
	report := queries.Report{Year: 2021, From: "2021-01-01", To: "2021-12-31"}
	for _, lang := range i18n.Languages {
		var p, r bytes.Buffer
		if err := renderPlanHTML(&p, plan, lang); err != nil {
			t.Fatal(err)
		}
		if err := renderReportHTML(&r, report, lang); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"work plan": p.String(), "annual report": r.String()} {
			if strings.Contains(out, "⟦") || !strings.Contains(out, `<html lang="`+lang+`">`) {
				t.Errorf("%s in %s: a key is missing or the language is not declared:\n%.300s", name, lang, out)
			}
			inline := strings.Contains(out, "@font-face{font-family:'Noto Sans Khmer'") && strings.Contains(out, "data:font/woff2;base64,")
			if inline != (lang == "km") {
				t.Errorf("%s in %s: Khmer font inlined %v, want it in Khmer only", name, lang, inline)
			}
			if !strings.Contains(out, "font-src data:") {
				t.Errorf("%s in %s: the policy does not allow the inlined font", name, lang)
			}
		}
		if want := i18n.T(lang, "print.plan.h1", "province", "Pailin", "year", 2022); !strings.Contains(p.String(), "<h1>"+want+"</h1>") {
			t.Errorf("work plan in %s lacks the heading %q", lang, want)
		}
	}
	if !strings.Contains(func() string { var b bytes.Buffer; renderReportHTML(&b, report, "km"); return b.String() }(), "1 មករា 2021") {
		t.Error("the Khmer report does not write its period with Khmer month names")
	}
}
