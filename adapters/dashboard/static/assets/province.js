// Province page: the province's figures (GET /api/v1/overview), its MAPU work
// plan (GET /api/v1/workplans/{province}/{year}) and a map of its areas
// (GET /api/v1/areas?province=), with the planned areas outlined.
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
      kpi("Without evidence", fmt.int(p.areas_without_evidence), "open areas to send to non-technical survey", "no-evidence"),
    );
  }

  const wpPath = (format) => `/api/v1/workplans/${encodeURIComponent(province)}/${year}` + (format ? "?format=" + format : "");

  const areaColumns = (withPlan) => [
    { label: "#", num: true, value: (a) => String(a.rank) },
    { label: "Area", value: (a) => link(LR.areaHref(a.area_id), fmt.shortID(a.area_id), { class: "mono", title: a.area_id }) },
    { label: "District", value: (a) => [a.district, a.village].filter(Boolean).join(", ") || "–" },
    { label: "Class", value: (a) => el("span", { class: "badge " + String(a.classification).toLowerCase() }, a.classification) },
    { label: "Hazard", value: (a) => a.hazard },
    { label: "Land use", value: (a) => fmt.words(a.land_use) || "–" },
    { label: "Remaining", num: true, value: (a) => el("span", { title: fmt.m2(a.remaining_m2) }, fmt.ha(a.remaining_m2, 2)) },
    withPlan ? { label: "To clear", num: true, value: (a) => el("span", { title: fmt.m2(a.to_clear_m2) }, fmt.ha(a.to_clear_m2, 2)) } : null,
    { label: "Casualties (5 y)", num: true, value: (a) => fmt.int(a.casualties_last_5y) },
    { label: "Evidence", num: true, value: (a) => fmt.int(a.evidence_count) },
    { label: "Score", num: true, value: (a) => (a.score == null ? "–" : a.score.toFixed(1)) },
    withPlan ? { label: "Operator", value: (a) => [a.operator, a.method && `(${fmt.method(a.method)})`].filter(Boolean).join(" ") } : null,
    withPlan ? { label: "Cost", num: true, value: (a) => fmt.usd(a.cost_usd) } : null,
  ].filter(Boolean);

  async function loadWorkplan(seq) {
    const box = $("#workplan-error");
    $("#workplan-title").textContent = `MAPU work plan ${year}`;
    await LR.guarded(box, async () => {
      let wp;
      try {
        wp = await LR.api(wpPath(), { minSequence: seq });
      } catch (err) {
        for (const id of ["#workplan-kpis", "#by-operator", "#plan-table", "#nts-table"]) $(id).replaceChildren();
        plannedIDs = new Set();
        throw err;
      }
      box.hidden = true;
      const areas = wp.areas || [], nts = wp.proposed_for_nts || [];
      plannedIDs = new Set(areas.map((a) => a.area_id));
      $("#workplan-kpis").replaceChildren(
        kpi("Areas in the plan", el("span", { "data-figure": "workplan-areas" }, fmt.int(areas.length)), `${fmt.int(nts.length)} proposed for NTS · ${fmt.int(wp.open_areas_not_planned)} open areas not planned`, "plan-areas"),
        kpi("Planned clearance", figure(wp.planned_to_clear_m2, fmt.km2, "workplan-planned"), `of ${fmt.km2(wp.capacity_m2)} capacity (${fmt.pct(wp.capacity_used, 1)} used)`, "planned"),
        kpi("Cost", fmt.usd(wp.cost_usd), `funding ${fmt.usd(wp.funding_usd)} · shortfall ${fmt.usd(wp.shortfall_usd)}`, "cost"),
      );
      $("#by-operator").replaceChildren(table([
        { label: "Operator", value: (o) => o.operator },
        { label: "Method", value: (o) => fmt.method(o.method) },
        { label: "Areas", num: true, value: (o) => fmt.int(o.areas) },
        { label: "To clear", num: true, value: (o) => fmt.km2(o.to_clear_m2, 2) },
        { label: "Capacity", num: true, value: (o) => fmt.km2(o.capacity_m2, 2) },
        { label: "Cost", num: true, value: (o) => fmt.usd(o.cost_usd) },
      ], wp.by_operator || []));
      $("#plan-table").replaceChildren(areas.length ? table(areaColumns(true), areas, { id: "plan" }) : el("p", { class: "muted" }, "No area fits this year's capacity."));
      $("#nts-table").replaceChildren(nts.length ? table(areaColumns(false), nts, { id: "nts" }) : el("p", { class: "muted" }, "None."));
    });
  }

  async function loadMap() {
    const box = $("#map");
    try {
      const { rows, total } = await AreaMap.loadAreas({ province });
      const drawn = AreaMap.draw(box, rows.map((a) => ({
        id: a.area_id || a.id, status: a.status, geometry: a.geometry, highlight: plannedIDs.has(a.area_id || a.id),
        label: `${a.district || ""} ${a.status} ${fmt.area(a.remaining_m2)} remaining`.trim(),
      })), { title: `hazard areas of ${province}`, empty: `No area of ${province} has a recorded polygon.` });
      $("#map-note").textContent = `${fmt.int(drawn)} of ${fmt.int(total)} areas have a recorded polygon; areas in the ${year} work plan are outlined in black.`;
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
