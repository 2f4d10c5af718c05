// Province page: the province's figures (GET /api/v1/overview), its MAPU work
// plan in land-release order (GET /api/v1/workplans/{province}/{year}: SHAs
// surveyed first with the expected cancellation, CHAs for TS and clearance,
// splits carried to the next year, pledged funding and the gap, the areas left
// out and why) and a map of its areas (GET /api/v1/areas?province=), with the
// planned areas outlined and the access-restricted ones hatched.
"use strict";

(() => {
  const { el, fmt, figure, table, link, $ } = LR;

  function kpi(label, value, sub, name) {
    return el("div", { class: "kpi", "data-kpi": name }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  // defaultYear: the plan being prepared. After September the next year's.
  function defaultYear(asOf) {
    const m = /^(\d{4})-(\d{2})/.exec(asOf || "");
    if (!m) return new Date().getFullYear();
    return +m[2] >= 10 ? +m[1] + 1 : +m[1];
  }

  let overview = null;
  let province = LR.param("province");
  let year = +LR.param("year") || 0;
  let plannedIDs = new Set();

  async function loadOverview(seq) {
    overview = await LR.api("/api/v1/overview", { minSequence: seq });
    const names = (overview.provinces || []).map((p) => p.province).sort();
    if (!province) province = names[0] || "";
    for (const id of ["#workplan", "#capacity-card", "#map-card"]) $(id).hidden = !province;
    if (!province) {
      $("#title").textContent = "Provinces";
      $("#province-kpis").replaceChildren(el("p", { class: "muted" }, "No province has a recorded hazard area yet."));
      return;
    }
    if (!year) year = defaultYear(overview.as_of);
    const sel = $("#province-select");
    sel.replaceChildren(...names.map((n) => el("option", { value: n, selected: n === province }, n)));
    $("#year-input").value = String(year);
    document.title = `${province} · landrelease`;
    $("#title").textContent = `${province} province`;
    const p = (overview.provinces || []).find((q) => q.province === province);
    if (!p) {
      $("#province-kpis").replaceChildren(el("p", { class: "muted" }, `No hazard area is recorded in ${province}.`));
      return;
    }
    const capacity = (overview.capacity || []).filter((c) => c.province === province);
    $("#capacity").replaceChildren(capacity.length ? table([
      { label: "Operator", value: (c) => c.operator },
      { label: "Deployments", num: true, value: (c) => fmt.int(c.deployments) },
      { label: "Deminers", num: true, value: (c) => fmt.int(c.deminers) },
      { label: "of whom women", num: true, value: (c) => `${fmt.int(c.women)} (${fmt.pct(c.deminers ? c.women / c.deminers : 0)})` },
    ], capacity, { id: "capacity-table" }) : el("p", { class: "muted" }, "No capacity is deployed in this province."));
    const released = p.cancelled_nts_m2 + p.cancelled_desk_m2 + p.reduced_m2 + p.cleared_m2;
    $("#province-kpis").replaceChildren(
      kpi("Remaining contamination", figure(p.remaining_m2, fmt.km2, "province-remaining"), el("span", null, "SHA ", fmt.km2(p.remaining_sha_m2), " · CHA ", fmt.km2(p.remaining_cha_m2)), "remaining"),
      kpi("Open hazard areas", el("span", { "data-figure": "province-open-areas" }, fmt.int(p.open_areas)), `${fmt.int(p.open_sha)} SHA · ${fmt.int(p.open_cha)} CHA`, "areas"),
      kpi("Land released", fmt.km2(released), `cleared ${fmt.km2(p.cleared_m2)} · reduced ${fmt.km2(p.reduced_m2)}`, "released"),
      kpi("Without evidence", fmt.int(p.areas_without_evidence), "open areas with no recorded evidence", "no-evidence"),
      kpi("Access-restricted", figure(p.restricted_m2 || 0, fmt.km2, "province-restricted"),
        p.restricted_areas ? el("span", null, el("span", { "data-figure": "province-restricted-areas" }, fmt.int(p.restricted_areas)), " open areas nobody may survey or clear until the restriction is lifted")
          : "no open area of the province is access-restricted", "restricted"),
    );
  }

  const wpPath = (format) => `/api/v1/workplans/${encodeURIComponent(province)}/${year}` + (format ? "?format=" + format : "");

  const areaLink = (a) => link(LR.areaHref(a.area_id), fmt.shortID(a.area_id), { class: "mono", title: a.area_id });
  const place = (a) => [a.district, a.village].filter(Boolean).join(", ") || "–";
  const ha = (m2) => el("span", { title: fmt.m2(m2) }, fmt.ha(m2, 2));
  const score = (a) => (a.score == null ? "–" : a.score.toFixed(1));
  const classBadge = (a) => el("span", { class: "badge " + String(a.classification).toLowerCase() }, a.classification);
  const STAGE = { NTS: "NTS", TS_CLEARANCE: "TS and clearance" };
  const oneDecimal = new Intl.NumberFormat("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  // The columns follow `landrelease workplan --format html` (the printable
  // plan the API serves), so the page and the paper say the same.
  const ntsColumns = [
    { label: "#", num: true, value: (a) => String(a.rank) },
    { label: "Area", value: areaLink },
    { label: "District, village", value: place },
    { label: "Land use", value: (a) => fmt.words(a.land_use) || "–" },
    { label: "Remaining", num: true, value: (a) => ha(a.remaining_m2) },
    { label: "Survey this year", num: true, value: (a) => ha(a.planned_m2) },
    { label: "Carried to next year", num: true, value: (a) => (a.carried_to_next_year_m2 ? ha(a.carried_to_next_year_m2) : "–") },
    { label: "Expected cancelled", num: true, value: (a) => ha(a.expected_cancelled_m2) },
    { label: "Expected CHA", num: true, value: (a) => ha(a.expected_cha_m2) },
    { label: "Score", num: true, value: score },
  ];
  const clearanceColumns = [
    { label: "#", num: true, value: (a) => String(a.rank) },
    { label: "Area", value: areaLink },
    { label: "District, village", value: place },
    { label: "Class", value: classBadge },
    { label: "Hazard", value: (a) => a.hazard },
    { label: "Land use", value: (a) => fmt.words(a.land_use) || "–" },
    { label: "Remaining", num: true, value: (a) => ha(a.remaining_m2) },
    { label: "Planned", num: true, value: (a) => ha(a.planned_m2) },
    { label: "Carried to next year", num: true, value: (a) => (a.carried_to_next_year_m2 ? ha(a.carried_to_next_year_m2) : "–") },
    { label: "To clear", num: true, value: (a) => ha(a.to_clear_m2) },
    { label: "Casualties (5 y)", num: true, value: (a) => fmt.int(a.casualties_last_5y) },
    { label: "Operator", value: (a) => [a.operator, a.method && `(${fmt.method(a.method)})`].filter(Boolean).join(" ") || "–" },
    { label: "Cost", num: true, value: (a) => fmt.usd(a.cost_usd) },
    { label: "Score", num: true, value: score },
  ];
  const leftOutColumns = [
    { label: "Area", value: areaLink },
    { label: "Stage", value: (a) => STAGE[a.stage] || a.stage },
    { label: "Class", value: classBadge },
    { label: "Remaining", num: true, value: (a) => ha(a.remaining_m2) },
    { label: "Score", num: true, value: score },
    { label: "Why not this year", value: (a) => (a.access_restricted ? [el("span", { class: "badge restricted" }, "access-restricted"), " ", a.reason] : a.reason || "–") },
  ];
  const leftOutRow = (a) => ({ class: a.access_restricted ? "restricted" : null, "data-restricted": a.access_restricted ? "true" : null });
  // LEFT_OUT_SHOWN: the highest scores shown at once; the rest are one click away.
  const LEFT_OUT_SHOWN = 25;

  const none = (text) => el("p", { class: "muted" }, text);
  const workplanParts = ["#workplan-kpis", "#nts-note", "#nts-table", "#plan-note", "#plan-table", "#carried", "#funding", "#by-operator", "#left-out-note", "#left-out", "#left-out-rest"];

  function renderWorkplan(wp) {
    const areas = wp.areas || [], nts = wp.proposed_for_nts || [], leftOut = wp.left_out || [];
    plannedIDs = new Set(areas.concat(nts).map((a) => a.area_id));
    const restrictedOut = leftOut.filter((a) => a.access_restricted);
    const restrictedM2 = restrictedOut.reduce((s, a) => s + a.remaining_m2, 0);
    $("#workplan-kpis").replaceChildren(
      kpi("1. Non-technical survey", figure(wp.survey_planned_m2, fmt.km2, "workplan-survey"),
        el("span", null, `of ${fmt.km2(wp.survey_capacity_m2)} survey capacity in `, el("span", { "data-figure": "workplan-nts-areas" }, fmt.int(nts.length)), " SHAs"), "survey"),
      kpi("Expected from the survey", figure(wp.expected_cancelled_m2, fmt.km2, "workplan-expected-cancelled"),
        el("span", null, `cancelled, at the history's ${fmt.pct(wp.nts_cancel_share)} of surveyed SHA · `, figure(wp.expected_cha_m2, fmt.km2, "workplan-expected-cha"), " confirmed as CHA for a later year"), "expected"),
      kpi("2. CHAs for TS and clearance", el("span", { "data-figure": "workplan-areas" }, fmt.int(areas.length)),
        `${fmt.int(wp.open_areas_not_planned)} open areas left for later years`, "plan-areas"),
      kpi("Planned clearance", figure(wp.planned_to_clear_m2, fmt.km2, "workplan-planned"), `of ${fmt.km2(wp.capacity_m2)} capacity (${fmt.pct(wp.capacity_used, 1)} used); TS reduces ${fmt.pct(wp.ts_reduce_share)}`, "planned"),
      kpi("Funding gap", figure(wp.gap_usd, fmt.usd, "workplan-gap"), `cost ${fmt.usd(wp.cost_usd)} · pledged ${fmt.usd(wp.funding_usd)}`, "gap"),
      kpi("Priority total", el("span", { "data-figure": "workplan-priority" }, oneDecimal.format(wp.priority_total || 0)),
        `Σ score × planned ha; first-fit would reach ${oneDecimal.format(wp.first_fit_total || 0)}`, "priority"),
    );

    $("#nts-title").textContent = `1. SHAs for non-technical survey (${fmt.int(nts.length)})`;
    $("#nts-note").textContent = `Survey capacity ${fmt.km2(wp.survey_capacity_m2, 2)} of SHA (${wp.survey_capacity_basis || "–"}); planned ${fmt.km2(wp.survey_planned_m2, 2)}. ` +
      `Survey is expected to cancel ${fmt.pct(wp.nts_cancel_share)} (${fmt.km2(wp.expected_cancelled_m2, 2)}) and confirm the rest as CHA (${fmt.km2(wp.expected_cha_m2, 2)}), to be planned for technical survey and clearance in a later year: no SHA is cleared before it is surveyed.`;
    $("#nts-table").replaceChildren(nts.length ? table(ntsColumns, nts, { id: "nts" }) : none("No SHA is planned for survey this year."));

    $("#plan-title").textContent = `2. CHAs for technical survey and clearance (${fmt.int(areas.length)})`;
    $("#plan-note").textContent = `Clearance capacity ${fmt.km2(wp.capacity_m2, 2)}; planned to clear ${fmt.km2(wp.planned_to_clear_m2, 2)} (${fmt.pct(wp.capacity_used, 1)}) after technical survey reduces ${fmt.pct(wp.ts_reduce_share)} of each planned CHA. Selection: ${wp.selection || "–"}.`;
    $("#plan-table").replaceChildren(areas.length ? table(clearanceColumns, areas, { id: "plan" }) : none("No CHA fits this year's capacity."));

    const split = nts.concat(areas).filter((a) => a.carried_to_next_year_m2 > 0);
    $("#carried").replaceChildren(split.length ? table([
      { label: "Area", value: areaLink },
      { label: "Stage", value: (a) => STAGE[a.stage] || a.stage },
      { label: `Worked in ${wp.year}`, num: true, value: (a) => ha(a.planned_m2) },
      { label: `Carried to ${wp.year + 1}`, num: true, value: (a) => figure(a.carried_to_next_year_m2, (v) => fmt.ha(v, 2), "carried:" + a.area_id) },
    ], split, { id: "carried-table" }) : none("No area is split: every planned area is worked whole this year."));

    $("#funding").replaceChildren(table([
      { label: "Planned clearance cost", num: true, value: () => figure(wp.cost_usd, fmt.usd, "workplan-cost") },
      { label: `Pledged for ${wp.province} in ${wp.year}`, num: true, value: () => figure(wp.funding_usd, fmt.usd, "workplan-funding") },
      { label: "Gap", num: true, value: () => el("span", { class: wp.gap_usd > 0 ? "over" : null }, fmt.usd(wp.gap_usd)) },
      { label: "Recorded shortfalls", num: true, value: () => fmt.usd(wp.shortfall_usd) },
    ], [wp], { id: "funding-table" }),
    el("p", { class: "muted" }, "Pledges naming the province count in full; a pledge to an operator is attributed to its deployments active in the year in proportion to their cost, so the province receives the share of its own deployments. Recorded shortfalls already reduce the capacity."));

    $("#by-operator").replaceChildren((wp.by_operator || []).length ? table([
      { label: "Operator", value: (o) => o.operator },
      { label: "Method", value: (o) => fmt.method(o.method) },
      { label: "Areas", num: true, value: (o) => fmt.int(o.areas) },
      { label: "To clear", num: true, value: (o) => fmt.km2(o.to_clear_m2, 2) },
      { label: "Capacity", num: true, value: (o) => fmt.km2(o.capacity_m2, 2) },
      { label: "Cost", num: true, value: (o) => fmt.usd(o.cost_usd) },
    ], wp.by_operator) : none("No deployment is active in the province this year."));

    $("#left-out-title").textContent = `Open areas left for later years, and why (${fmt.int(leftOut.length)})`;
    $("#left-out-note").replaceChildren(leftOut.length ? `Highest score first; the ${fmt.int(Math.min(leftOut.length, LEFT_OUT_SHOWN))} highest are shown. ` : "Every open area is in the plan. ",
      restrictedOut.length ? el("span", null, el("span", { "data-figure": "workplan-restricted" }, fmt.int(restrictedOut.length)), ` are access-restricted (${fmt.km2(restrictedM2, 2)}): no plan tasks them until the restriction is lifted.`) : "");
    $("#left-out").replaceChildren(leftOut.length ? table(leftOutColumns, leftOut.slice(0, LEFT_OUT_SHOWN), { id: "left-out-table" }, leftOutRow) : "");
    const rest = leftOut.slice(LEFT_OUT_SHOWN);
    $("#left-out-more").hidden = !rest.length;
    $("#left-out-more-summary").textContent = `The other ${fmt.int(rest.length)} areas left out`;
    $("#left-out-rest").replaceChildren(rest.length ? table(leftOutColumns, rest, { id: "left-out-rest-table" }, leftOutRow) : "");
  }

  async function loadWorkplan(seq) {
    const box = $("#workplan-error");
    $("#workplan-title").textContent = `MAPU work plan ${year}`;
    await LR.guarded(box, async () => {
      let wp;
      try {
        wp = await LR.api(wpPath(), { minSequence: seq });
      } catch (err) {
        for (const id of workplanParts) $(id).replaceChildren();
        $("#left-out-more").hidden = true;
        plannedIDs = new Set();
        throw err;
      }
      box.hidden = true;
      renderWorkplan(wp);
    });
  }

  async function loadMap() {
    const box = $("#map");
    try {
      const { rows, total } = await AreaMap.loadAreas({ province });
      const drawn = AreaMap.draw(box, rows.map((a) => ({
        id: a.area_id || a.id, status: a.status, geometry: a.geometry, highlight: plannedIDs.has(a.area_id || a.id), restricted: AreaMap.restricted(a),
        label: `${a.district || ""} ${a.status} ${fmt.area(a.remaining_m2)} remaining`.trim() + (AreaMap.restricted(a) ? `, access-restricted since ${fmt.date(a.restricted_since)}` : ""),
      })), { title: `hazard areas of ${province}`, empty: `No area of ${province} has a recorded polygon.` });
      $("#map-note").textContent = `${fmt.int(drawn)} of ${fmt.int(total)} areas have a recorded polygon; areas in the ${year} work plan (survey, or TS and clearance) are outlined in black, access-restricted areas hatched.`;
    } catch (err) {
      LR.showError(box, err);
    }
  }

  $("#map-legend").replaceChildren(AreaMap.legend());
  $("#map-legend .legend").append(el("span", { class: "key key-plan" }, "in the work plan"));

  $("#choose").addEventListener("submit", (ev) => {
    ev.preventDefault();
    province = $("#province-select").value;
    year = +$("#year-input").value;
    history.pushState(null, "", LR.provinceHref(province, year));
    load(0);
  });
  window.addEventListener("popstate", () => {
    province = LR.param("province");
    year = +LR.param("year") || 0;
    load(0);
  });
  $("#print").addEventListener("click", () => window.print());

  // The API's printable HTML and CSV are plain links to the API. With a
  // token, a link cannot carry the Authorization header, so the click fetches
  // the file with it and hands it to the browser as a download instead.
  function setExportLinks() {
    $("#open-html").href = wpPath("html");
    $("#download-csv").href = wpPath("csv");
    $("#download-csv").setAttribute("download", `workplan-${province}-${year}.csv`);
  }
  async function download(ev, format) {
    if (!LR.token()) return; // the browser follows the link itself
    ev.preventDefault();
    await LR.guarded($("#workplan-error"), async () => {
      const res = await LR.api(wpPath(format), { raw: true });
      const url = URL.createObjectURL(await res.blob());
      const a = el("a", { href: url, download: `workplan-${province}-${year}.${format}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    });
  }
  $("#open-html").addEventListener("click", (ev) => download(ev, "html"));
  $("#download-csv").addEventListener("click", (ev) => download(ev, "csv"));

  async function load(seq) {
    await LR.guarded($("#province-error"), async () => {
      await loadOverview(seq);
      $("#province-error").hidden = true;
    });
    if (!province) return;
    setExportLinks();
    await loadWorkplan(seq);
    await loadMap();
  }
  LR.start(load);
})();
