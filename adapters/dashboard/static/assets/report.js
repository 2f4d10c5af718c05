// Annual report page: the programme's annual progress report of a calendar
// year (GET /api/v1/reports/{year}), national or of one province, section by
// section with the source of each, and links to the printable HTML and CSV.
"use strict";

(() => {
  const { el, fmt, figure, table, $ } = LR;

  function kpi(label, value, sub, name) {
    return el("div", { class: "kpi", "data-kpi": name }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  // The year shown: ?year=, else the report being prepared at the
  // history's last date (the overview's as_of; see load).
  let year = +LR.param("year") || 0;
  let province = LR.param("province");

  const path = (format) => `/api/v1/reports/${year}` + (province ? "?province=" + encodeURIComponent(province) : "") +
    (format ? (province ? "&" : "?") + "format=" + format : "") + (format === "html" && LR.lang !== "en" ? "&lang=" + LR.lang : "");
  const pct = (x) => (x == null ? LR.t("js.report.na") : fmt.pct(x, 1));
  const kv = (rows, id) => table([{ label: LR.t("js.table.figure"), value: (r) => r[0] }, { label: LR.t("js.table.value"), num: true, value: (r) => r[1] }], rows, { id });

  function show(r) {
    $("#report-title").textContent = LR.t("js.report.title", { year: r.year }) + " · " + (r.province || LR.t("js.report.national"));
    const c = r.contamination || {}, t = c.total || {};
    const rel = r.release || {}, d = r.devices_destroyed || {}, ad = r.additions || {}, ch = r.reclassifications_and_reopenings || {};
    const k = r.capacity || {}, f = r.funding || {}, ms = r.milestones || {}, ind = r.indicators || {};
    $("#report-kpis").replaceChildren(
      kpi(LR.t("js.report.kpi.remaining"), figure((t.end_sha_m2 || 0) + (t.end_cha_m2 || 0), fmt.km2, "report-remaining-end"), LR.t("js.report.jan1", { area: fmt.km2((t.start_sha_m2 || 0) + (t.start_cha_m2 || 0)) }), "remaining"),
      kpi(LR.t("js.overview.kpi.released"), figure(rel.total_m2, fmt.km2, "report-released"), LR.t("js.report.events", { n: fmt.int(rel.events) }), "released"),
      kpi(LR.t("js.report.kpi.events"), el("span", { "data-figure": "report-events" }, fmt.int((r.events || {}).count)), LR.t("js.report.history_to", { n: fmt.int(r.sequence) }), "events"),
    );
    $("#src-contamination").textContent = c.source || "";
    const provs = (c.provinces || []).concat(c.total ? [c.total] : []);
    $("#report-contamination").replaceChildren(provs.length ? table([
      { label: LR.t("js.table.province"), value: (p) => p.province },
      { label: LR.t("js.table.sha_jan"), num: true, value: (p) => fmt.km2(p.start_sha_m2) },
      { label: LR.t("js.table.cha_jan"), num: true, value: (p) => fmt.km2(p.start_cha_m2) },
      { label: LR.t("js.table.areas_jan"), num: true, value: (p) => fmt.int(p.start_areas) },
      { label: LR.t("js.table.sha_dec"), num: true, value: (p) => fmt.km2(p.end_sha_m2) },
      { label: LR.t("js.table.cha_dec"), num: true, value: (p) => fmt.km2(p.end_cha_m2) },
      { label: LR.t("js.table.areas_dec"), num: true, value: (p) => fmt.int(p.end_areas) },
    ], provs, { id: "report-contamination-table" }) : el("p", { class: "muted" }, LR.t("js.report.nothing")));
    $("#src-release").textContent = rel.source || "";
    $("#report-release").replaceChildren(table([
      { label: LR.t("js.table.method"), value: (m) => (m.method === "total" ? LR.t("js.report.total") : fmt.method(m.method)) },
      { label: LR.t("js.table.area"), num: true, value: (m) => figure(m.area_m2, fmt.km2) },
      { label: LR.t("js.table.events"), num: true, value: (m) => fmt.int(m.events) },
    ], (rel.methods || []).concat([{ method: "total", area_m2: rel.total_m2, events: rel.events }]), { id: "report-release-table" }));
    const byP = rel.by_province || [];
    $("#report-release-provinces").replaceChildren(byP.length ? table([
      { label: LR.t("js.table.province"), value: (p) => p.province },
      { label: LR.t("js.chart.cancelled_nts"), num: true, value: (p) => fmt.km2(p.cancelled_nts_m2) },
      { label: LR.t("js.table.cancelled_by_desk"), num: true, value: (p) => fmt.km2(p.cancelled_desk_m2) },
      { label: LR.t("js.chart.reduced_ts"), num: true, value: (p) => fmt.km2(p.reduced_ts_m2) },
      { label: LR.t("js.chart.cleared"), num: true, value: (p) => fmt.km2(p.cleared_m2) },
    ], byP) : "");
    $("#report-changes").replaceChildren(kv([
      ["AP mines destroyed", fmt.int(d.ap_mines)], ["AT mines destroyed", fmt.int(d.at_mines)], ["ERW destroyed", fmt.int(d.erw)],
      [LR.t("js.report.areas_added"), `${fmt.int(ad.areas)} (${fmt.km2(ad.area_m2)})`],
      ["… with evidence at registration", `${fmt.int(ad.with_evidence_areas)} (${fmt.km2(ad.with_evidence_m2)})`],
      [LR.t("js.report.size_corrections"), `${fmt.km2(ad.corrections_m2)} (${fmt.int(ad.correction_events)})`],
      [LR.t("js.report.confirmed"), `${fmt.int(ch.confirmed)} (${fmt.km2(ch.confirmed_m2)})`],
      [LR.t("js.report.reclassified"), `${fmt.int(ch.reclassified_to_cha)} / ${fmt.int(ch.reclassified_to_sha)}`],
      [LR.t("js.chart.reopened"), `${fmt.int(ch.reopenings)} (${fmt.km2(ch.reopened_m2)})`],
    ], "report-changes-table"), el("p", { class: "muted source" }, [d.source, ad.source, ch.source].filter(Boolean).join(" · ")));
    $("#report-capacity").replaceChildren(kv([
      [LR.t("js.report.deployments_active"), fmt.int(k.active_deployments)], [LR.t("js.report.deminers_active"), `${fmt.int(k.active_deminers)} (${fmt.int(k.active_women)})`],
      [LR.t("js.report.deployed"), `${fmt.int(k.deployed_in_year_deminers)} (${fmt.int(k.deployed_in_year_women)})`],
      [LR.t("js.chart.pledged"), `${fmt.usd(f.pledged_usd)} (${LR.t("js.report.pledges", { n: fmt.int(f.pledges) })})`], [LR.t("js.report.shortfalls"), `${fmt.usd(f.shortfall_usd)} (${fmt.int(f.shortfalls)})`], [LR.t("js.report.net"), fmt.usd(f.net_usd)],
    ], "report-capacity-table"), el("p", { class: "muted source" }, [k.source, f.source].filter(Boolean).join(" · ")));
    $("#src-milestones").textContent = LR.t("js.report.deadline_in_force", { date: ms.deadline ? fmt.date(ms.deadline) : LR.t("js.report.none_recorded") }) + " " + (ms.source || "");
    const items = ms.items || [];
    $("#report-milestones").replaceChildren(items.length ? table([
      { label: LR.t("js.table.year"), value: (m) => String(m.year) },
      { label: LR.t("js.report.planned_release"), num: true, value: (m) => fmt.km2(m.planned_release_m2) },
      { label: LR.t("js.table.released"), num: true, value: (m) => fmt.km2(m.released_m2) },
      { label: "", value: (m) => (m.due ? el("span", { class: "badge " + (m.met ? "good" : "bad") }, m.met ? LR.t("js.report.met") : LR.t("js.report.missed")) : LR.t("js.report.not_due")) },
    ], items, { id: "report-milestones-table" }) : el("p", { class: "muted" }, LR.t("js.report.no_milestone")));
    $("#src-indicators").textContent = ind.source || "";
    $("#report-indicators").replaceChildren(kv([
      [LR.t("js.report.targets_met"), LR.t("js.report.targets_of", { met: fmt.int(ind.targets_met), due: fmt.int(ind.targets_due) }) + (ind.target_of_year_met == null ? "" : " " + (ind.target_of_year_met ? LR.t("js.report.this_year_met") : LR.t("js.report.this_year_missed")))],
      [LR.t("js.report.evidence_share"), pct(ind.evidence_share_of_additions)],
      [LR.t("js.report.nts_share"), pct(ind.sha_cancelled_by_nts_share)],
      [LR.t("js.report.qa"), ind.qa_visits_per_release == null ? LR.t("js.report.na") : fmt.dec2(ind.qa_visits_per_release) + " " + LR.t("js.report.visits", { n: fmt.int(ind.qa_visits) })],
      [LR.t("js.report.women_share"), pct(ind.women_share_of_capacity)],
      [LR.t("js.report.discrepancies"), ind.discrepancies || (ind.discrepancies_known ? LR.t("js.report.known") : LR.t("js.report.not_recorded"))],
    ], "report-indicators-table"));
    $("#report-notes").replaceChildren(...(r.notes || []).map((n) => el("li", null, n)));
  }

  function setExportLinks() {
    $("#open-html").href = path("html");
    $("#download-csv").href = path("csv");
    $("#download-csv").setAttribute("download", `report-${year}.csv`);
  }
  // With a token, a link cannot carry the Authorization header: the click
  // fetches the file with it and hands it to the browser instead.
  async function download(ev, format) {
    if (!LR.token()) return;
    ev.preventDefault();
    await LR.guarded($("#report-error"), async () => {
      const res = await LR.api(path(format), { raw: true });
      const url = URL.createObjectURL(await res.blob());
      const a = el("a", { href: url, download: `report-${year}.${format}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    });
  }
  $("#open-html").addEventListener("click", (ev) => download(ev, "html"));
  $("#download-csv").addEventListener("click", (ev) => download(ev, "csv"));

  $("#report-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    year = +$("#report-year").value;
    province = $("#report-province").value;
    history.pushState(null, "", `/report.html?year=${year}` + (province ? "&province=" + encodeURIComponent(province) : ""));
    load(0);
  });

  let provincesLoaded = false;
  async function load(seq) {
    const box = $("#report-error");
    await LR.guarded(box, async () => {
      if (!provincesLoaded) {
        const o = await LR.api("/api/v1/overview", { minSequence: seq });
        if (!year) {
          // The report being prepared: the year of the history's last date
          // when that is in its last quarter, else the year before.
          const m = /^(\d{4})-(\d{2})/.exec(o.as_of || "");
          year = m ? (+m[2] >= 10 ? +m[1] : +m[1] - 1) : new Date().getFullYear() - 1;
        }
        const names = (o.provinces || []).map((p) => p.province).sort();
        $("#report-province").replaceChildren(el("option", { value: "" }, LR.t("js.report.national")), ...names.map((n) => el("option", { value: n, selected: n === province }, n)));
        provincesLoaded = true;
      }
      $("#report-year").value = String(year);
      setExportLinks();
      const r = await LR.api(path(), { minSequence: seq });
      box.hidden = true;
      show(r);
    });
  }
  LR.start(load);
})();
