// National overview: GET /api/v1/overview.
"use strict";

(() => {
  const { el, fmt, figure, table, link, $, t } = LR;

  function kpi(label, value, sub, name) {
    return el("div", { class: "kpi", "data-kpi": name }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  const released = (r) => (r.cancelled_nts_m2 || 0) + (r.cancelled_desk_m2 || 0) + (r.reduced_m2 || 0) + (r.cleared_m2 || 0);

  function render(o) {
    const n = o.national, b = o.burndown || {};
    $("#asof").textContent = n.areas ? t("js.overview.asof", { date: fmt.date(o.as_of), n: fmt.int(o.sequence) })
      : t("js.overview.empty");
    const c = b.completion || {};
    $("#kpis").replaceChildren(
      kpi(t("js.overview.kpi.remaining"), figure(n.remaining_m2, fmt.km2, "national-remaining"),
        el("span", null, "SHA ", figure(n.remaining_sha_m2, fmt.km2, "national-sha"), " · CHA ", figure(n.remaining_cha_m2, fmt.km2, "national-cha"),
          el("br"), el("span", { class: "badge restricted", title: t("js.overview.restricted_title") },
            figure(n.restricted_m2 || 0, fmt.km2, "national-restricted"), " " + t("js.overview.restricted_in") + " ", el("span", { "data-figure": "national-restricted-areas" }, fmt.int(n.restricted_areas || 0)), " " + t("js.overview.areas"))), "remaining"),
      kpi(t("js.overview.kpi.open"), el("span", { "data-figure": "open-areas" }, fmt.int(n.open_areas)), t("js.overview.open_sub", { sha: fmt.int(n.open_sha), cha: fmt.int(n.open_cha), n: fmt.int(n.areas) }), "areas"),
      kpi(t("js.overview.kpi.released"), figure(released(n), fmt.km2, "national-released"),
        t("js.overview.released_sub", { nts: fmt.km2(n.cancelled_nts_m2), desk: fmt.km2(n.cancelled_desk_m2), ts: fmt.km2(n.reduced_m2), cleared: fmt.km2(n.cleared_m2) }), "released"),
      (() => {
        const cap = o.capacity || [];
        const sum = (k) => cap.reduce((a, c) => a + (c[k] || 0), 0);
        const operators = new Set(cap.map((c) => c.operator)).size;
        return kpi(t("js.overview.kpi.deminers"), el("span", { "data-figure": "deminers" }, fmt.int(sum("deminers"))),
          t("js.overview.deminers_sub", { women: fmt.int(sum("women")), deployments: fmt.int(sum("deployments")), operators: fmt.int(operators) }), "capacity");
      })(),
      kpi(t("js.overview.kpi.deadline"), b.deadline ? fmt.date(b.deadline) : t("js.overview.not_set"),
        b.deadline ? el("span", null, el("span", { class: "badge " + (b.on_track ? "good" : "bad"), "data-figure": "on-track" }, b.on_track ? t("js.overview.on_track") : t("js.overview.off_track")),
          " · " + t("js.overview.chance", { pct: fmt.pct(b.probability_by_deadline) })) : t("js.overview.no_deadline"), "deadline"),
      kpi(t("js.overview.kpi.completion"), el("span", { "data-figure": "p50" }, fmt.date(c.p50)),
        t("js.overview.completion_sub", { p10: fmt.date(c.p10), p90: fmt.date(c.p90), det: fmt.date(b.deterministic_completion) }), "completion"),
    );
    $("#burndown-note").replaceChildren(t("js.overview.burndown_note") +
      (b.deadline ? t("js.overview.burndown_deadline", { date: fmt.date(b.deadline) }) + " " : t("js.overview.period") + " "), link("/forecast.html", t("js.overview.burndown_link")), t("js.overview.period"));
    Charts.burndown($("#burndown-chart"), b);
    const years = new Map();
    for (const p of b.actual || []) years.set(p.year, { year: p.year, actual: p.remaining_m2 });
    for (const p of b.forecast || []) years.set(p.year, Object.assign(years.get(p.year) || { year: p.year }, p));
    const km2Or = (v) => (v == null ? "" : fmt.km2(v));
    $("#burndown-table").replaceChildren(table([
      { label: t("js.table.year_end"), value: (r) => String(r.year) },
      { label: t("js.table.recorded_all"), num: true, value: (r) => km2Or(r.actual) },
      { label: t("js.table.forecast_all"), num: true, value: (r) => (r.deterministic_m2 == null ? "" : figure(r.deterministic_m2 + r.other_m2, fmt.km2, "burndown-all:" + r.year)) },
      { label: t("js.chart.a5_deterministic"), num: true, value: (r) => km2Or(r.deterministic_m2) },
      { label: t("js.table.a5_p10"), num: true, value: (r) => km2Or(r.low_m2) },
      { label: t("js.table.median"), num: true, value: (r) => km2Or(r.median_m2) },
      { label: t("js.table.p90"), num: true, value: (r) => km2Or(r.high_m2) },
      { label: t("js.table.other"), num: true, value: (r) => km2Or(r.other_m2) },
    ], Array.from(years.values()).sort((a, c2) => a.year - c2.year)));

    const provinces = (o.provinces || []).slice().sort((a, c2) => c2.remaining_m2 - a.remaining_m2);
    Charts.byProvince($("#province-chart"), provinces);
    const total = Object.assign({ province: t("js.overview.all_provinces"), total: true }, n);
    $("#province-table").replaceChildren(table([
      { label: t("js.table.province"), value: (p) => (p.total ? el("strong", null, p.province) : link(LR.provinceHref(p.province), p.province)) },
      { label: t("js.table.remaining"), num: true, value: (p) => figure(p.remaining_m2, fmt.km2, "remaining:" + p.province) },
      { label: "SHA", num: true, value: (p) => fmt.km2(p.remaining_sha_m2) },
      { label: "CHA", num: true, value: (p) => fmt.km2(p.remaining_cha_m2) },
      { label: t("js.table.open_areas"), num: true, value: (p) => fmt.int(p.open_areas) },
      { label: t("js.table.released"), num: true, value: (p) => fmt.km2(released(p)) },
      { label: t("js.table.restricted"), num: true, value: (p) => (p.restricted_areas ? figure(p.restricted_m2, (v) => fmt.km2(v, 2), "restricted:" + p.province) : "–") },
      { label: t("js.table.restricted_areas"), num: true, value: (p) => (p.restricted_areas ? el("span", { "data-figure": "restricted-areas:" + p.province }, fmt.int(p.restricted_areas)) : "–") },
      { label: t("js.table.without_evidence"), num: true, value: (p) => fmt.int(p.areas_without_evidence) },
      { label: t("js.table.ap_destroyed"), num: true, value: (p) => fmt.int(p.ap_mines_destroyed) },
    ], provinces.concat([total]), { id: "provinces" }));
    const last = $("#province-table tbody tr:last-child");
    if (last) last.classList.add("total");

    const rby = (o.release_by_year || []).slice().sort((a, c2) => a.year - c2.year);
    Charts.releaseByYear($("#release-chart"), rby);
    $("#release-table").replaceChildren(table([
      { label: t("js.table.year"), value: (r) => String(r.year) },
      { label: t("js.table.cancelled_nts"), num: true, value: (r) => fmt.km2(r.cancelled_nts_m2) },
      { label: t("js.table.cancelled_desk"), num: true, value: (r) => fmt.km2(r.cancelled_desk_m2) },
      { label: t("js.table.reduced"), num: true, value: (r) => fmt.km2(r.reduced_m2) },
      { label: t("js.chart.cleared"), num: true, value: (r) => fmt.km2(r.cleared_m2) },
      { label: t("js.table.released"), num: true, value: (r) => figure(released(r), fmt.km2, "released:" + r.year) },
      { label: t("js.chart.reopened"), num: true, value: (r) => fmt.km2(r.reopened_m2) },
      { label: t("js.table.registered"), num: true, value: (r) => fmt.km2(r.registered_m2) },
      { label: t("js.table.ap_destroyed"), num: true, value: (r) => fmt.int(r.ap_mines_destroyed) },
    ], rby));
    document.body.dataset.sequence = String(o.sequence);
  }

  const box = $("#overview-error");
  LR.start((seq) => LR.guarded(box, async () => {
    render(await LR.api("/api/v1/overview", { minSequence: seq }));
    box.hidden = true;
  }));
})();
