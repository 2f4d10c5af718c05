package main

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/landrelease/landrelease/adapters/dashboard"
	"github.com/landrelease/landrelease/adapters/dashboard/i18n"
	"github.com/landrelease/landrelease/queries"
)

// printedFuncs are the template functions of a printed output in lang: t
// (the catalogue, adapters/dashboard/i18n), n (a whole number as lang
// writes it), pct, date, and khmerFont (the @font-face rules of the
// inlined Khmer font on a Khmer document, nothing otherwise).
func printedFuncs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":    func(key string, args ...any) string { return i18n.T(lang, key, args...) },
		"lang": func() string { return lang },
		"m2":   func(v int64) string { return i18n.Int(lang, v) },
		"n": func(v any) string {
			switch v := v.(type) {
			case int:
				return i18n.Int(lang, int64(v))
			case int64:
				return i18n.Int(lang, v)
			case uint64:
				return i18n.Int(lang, int64(v))
			}
			return fmt.Sprint(v)
		},
		"pct":  func(f float64) string { return i18n.Float(lang, 100*f, 0) + "%" },
		"dec1": func(f float64) string { return i18n.Float(lang, f, 1) },
		"date": func(t time.Time) string { return i18n.Date(lang, t) },
		"khmerFont": func() template.CSS {
			if lang == "km" {
				return dashboard.PrintedFontCSS()
			}
			return ""
		},
	}
}

// printedCSP is the Content-Security-Policy of a printed output: its own
// inline style and the font inlined in it, nothing else.
const printedCSP = "default-src 'none'; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'"

// checkLang validates a --lang flag: one of i18n.Languages.
func checkLang(a *app, verb, lang string) bool {
	if _, ok := i18n.Parse(lang); ok && len(lang) == 2 {
		return true
	}
	fmt.Fprintf(a.stderr, "landrelease %s: --lang %q: want one of %v (adapters/dashboard/i18n)\n", verb, lang, i18n.Languages)
	return false
}

// printedDoc is a printable document: its template parsed once per
// language, with printedFuncs(lang) and the document's own functions.
type printedDoc map[string]*template.Template

func newPrintedDoc(name, text string, own func(lang string, funcs template.FuncMap)) printedDoc {
	out := printedDoc{}
	for _, lang := range i18n.Languages {
		funcs := printedFuncs(lang)
		if own != nil {
			own(lang, funcs)
		}
		out[lang] = template.Must(template.New(name).Funcs(funcs).Parse(text))
	}
	return out
}

// render writes the document in lang ("" or unknown: the default language).
func (d printedDoc) render(w io.Writer, lang string, data any) error {
	t, ok := d[lang]
	if !ok {
		t = d[i18n.Default]
	}
	return t.Execute(w, data)
}

// planHTML is the printable work plan.
var planHTML = newPrintedDoc("plan", planHTMLText, nil)

// renderPlanHTML writes the printable work plan in lang ("" is English).
func renderPlanHTML(w io.Writer, p queries.WorkPlan, lang string) error {
	return planHTML.render(w, lang, p)
}

const planHTMLText = `<!doctype html>
<html lang="{{lang}}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="` + printedCSP + `">
` + printedNarrowHead + `
<title>{{t "print.plan.title" "province" .Province "year" .Year}}</title>
<style>
{{khmerFont}}body{font-family:system-ui,sans-serif;margin:2em;color:#222}
html[lang=km] body{font-family:"Noto Sans Khmer",system-ui,sans-serif;line-height:1.6}
h1{font-size:1.4em}table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.85em}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left}td.n{text-align:right}
th{background:#eee}.cha{color:#b00}.sha{color:#c60}
@media print{body{margin:0}a{color:inherit;text-decoration:none}}
</style></head><body>
<h1>{{t "print.plan.h1" "province" .Province "year" .Year}}</h1>
<p>{{t "print.plan.order"}}</p>
<p>{{t "print.plan.nts_summary" "capacity" (m2 .SurveyCapacityM2) "by" .SurveyCapacityBy "planned" (m2 .SurveyPlannedM2) "n" (n (len .ForNTS)) "cancel" (m2 .ExpectCancelM2) "share" (pct .CancelShare) "cha" (m2 .ExpectCHAM2)}}</p>
<p>{{t "print.plan.clear_summary" "capacity" (m2 .CapacityM2) "planned" (m2 .PlannedM2) "used" (pct .CapacityUsed) "n" (n (len .Areas))}}</p>
<p>{{t "print.plan.cost_summary" "cost" (m2 .CostUSD) "pledged" (m2 .FundingUSD) "gap" (m2 .GapUSD) "shortfall" (m2 .ShortfallUSD)}}
{{t "print.plan.selection"}} {{.Selection}}.</p>
<h2>{{t "plan.nts"}} ({{n (len .ForNTS)}})</h2>
<table id="nts"><tr><th>#</th><th>{{t "print.col.area"}}</th><th>{{t "print.col.district"}}</th><th>{{t "print.col.village"}}</th><th>{{t "print.col.land_use"}}</th><th>{{t "print.col.remaining"}}</th><th>{{t "print.col.survey"}}</th><th>{{t "print.col.carried"}}</th><th>{{t "print.col.expect_cancel"}}</th><th>{{t "print.col.expect_cha"}}</th></tr>
{{range .ForNTS}}<tr><td class="n">{{.Rank}}</td><td>{{.AreaID}}</td><td>{{.District}}</td><td>{{.Village}}</td><td>{{.LandUse}}</td><td class="n">{{m2 .RemainingM2}}</td><td class="n">{{m2 .PlannedM2}}</td><td class="n">{{m2 .CarriedM2}}</td><td class="n">{{m2 .ExpectCancel}}</td><td class="n">{{m2 .ExpectCHA}}</td></tr>
{{end}}</table>
<h2>{{t "plan.clearance"}} ({{n (len .Areas)}})</h2>
<table><tr><th>#</th><th>{{t "print.col.area"}}</th><th>{{t "print.col.district"}}</th><th>{{t "print.col.village"}}</th><th>{{t "print.col.class"}}</th><th>{{t "print.col.hazard"}}</th><th>{{t "print.col.land_use"}}</th><th>{{t "print.col.remaining"}}</th><th>{{t "print.col.planned"}}</th><th>{{t "print.col.carried"}}</th><th>{{t "print.col.to_clear"}}</th><th>{{t "print.col.casualties"}}</th><th>{{t "print.col.operator"}}</th><th>{{t "print.col.method"}}</th><th>{{t "print.col.cost"}}</th></tr>
{{range .Areas}}<tr><td class="n">{{.Rank}}</td><td>{{.AreaID}}</td><td>{{.District}}</td><td>{{.Village}}</td><td class="{{if eq .Class "CHA"}}cha{{else}}sha{{end}}">{{.Class}}</td><td>{{.Hazard}}</td><td>{{.LandUse}}</td><td class="n">{{m2 .RemainingM2}}</td><td class="n">{{m2 .PlannedM2}}</td><td class="n">{{m2 .CarriedM2}}</td><td class="n">{{m2 .ToClearM2}}</td><td class="n">{{n .Casualties}}</td><td>{{.Operator}}</td><td>{{.Method}}</td><td class="n">{{m2 .CostUSD}}</td></tr>
{{end}}</table>
<h2>{{t "plan.by_operator"}}</h2>
<table><tr><th>{{t "print.col.operator"}}</th><th>{{t "print.col.method"}}</th><th>{{t "print.col.areas"}}</th><th>{{t "print.col.to_clear"}}</th><th>{{t "print.col.capacity"}}</th><th>{{t "print.col.cost"}}</th></tr>
{{range .ByOperator}}<tr><td>{{.Operator}}</td><td>{{.Method}}</td><td class="n">{{n .Areas}}</td><td class="n">{{m2 .ToClearM2}}</td><td class="n">{{m2 .CapacityM2}}</td><td class="n">{{m2 .CostUSD}}</td></tr>
{{end}}</table>
<h2>{{t "print.plan.left_out"}} ({{n (len .LeftOut)}})</h2>
<table><tr><th>{{t "print.col.area"}}</th><th>{{t "print.col.stage"}}</th><th>{{t "print.col.class"}}</th><th>{{t "print.col.remaining"}}</th><th>{{t "print.col.score"}}</th><th>{{t "print.col.why"}}</th></tr>
{{range .LeftOut}}<tr><td>{{.AreaID}}</td><td>{{.Stage}}</td><td>{{.Class}}</td><td class="n">{{m2 .RemainingM2}}</td><td class="n">{{dec1 .Score}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>
<p>{{t "print.plan.approved"}} ____________________ &nbsp; {{t "print.plan.endorsed"}} ____________________</p>
</body></html>
`
