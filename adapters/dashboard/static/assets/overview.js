// National overview: GET /api/v1/overview.
"use strict";

(() => {
  const { el, fmt, figure, table, link, $ } = LR;

  function kpi(label, value, sub, name) {
    return el("div", { class: "kpi", "data-kpi": name }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  const released = (r) => (r.cancelled_nts_m2 || 0) + (r.cancelled_desk_m2 || 0) + (r.reduced_m2 || 0) + (r.cleared_m2 || 0);

  function render(o) {
    const n = o.national, b = o.burndown || {};
    $("#asof").textContent = n.areas ? `As recorded up to ${fmt.date(o.as_of)} (event ${fmt.int(o.sequence)}).`
      : "No hazard area is recorded yet: load the demo (landrelease demo) or import a register (landrelease import).";
    const c = b.completion || {};
    $("#kpis").replaceChildren(
      kpi("Remaining contamination", figure(n.remaining_m2, fmt.km2, "national-remaining"),
        el("span", null, "SHA ", figure(n.remaining_sha_m2, fmt.km2, "national-sha"), " · CHA ", figure(n.remaining_cha_m2, fmt.km2, "national-cha"),
          el("br"), el("span", { class: "badge restricted", title: "open areas whose survey and clearance cannot proceed (RestrictAccess), left out of work plans" },
            figure(n.restricted_m2 || 0, fmt.km2, "national-restricted"), " access-restricted in ", el("span", { "data-figure": "national-restricted-areas" }, fmt.int(n.restricted_areas || 0)), " areas")), "remaining"),
      kpi("Open hazard areas", el("span", { "data-figure": "open-areas" }, fmt.int(n.open_areas)), `${fmt.int(n.open_sha)} SHA · ${fmt.int(n.open_cha)} CHA · ${fmt.int(n.areas)} recorded`, "areas"),
      kpi("Land released", figure(released(n), fmt.km2, "national-released"),
        `NTS ${fmt.km2(n.cancelled_nts_m2)} · desk ${fmt.km2(n.cancelled_desk_m2)} · TS ${fmt.km2(n.reduced_m2)} · cleared ${fmt.km2(n.cleared_m2)}`, "released"),
      (() => {
        const cap = o.capacity || [];
        const sum = (k) => cap.reduce((a, c) => a + (c[k] || 0), 0);
        const operators = new Set(cap.map((c) => c.operator)).size;
        return kpi("Deminers deployed", el("span", { "data-figure": "deminers" }, fmt.int(sum("deminers"))),
          `${fmt.int(sum("women"))} women · ${fmt.int(sum("deployments"))} deployments of ${fmt.int(operators)} operators`, "capacity");
      })(),
      kpi("Article 5 deadline", b.deadline ? fmt.date(b.deadline) : "not set",
        b.deadline ? el("span", null, el("span", { class: "badge " + (b.on_track ? "good" : "bad"), "data-figure": "on-track" }, b.on_track ? "on track" : "off track"),
          ` · ${fmt.pct(b.probability_by_deadline)} chance to finish by then`) : "no Article 5 deadline is recorded", "deadline"),
      kpi("Forecast completion (P50)", el("span", { "data-figure": "p50" }, fmt.date(c.p50)),
        `P10 ${fmt.date(c.p10)} – P90 ${fmt.date(c.p90)} · deterministic ${fmt.date(b.deterministic_completion)}`, "completion"),
    );
    $("#burndown-note").replaceChildren("Remaining area of every hazard at each year's end: as recorded, then forecast: the Article 5 area (AP or MIXED; deterministic, median and the P10–P90 band of the Monte Carlo trials) plus the AT/ERW-only area, so that the forecast continues the recorded line; the Article 5 area alone is the thin red line" +
      (b.deadline ? `; the dashed red line is the deadline, ${fmt.date(b.deadline)}. ` : ". "), link("/forecast.html", "Province by province, costs and the backtest"), ".");
    Charts.burndown($("#burndown-chart"), b);
    const years = new Map();
    for (const p of b.actual || []) years.set(p.year, { year: p.year, actual: p.remaining_m2 });
    for (const p of b.forecast || []) years.set(p.year, Object.assign(years.get(p.year) || { year: p.year }, p));
    const km2Or = (v) => (v == null ? "" : fmt.km2(v));
    $("#burndown-table").replaceChildren(table([
      { label: "Year end", value: (r) => String(r.year) },
      { label: "Recorded (every hazard)", num: true, value: (r) => km2Or(r.actual) },
      { label: "Forecast (every hazard)", num: true, value: (r) => (r.deterministic_m2 == null ? "" : figure(r.deterministic_m2 + r.other_m2, fmt.km2, "burndown-all:" + r.year)) },
      { label: "Article 5 (deterministic)", num: true, value: (r) => km2Or(r.deterministic_m2) },
      { label: "Article 5 P10", num: true, value: (r) => km2Or(r.low_m2) },
      { label: "Median", num: true, value: (r) => km2Or(r.median_m2) },
      { label: "P90", num: true, value: (r) => km2Or(r.high_m2) },
      { label: "AT/ERW-only", num: true, value: (r) => km2Or(r.other_m2) },
    ], Array.from(years.values()).sort((a, c2) => a.year - c2.year)));

    const provinces = (o.provinces || []).slice().sort((a, c2) => c2.remaining_m2 - a.remaining_m2);
    Charts.byProvince($("#province-chart"), provinces);
    const total = Object.assign({ province: "All provinces", total: true }, n);
    $("#province-table").replaceChildren(table([
      { label: "Province", value: (p) => (p.total ? el("strong", null, p.province) : link(LR.provinceHref(p.province), p.province)) },
      { label: "Remaining", num: true, value: (p) => figure(p.remaining_m2, fmt.km2, "remaining:" + p.province) },
      { label: "SHA", num: true, value: (p) => fmt.km2(p.remaining_sha_m2) },
      { label: "CHA", num: true, value: (p) => fmt.km2(p.remaining_cha_m2) },
      { label: "Open areas", num: true, value: (p) => fmt.int(p.open_areas) },
      { label: "Released", num: true, value: (p) => fmt.km2(released(p)) },
      { label: "Access-restricted", num: true, value: (p) => (p.restricted_areas ? figure(p.restricted_m2, (v) => fmt.km2(v, 2), "restricted:" + p.province) : "–") },
      { label: "Restricted areas", num: true, value: (p) => (p.restricted_areas ? el("span", { "data-figure": "restricted-areas:" + p.province }, fmt.int(p.restricted_areas)) : "–") },
      { label: "Without evidence", num: true, value: (p) => fmt.int(p.areas_without_evidence) },
      { label: "AP mines destroyed", num: true, value: (p) => fmt.int(p.ap_mines_destroyed) },
    ], provinces.concat([total]), { id: "provinces" }));
    const last = $("#province-table tbody tr:last-child");
    if (last) last.classList.add("total");

    const rby = (o.release_by_year || []).slice().sort((a, c2) => a.year - c2.year);
    Charts.releaseByYear($("#release-chart"), rby);
    $("#release-table").replaceChildren(table([
      { label: "Year", value: (r) => String(r.year) },
      { label: "Cancelled (NTS)", num: true, value: (r) => fmt.km2(r.cancelled_nts_m2) },
      { label: "Cancelled (desk)", num: true, value: (r) => fmt.km2(r.cancelled_desk_m2) },
      { label: "Reduced (TS)", num: true, value: (r) => fmt.km2(r.reduced_m2) },
      { label: "Cleared", num: true, value: (r) => fmt.km2(r.cleared_m2) },
      { label: "Released", num: true, value: (r) => figure(released(r), fmt.km2, "released:" + r.year) },
      { label: "Reopened", num: true, value: (r) => fmt.km2(r.reopened_m2) },
      { label: "Newly registered", num: true, value: (r) => fmt.km2(r.registered_m2) },
      { label: "AP mines destroyed", num: true, value: (r) => fmt.int(r.ap_mines_destroyed) },
    ], rby));
    document.body.dataset.sequence = String(o.sequence);
  }

  const box = $("#overview-error");
  LR.start((seq) => LR.guarded(box, async () => {
    render(await LR.api("/api/v1/overview", { minSequence: seq }));
    box.hidden = true;
  }));
})();
