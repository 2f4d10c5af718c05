// Extension-request page: the costed multi-year work plan of an Article 5
// extension request (GET /api/v1/article5-plan): year by year national and
// per province, cost against pledges, assumptions and risks, and links to
// the printable HTML and the CSV.
"use strict";

(() => {
  const { el, fmt, figure, table, $ } = LR;

  function kpi(label, value, sub, name) {
    return el("div", { class: "kpi", "data-kpi": name }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  let redeploy = LR.param("redeploy") || "nearest";
  let funding = LR.param("funding") || "renewed";
  let chart = null;
  let only = LR.param("province"); // the province table's filter
  let last = null; // the plan shown

  const path = (format) => `/api/v1/article5-plan?redeploy=${encodeURIComponent(redeploy)}&funding=${encodeURIComponent(funding)}` + (format ? "&format=" + format : "");

  const moneyColumns = [
    { label: LR.t("js.table.deminers"), num: true, value: (r) => fmt.int(Math.round(r.deminers)) },
    { label: LR.t("js.table.deployments"), num: true, value: (r) => fmt.int(r.deployments) },
    { label: LR.t("js.table.cost"), num: true, value: (r) => fmt.usd(r.cost_usd) },
    { label: LR.t("js.chart.pledged"), num: true, value: (r) => fmt.usd(r.pledged_usd) },
    { label: LR.t("js.province.gap"), num: true, value: (r) => el("span", { class: r.gap_usd > 0 ? "over" : null }, fmt.usd(r.gap_usd)) },
  ];
  const methodColumns = [
    { label: LR.t("js.table.start"), num: true, value: (r) => figure(r.start_m2, fmt.km2) },
    { label: LR.t("js.chart.cancelled_nts"), num: true, value: (r) => fmt.km2(r.nts_cancelled_m2) },
    { label: LR.t("js.chart.reduced_ts"), num: true, value: (r) => fmt.km2(r.ts_reduced_m2) },
    { label: LR.t("js.chart.cleared"), num: true, value: (r) => fmt.km2(r.cleared_m2) },
    { label: LR.t("js.table.end"), num: true, value: (r) => figure(r.end_m2, fmt.km2) },
    { label: "AT/ERW released", num: true, value: (r) => fmt.km2(r.other_released_m2) },
  ];

  function show(p) {
    $("#a5-lead").textContent = LR.t("js.a5.lead", { date: fmt.date(p.as_of) });
    $("#a5-kpis").replaceChildren(
      kpi(LR.t("js.a5.kpi.remaining"), figure(p.remaining_m2, fmt.km2, "a5-remaining"), LR.t("js.a5.remaining_sub", { sha: fmt.km2(p.remaining_sha_m2), cha: fmt.km2(p.remaining_cha_m2) }), "remaining"),
      kpi(LR.t("js.a5.kpi.completion"), el("span", { "data-figure": "a5-completion" }, p.completion ? fmt.date(p.completion) : LR.t("js.a5.not_within")),
        p.deadline ? el("span", null, el("span", { class: "badge " + (p.on_track ? "good" : "bad") }, p.on_track ? LR.t("js.a5.meets") : LR.t("js.a5.misses")), " " + LR.t("js.a5.the_deadline", { date: fmt.date(p.deadline) })) : LR.t("js.overview.no_deadline"), "completion"),
      kpi(LR.t("js.table.cost_to_completion"), el("span", { "data-figure": "a5-cost" }, fmt.usd(p.cost_to_completion_usd)), LR.t("js.a5.pledged", { usd: fmt.usd(p.pledged_usd) }), "cost"),
      kpi(LR.t("js.province.kpi.gap"), el("span", { "data-figure": "a5-gap" }, fmt.usd(p.gap_usd)), LR.t("js.a5.gap_sub"), "gap"),
    );
    const years = p.years || [];
    if (chart) chart.destroy();
    chart = Charts.fundingGap($("#a5-funding-chart"), years);
    $("#a5-years").replaceChildren(years.length ? table([
      { label: LR.t("js.table.year"), value: (y) => String(y.year) },
      { label: LR.t("js.table.found"), num: true, value: (y) => fmt.km2(y.found_m2) },
      ...methodColumns,
      { label: LR.t("js.table.milestone"), num: true, value: (y) => (y.milestone_release_m2 == null ? "–" : fmt.km2(y.milestone_release_m2)) },
      ...moneyColumns,
    ], years, { id: "a5-years-table" }) : el("p", { class: "muted" }, LR.t("js.a5.nothing")));
    const all = [];
    for (const y of years) {
      for (const r of y.provinces || []) all.push(Object.assign({ year: y.year }, r));
    }
    const names = [...new Set(all.map((r) => r.province))].sort();
    if (only && !names.includes(only)) only = "";
    $("#a5-province").replaceChildren(el("option", { value: "" }, LR.t("js.a5.every_province")), ...names.map((n) => el("option", { value: n, selected: n === only }, n)));
    const rows = only ? all.filter((r) => r.province === only) : all;
    $("#a5-provinces").replaceChildren(rows.length ? table([
      { label: LR.t("js.table.year"), value: (r) => String(r.year) },
      { label: LR.t("js.table.province"), value: (r) => link(r) },
      ...methodColumns,
      ...moneyColumns,
      { label: "", value: (r) => (r.completes ? el("span", { class: "badge good" }, LR.t("js.a5.completes")) : "") },
    ], rows, { id: "a5-provinces-table" }) : el("p", { class: "muted" }, LR.t("js.a5.none")));
    const a = p.assumptions || {}, r = a.rates || {}, ne = a.no_evidence || {};
    const pct = (x) => fmt.pct(x);
    $("#a5-assumptions").replaceChildren(...[
      `Rates learned from the record, ${r.window_from_year}–${r.window_to_year}: non-technical survey cancels ${pct(r.nts_cancel_share)} of the SHA surveyed; technical survey reduces ${pct(r.ts_reduce_share)} of the CHA worked; clearance achieves ${pct(r.achieved_productivity_factor)} of stated capacity; new contamination ${fmt.km2(r.discovery_m2_per_year)} a year for ${a.discovery_years} years, ${pct(r.article5_discovery_share)} with AP mines.`,
      `SHA without recorded evidence: ${pct(ne.remaining_sha_share)} of the remaining SHA; ${fmt.int(ne.cancelled_areas)} of ${fmt.int(ne.surveyed_areas)} such areas surveyed were cancelled in full.`,
      `Redeployment (${a.redeploy}): ${a.redeploy_means}.`,
      `Funding after the last pledge (${a.funding_after_pledges}): ${a.funding_means}.`,
      `Cost: ${pct(a.fixed_cost_share)} of a deployment's annual cost is fixed; the rest varies with the capacity that finds work. Horizon ${fmt.date(a.horizon)}.`,
    ].map((t) => el("li", null, t)));
    $("#a5-risks").replaceChildren(...(p.risks || []).map((t) => el("li", null, t)));
  }

  const link = (r) => LR.link(LR.provinceHref(r.province), r.province);

  function setExportLinks() {
    $("#open-html").href = path("html");
    $("#download-csv").href = path("csv");
    $("#download-csv").setAttribute("download", "article5-plan.csv");
  }
  // With a token, a link cannot carry the Authorization header: the click
  // fetches the file with it and hands it to the browser instead.
  async function download(ev, format) {
    if (!LR.token()) return;
    ev.preventDefault();
    await LR.guarded($("#a5-error"), async () => {
      const res = await LR.api(path(format), { raw: true });
      const url = URL.createObjectURL(await res.blob());
      const a = el("a", { href: url, download: `article5-plan.${format}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    });
  }
  $("#open-html").addEventListener("click", (ev) => download(ev, "html"));
  $("#download-csv").addEventListener("click", (ev) => download(ev, "csv"));

  $("#a5-province").addEventListener("change", () => {
    only = $("#a5-province").value;
    if (last) show(last);
  });

  $("#redeploy").value = redeploy;
  $("#funding").value = funding;
  $("#a5-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    redeploy = $("#redeploy").value;
    funding = $("#funding").value;
    history.pushState(null, "", `/article5-plan.html?redeploy=${encodeURIComponent(redeploy)}&funding=${encodeURIComponent(funding)}`);
    load(0);
  });

  async function load(seq) {
    setExportLinks();
    const box = $("#a5-error");
    await LR.guarded(box, async () => {
      const p = await LR.api(path(), { minSequence: seq });
      box.hidden = true;
      last = p;
      show(p);
    });
  }
  LR.start(load);
})();
