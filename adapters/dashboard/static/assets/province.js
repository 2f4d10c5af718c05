// Province page: the province's figures (GET /api/v1/overview), its MAPU work
// plan in land-release order (GET /api/v1/workplans/{province}/{year}: SHAs
// surveyed first with the expected cancellation, CHAs for TS and clearance,
// splits carried to the next year, pledged funding and the gap, the areas left
// out and why) and a map of its areas (GET /api/v1/areas?province=), with the
// planned areas outlined and the access-restricted ones hatched.
"use strict";

(() => {
  const { el, fmt, figure, table, link, $, t } = LR;

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
      $("#title").textContent = t("js.province.provinces");
      $("#province-kpis").replaceChildren(el("p", { class: "muted" }, t("js.province.none_recorded")));
      return;
    }
    if (!year) year = defaultYear(overview.as_of);
    const sel = $("#province-select");
    sel.replaceChildren(...names.map((n) => el("option", { value: n, selected: n === province }, n)));
    $("#year-input").value = String(year);
    document.title = `${province} · landrelease`;
    $("#title").textContent = t("js.province.title", { province });
    const p = (overview.provinces || []).find((q) => q.province === province);
    if (!p) {
      $("#province-kpis").replaceChildren(el("p", { class: "muted" }, t("js.province.none_in", { province })));
      return;
    }
    const capacity = (overview.capacity || []).filter((c) => c.province === province);
    $("#capacity").replaceChildren(capacity.length ? table([
      { label: t("js.table.operator"), value: (c) => c.operator },
      { label: t("js.table.deployments"), num: true, value: (c) => fmt.int(c.deployments) },
      { label: t("js.table.deminers"), num: true, value: (c) => fmt.int(c.deminers) },
      { label: t("js.table.of_whom_women"), num: true, value: (c) => `${fmt.int(c.women)} (${fmt.pct(c.deminers ? c.women / c.deminers : 0)})` },
    ], capacity, { id: "capacity-table" }) : el("p", { class: "muted" }, t("js.province.no_capacity")));
    const released = p.cancelled_nts_m2 + p.cancelled_desk_m2 + p.reduced_m2 + p.cleared_m2;
    $("#province-kpis").replaceChildren(
      kpi(t("js.overview.kpi.remaining"), figure(p.remaining_m2, fmt.km2, "province-remaining"), el("span", null, "SHA ", fmt.km2(p.remaining_sha_m2), " · CHA ", fmt.km2(p.remaining_cha_m2)), "remaining"),
      kpi(t("js.overview.kpi.open"), el("span", { "data-figure": "province-open-areas" }, fmt.int(p.open_areas)), t("js.province.open_sub", { sha: fmt.int(p.open_sha), cha: fmt.int(p.open_cha) }), "areas"),
      kpi(t("js.overview.kpi.released"), fmt.km2(released), t("js.province.released_sub", { cleared: fmt.km2(p.cleared_m2), reduced: fmt.km2(p.reduced_m2) }), "released"),
      kpi(t("js.table.without_evidence"), fmt.int(p.areas_without_evidence), t("js.province.no_evidence_sub"), "no-evidence"),
      kpi(t("js.table.restricted"), figure(p.restricted_m2 || 0, fmt.km2, "province-restricted"),
        p.restricted_areas ? el("span", null, el("span", { "data-figure": "province-restricted-areas" }, fmt.int(p.restricted_areas)), t("js.province.restricted_sub"))
          : t("js.province.no_restricted"), "restricted"),
    );
  }

  // The printable plan in the page's language (an English one names none).
  const wpPath = (format) => `/api/v1/workplans/${encodeURIComponent(province)}/${year}` + (format ? "?format=" + format : "") +
    (format === "html" && LR.lang !== "en" ? "&lang=" + LR.lang : "");

  const areaLink = (a) => link(LR.areaHref(a.area_id), fmt.shortID(a.area_id), { class: "mono", title: a.area_id });
  const place = (a) => [a.district, a.village].filter(Boolean).join(", ") || "–";
  const ha = (m2) => el("span", { title: fmt.m2(m2) }, fmt.ha(m2, 2));
  const score = (a) => (a.score == null ? "–" : a.score.toFixed(1));
  const classBadge = (a) => el("span", { class: "badge " + String(a.classification).toLowerCase() }, a.classification);
  const STAGE = { NTS: "NTS", TS_CLEARANCE: t("js.province.stage_ts") };
  const oneDecimal = new Intl.NumberFormat("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  // The columns follow `landrelease workplan --format html` (the printable
  // plan the API serves), so the page and the paper say the same.
  const ntsColumns = [
    { label: "#", num: true, value: (a) => String(a.rank) },
    { label: t("js.table.area"), value: areaLink },
    { label: t("js.table.district_village"), value: place },
    { label: t("js.table.land_use"), value: (a) => fmt.words(a.land_use) || "–" },
    { label: t("js.table.remaining"), num: true, value: (a) => ha(a.remaining_m2) },
    { label: t("js.table.survey_this_year"), num: true, value: (a) => ha(a.planned_m2) },
    { label: t("js.table.carried"), num: true, value: (a) => (a.carried_to_next_year_m2 ? ha(a.carried_to_next_year_m2) : "–") },
    { label: t("js.table.expect_cancel"), num: true, value: (a) => ha(a.expected_cancelled_m2) },
    { label: t("js.table.expect_cha"), num: true, value: (a) => ha(a.expected_cha_m2) },
    { label: t("js.table.score"), num: true, value: score },
  ];
  const clearanceColumns = [
    { label: "#", num: true, value: (a) => String(a.rank) },
    { label: t("js.table.area"), value: areaLink },
    { label: t("js.table.district_village"), value: place },
    { label: t("js.table.class"), value: classBadge },
    { label: t("js.table.hazard"), value: (a) => a.hazard },
    { label: t("js.table.land_use"), value: (a) => fmt.words(a.land_use) || "–" },
    { label: t("js.table.remaining"), num: true, value: (a) => ha(a.remaining_m2) },
    { label: t("js.table.planned"), num: true, value: (a) => ha(a.planned_m2) },
    { label: t("js.table.carried"), num: true, value: (a) => (a.carried_to_next_year_m2 ? ha(a.carried_to_next_year_m2) : "–") },
    { label: t("js.table.to_clear"), num: true, value: (a) => ha(a.to_clear_m2) },
    { label: t("js.table.casualties5"), num: true, value: (a) => fmt.int(a.casualties_last_5y) },
    { label: t("js.table.operator"), value: (a) => [a.operator, a.method && `(${fmt.method(a.method)})`].filter(Boolean).join(" ") || "–" },
    { label: t("js.table.cost"), num: true, value: (a) => fmt.usd(a.cost_usd) },
    { label: t("js.table.score"), num: true, value: score },
  ];
  const leftOutColumns = [
    { label: t("js.table.area"), value: areaLink },
    { label: t("js.table.stage"), value: (a) => STAGE[a.stage] || a.stage },
    { label: t("js.table.class"), value: classBadge },
    { label: t("js.table.remaining"), num: true, value: (a) => ha(a.remaining_m2) },
    { label: t("js.table.score"), num: true, value: score },
    { label: t("js.table.why"), value: (a) => (a.access_restricted ? [el("span", { class: "badge restricted" }, t("js.badge.restricted")), " ", a.reason] : a.reason || "–") },
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
      kpi(t("js.province.kpi.nts"), figure(wp.survey_planned_m2, fmt.km2, "workplan-survey"),
        el("span", null, t("js.province.survey_of", { capacity: fmt.km2(wp.survey_capacity_m2) }) + " ", el("span", { "data-figure": "workplan-nts-areas" }, fmt.int(nts.length)), " " + t("js.province.shas")), "survey"),
      kpi(t("js.province.kpi.expected"), figure(wp.expected_cancelled_m2, fmt.km2, "workplan-expected-cancelled"),
        el("span", null, t("js.province.cancelled_at", { pct: fmt.pct(wp.nts_cancel_share) }) + " · ", figure(wp.expected_cha_m2, fmt.km2, "workplan-expected-cha"), " " + t("js.province.confirmed_later")), "expected"),
      kpi(t("js.province.kpi.plan"), el("span", { "data-figure": "workplan-areas" }, fmt.int(areas.length)),
        t("js.province.left_for_later", { n: fmt.int(wp.open_areas_not_planned) }), "plan-areas"),
      kpi(t("js.province.kpi.planned"), figure(wp.planned_to_clear_m2, fmt.km2, "workplan-planned"), t("js.province.planned_sub", { capacity: fmt.km2(wp.capacity_m2), used: fmt.pct(wp.capacity_used, 1), ts: fmt.pct(wp.ts_reduce_share) }), "planned"),
      kpi(t("js.province.kpi.gap"), figure(wp.gap_usd, fmt.usd, "workplan-gap"), t("js.province.gap_sub", { cost: fmt.usd(wp.cost_usd), pledged: fmt.usd(wp.funding_usd) }), "gap"),
      kpi(t("js.province.kpi.priority"), el("span", { "data-figure": "workplan-priority" }, oneDecimal.format(wp.priority_total || 0)),
        t("js.province.priority_sub", { ff: oneDecimal.format(wp.first_fit_total || 0) }), "priority"),
    );

    $("#nts-title").textContent = t("js.province.nts_title", { n: fmt.int(nts.length) });
    $("#nts-note").textContent = t("js.province.nts_note", { capacity: fmt.km2(wp.survey_capacity_m2, 2), basis: wp.survey_capacity_basis || "–", planned: fmt.km2(wp.survey_planned_m2, 2),
      pct: fmt.pct(wp.nts_cancel_share), cancelled: fmt.km2(wp.expected_cancelled_m2, 2), cha: fmt.km2(wp.expected_cha_m2, 2) });
    $("#nts-table").replaceChildren(nts.length ? table(ntsColumns, nts, { id: "nts" }) : none(t("js.province.no_nts")));

    $("#plan-title").textContent = t("js.province.plan_title", { n: fmt.int(areas.length) });
    $("#plan-note").textContent = t("js.province.plan_note", { capacity: fmt.km2(wp.capacity_m2, 2), planned: fmt.km2(wp.planned_to_clear_m2, 2), used: fmt.pct(wp.capacity_used, 1),
      ts: fmt.pct(wp.ts_reduce_share), selection: wp.selection || "–" });
    $("#plan-table").replaceChildren(areas.length ? table(clearanceColumns, areas, { id: "plan" }) : none(t("js.province.no_plan")));

    const split = nts.concat(areas).filter((a) => a.carried_to_next_year_m2 > 0);
    $("#carried").replaceChildren(split.length ? table([
      { label: t("js.table.area"), value: areaLink },
      { label: t("js.table.stage"), value: (a) => STAGE[a.stage] || a.stage },
      { label: t("js.province.worked_in", { year: wp.year }), num: true, value: (a) => ha(a.planned_m2) },
      { label: t("js.province.carried_to", { year: wp.year + 1 }), num: true, value: (a) => figure(a.carried_to_next_year_m2, (v) => fmt.ha(v, 2), "carried:" + a.area_id) },
    ], split, { id: "carried-table" }) : none(t("js.province.no_split")));

    $("#funding").replaceChildren(table([
      { label: t("js.province.cost"), num: true, value: () => figure(wp.cost_usd, fmt.usd, "workplan-cost") },
      { label: t("js.province.pledged_for", { province: wp.province, year: wp.year }), num: true, value: () => figure(wp.funding_usd, fmt.usd, "workplan-funding") },
      { label: t("js.province.gap"), num: true, value: () => el("span", { class: wp.gap_usd > 0 ? "over" : null }, fmt.usd(wp.gap_usd)) },
      { label: t("js.province.shortfalls"), num: true, value: () => fmt.usd(wp.shortfall_usd) },
    ], [wp], { id: "funding-table" }),
    el("p", { class: "muted" }, t("js.province.pledges_note")));

    $("#by-operator").replaceChildren((wp.by_operator || []).length ? table([
      { label: t("js.table.operator"), value: (o) => o.operator },
      { label: t("js.table.method"), value: (o) => fmt.method(o.method) },
      { label: t("js.table.areas"), num: true, value: (o) => fmt.int(o.areas) },
      { label: t("js.table.to_clear"), num: true, value: (o) => fmt.km2(o.to_clear_m2, 2) },
      { label: t("js.table.capacity"), num: true, value: (o) => fmt.km2(o.capacity_m2, 2) },
      { label: t("js.table.cost"), num: true, value: (o) => fmt.usd(o.cost_usd) },
    ], wp.by_operator) : none(t("js.province.no_deployment")));

    $("#left-out-title").textContent = t("js.province.left_out_title", { n: fmt.int(leftOut.length) });
    $("#left-out-note").replaceChildren(leftOut.length ? t("js.province.left_out_note", { n: fmt.int(Math.min(leftOut.length, LEFT_OUT_SHOWN)) }) + " " : t("js.province.all_planned"),
      restrictedOut.length ? el("span", null, el("span", { "data-figure": "workplan-restricted" }, fmt.int(restrictedOut.length)), " " + t("js.province.restricted_out", { area: fmt.km2(restrictedM2, 2) })) : "");
    $("#left-out").replaceChildren(leftOut.length ? table(leftOutColumns, leftOut.slice(0, LEFT_OUT_SHOWN), { id: "left-out-table" }, leftOutRow) : "");
    const rest = leftOut.slice(LEFT_OUT_SHOWN);
    $("#left-out-more").hidden = !rest.length;
    $("#left-out-more-summary").textContent = t("js.province.others", { n: fmt.int(rest.length) });
    $("#left-out-rest").replaceChildren(rest.length ? table(leftOutColumns, rest, { id: "left-out-rest-table" }, leftOutRow) : "");
  }

  async function loadWorkplan(seq) {
    const box = $("#workplan-error");
    $("#workplan-title").textContent = t("js.province.workplan_title", { year });
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
      })), { title: t("js.province.map_title", { province }), empty: t("js.province.map_empty", { province }) });
      $("#map-note").textContent = t("js.province.map_note", { drawn: fmt.int(drawn), total: fmt.int(total), year });
    } catch (err) {
      LR.showError(box, err);
    }
  }

  $("#map-legend").replaceChildren(AreaMap.legend());
  $("#map-legend .legend").append(el("span", { class: "key key-plan" }, t("js.province.in_plan")));

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
