package main

import (
	"html/template"
	"io"
	"time"

	"github.com/landrelease/landrelease/adapters/dashboard/i18n"
	"github.com/landrelease/landrelease/queries"
)

// reportHTML is the printable annual report, one template per language.
// The sources and notes name projections and events, and stay as the
// queries write them (English).
var reportHTML = newPrintedDoc("report", reportHTMLText, func(lang string, funcs template.FuncMap) {
	funcs["pct"] = func(f *float64) string {
		if f == nil {
			return i18n.T(lang, "print.na")
		}
		return i18n.Float(lang, 100**f, 1) + "%"
	}
	funcs["ratio"] = func(f *float64) string {
		if f == nil {
			return i18n.T(lang, "print.na")
		}
		return i18n.Float(lang, *f, 2)
	}
	funcs["scope"] = func(r queries.Report) string {
		if r.Province == "" {
			return i18n.T(lang, "print.report.national")
		}
		return r.Province
	}
	// isoDate writes a YYYY-MM-DD date as lang does ("1 មករា 2021").
	funcs["isoDate"] = func(s string) string {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return s
		}
		return i18n.Date(lang, d)
	}
})

// renderReportHTML writes the printable annual report in lang ("" is English).
func renderReportHTML(w io.Writer, r queries.Report, lang string) error {
	return reportHTML.render(w, lang, r)
}

const reportHTMLText = `<!doctype html>
<html lang="{{lang}}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="` + printedCSP + `">
` + printedNarrowHead + `
<title>{{t "print.report.title" "year" .Year "scope" (scope .)}}</title>
<style>
{{khmerFont}}body{font-family:system-ui,sans-serif;margin:2em;color:#222}
html[lang=km] body{font-family:"Noto Sans Khmer",system-ui,sans-serif;line-height:1.6}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}table{border-collapse:collapse;margin:.5em 0;font-size:.85em}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left}td.n{text-align:right}
th{background:#eee}.src{color:#666;font-size:.8em}.missed{color:#b00}.met{color:#070}
@media print{body{margin:0}h2{page-break-after:avoid}}
</style></head><body>
<h1>{{t "print.report.h1" "year" .Year "scope" (scope .)}}</h1>
<p>{{t "print.report.period" "from" (isoDate .From) "to" (isoDate .To) "seq" .Sequence "n" (n .Events.Count)}}{{if .Events.Count}} {{t "print.report.sequences" "first" .Events.FirstSequence "last" .Events.LastSequence}}{{end}}.</p>
<h2>{{t "print.report.contamination"}}</h2>
<table><tr><th>{{t "print.col.province"}}</th><th>{{t "print.report.sha_start"}}</th><th>{{t "print.report.cha_start"}}</th><th>{{t "print.report.areas_start"}}</th><th>{{t "print.report.sha_end"}}</th><th>{{t "print.report.cha_end"}}</th><th>{{t "print.report.areas_end"}}</th></tr>
{{range .Contamination.Provinces}}<tr><td>{{.Province}}</td><td class="n">{{m2 .StartSHAM2}}</td><td class="n">{{m2 .StartCHAM2}}</td><td class="n">{{n .StartAreas}}</td><td class="n">{{m2 .EndSHAM2}}</td><td class="n">{{m2 .EndCHAM2}}</td><td class="n">{{n .EndAreas}}</td></tr>
{{end}}{{with .Contamination.Total}}<tr><th>{{t "print.total"}}</th><th class="n">{{m2 .StartSHAM2}}</th><th class="n">{{m2 .StartCHAM2}}</th><th class="n">{{n .StartAreas}}</th><th class="n">{{m2 .EndSHAM2}}</th><th class="n">{{m2 .EndCHAM2}}</th><th class="n">{{n .EndAreas}}</th></tr>{{end}}
</table><p class="src">{{t "print.source"}} {{.Contamination.Source}}</p>
<h2>{{t "print.report.release"}}</h2>
<table><tr><th>{{t "print.col.method"}}</th><th>m²</th><th>{{t "print.report.events"}}</th></tr>
{{range .Release.Methods}}<tr><td>{{.Method}}</td><td class="n">{{m2 .AreaM2}}</td><td class="n">{{n .Events}}</td></tr>
{{end}}<tr><th>{{t "print.total"}}</th><th class="n">{{m2 .Release.TotalM2}}</th><th class="n">{{n .Release.Events}}</th></tr></table>
<table><tr><th>{{t "print.col.province"}}</th><th>{{t "js.table.cancelled_nts"}}</th><th>{{t "js.table.cancelled_desk"}}</th><th>{{t "js.table.reduced"}}</th><th>{{t "js.chart.cleared"}}</th></tr>
{{range .Release.ByProvince}}<tr><td>{{.Province}}</td><td class="n">{{m2 .CancelledNTSM2}}</td><td class="n">{{m2 .CancelledDesk}}</td><td class="n">{{m2 .ReducedTSM2}}</td><td class="n">{{m2 .ClearedM2}}</td></tr>
{{end}}</table><p class="src">{{t "print.source"}} {{.Release.Source}}</p>
<h2>{{t "print.report.devices"}}</h2>
<p>{{t "print.report.devices_text" "ap" (n .Devices.APMinesDestroyed) "at" (n .Devices.ATMinesDestroyed) "erw" (n .Devices.ERWDestroyed)}}</p><p class="src">{{t "print.source"}} {{.Devices.Source}}</p>
<h2>{{t "print.report.additions"}}</h2>
{{with .Additions}}<p>{{t "print.report.additions_text" "n" (n .Areas) "m2" (m2 .AreaM2) "ev" (n .WithEvidenceAreas) "evm2" (m2 .WithEvidenceM2) "evend" (n .EvidenceByYearEnd.WithEvidenceAreas) "corr" (m2 .CorrectionsM2) "corrn" (n .CorrectionEvents)}}</p><p class="src">{{t "print.source"}} {{.Source}}</p>{{end}}
<h2>{{t "print.report.changes"}}</h2>
{{with .Changes}}<p>{{t "print.report.changes_text" "conf" (n .ConfirmedAreas) "confm2" (m2 .ConfirmedM2) "up" (n .UpgradedToCHA) "down" (n .DowngradedToSHA) "reo" (n .Reopenings) "reom2" (m2 .ReopenedM2)}}</p><p class="src">{{t "print.source"}} {{.Source}}; {{t "print.report.audit_sequences"}} {{.AuditSequences}}</p>{{end}}
<h2>{{t "print.report.capacity"}}</h2>
{{with .Capacity}}<p>{{t "print.report.capacity_text" "dep" (n .ActiveDeployments) "dem" (n .ActiveDeminers) "women" (n .ActiveWomen) "ddem" (n .DeployedDeminers) "dwomen" (n .DeployedWomen)}}</p><p class="src">{{t "print.source"}} {{.Source}}</p>{{end}}
<h2>{{t "print.report.funding"}}</h2>
{{with .Funding}}<p>{{t "print.report.funding_text" "pledged" (m2 .PledgedUSD) "pledges" (n .Pledges) "short" (m2 .ShortfallUSD) "shortn" (n .Shortfalls) "net" (m2 .NetUSD)}}</p><p class="src">{{t "print.source"}} {{.Source}}: {{.Sequences}}</p>{{end}}
<h2>{{t "print.report.milestones"}}</h2>
<p>{{t "print.report.deadline"}} {{if .Milestones.Deadline}}{{isoDate .Milestones.Deadline}} ({{t "print.report.sequence"}} {{.Milestones.DeadlineSequence}}){{else}}{{t "print.report.none_recorded"}}{{end}}.</p>
<table><tr><th>{{t "common.year"}}</th><th>{{t "print.report.planned_release"}}</th><th>{{t "print.report.released"}}</th><th>{{t "print.report.status"}}</th></tr>
{{range .Milestones.Items}}<tr><td>{{.Year}}</td><td class="n">{{m2 .PlannedReleaseM2}}</td><td class="n">{{if .Due}}{{m2 .ReleasedM2}}{{end}}</td><td>{{if not .Due}}{{t "print.report.not_due"}}{{else if .Met}}<span class="met">{{t "print.report.met"}}</span>{{else}}<span class="missed">{{t "print.report.missed"}}</span>{{end}}</td></tr>
{{end}}</table><p class="src">{{t "print.source"}} {{.Milestones.Source}}</p>
<h2>{{t "report.indicators"}}</h2>
{{with .Indicators}}<table>
<tr><td>{{t "print.report.targets_met"}}</td><td class="n">{{t "print.report.targets_of" "met" (n .TargetsMet) "due" (n .TargetsDue)}}</td></tr>
<tr><td>{{t "print.report.evidence_share"}}</td><td class="n">{{pct .EvidenceShare}}</td></tr>
<tr><td>{{t "print.report.nts_share"}}</td><td class="n">{{pct .NTSCancellation}}</td></tr>
<tr><td>{{t "print.report.qa" "n" (n .QAVisits)}}</td><td class="n">{{ratio .QAVisitsPerRelease}}</td></tr>
<tr><td>{{t "print.report.women_share"}}</td><td class="n">{{pct .WomenShare}}</td></tr>
<tr><td>{{t "print.report.discrepancies"}}</td><td>{{.DiscrepanciesReason}}</td></tr>
</table><p class="src">{{t "print.source"}} {{.Source}}</p>{{end}}
{{range .Notes}}<p class="src">{{t "print.note"}} {{.}}</p>{{end}}
<p>{{t "print.report.prepared"}} ____________________ &nbsp; {{t "print.report.approved"}} ____________________</p>
</body></html>
`
