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
    (format ? (province ? "&" : "?") + "format=" + format : "");
  const pct = (x) => (x == null ? "n/a" : fmt.pct(x, 1));
  const kv = (rows, id) => table([{ label: "Figure", value: (r) => r[0] }, { label: "Value", num: true, value: (r) => r[1] }], rows, { id });

  function show(r) {
    $("#report-title").textContent = `Annual progress report ${r.year}` + (r.province ? ` · ${r.province}` : " · national");
    const c = r.contamination || {}, t = c.total || {};
    const rel = r.release || {}, d = r.devices_destroyed || {}, ad = r.additions || {}, ch = r.reclassifications_and_reopenings || {};
    const k = r.capacity || {}, f = r.funding || {}, ms = r.milestones || {}, ind = r.indicators || {};
    $("#report-kpis").replaceChildren(
      kpi("Remaining on 31 December", figure((t.end_sha_m2 || 0) + (t.end_cha_m2 || 0), fmt.km2, "report-remaining-end"), `1 January: ${fmt.km2((t.start_sha_m2 || 0) + (t.start_cha_m2 || 0))}`, "remaining"),
      kpi("Land released", figure(rel.total_m2, fmt.km2, "report-released"), `${fmt.int(rel.events)} events`, "released"),
      kpi("Events in the year", el("span", { "data-figure": "report-events" }, fmt.int((r.events || {}).count)), `history to sequence ${fmt.int(r.sequence)}`, "events"),
    );
    $("#src-contamination").textContent = c.source || "";
    const provs = (c.provinces || []).concat(c.total ? [c.total] : []);
    $("#report-contamination").replaceChildren(provs.length ? table([
      { label: "Province", value: (p) => p.province },
      { label: "SHA 1 Jan", num: true, value: (p) => fmt.km2(p.start_sha_m2) },
      { label: "CHA 1 Jan", num: true, value: (p) => fmt.km2(p.start_cha_m2) },
      { label: "Areas 1 Jan", num: true, value: (p) => fmt.int(p.start_areas) },
      { label: "SHA 31 Dec", num: true, value: (p) => fmt.km2(p.end_sha_m2) },
      { label: "CHA 31 Dec", num: true, value: (p) => fmt.km2(p.end_cha_m2) },
      { label: "Areas 31 Dec", num: true, value: (p) => fmt.int(p.end_areas) },
    ], provs, { id: "report-contamination-table" }) : el("p", { class: "muted" }, "Nothing recorded by then."));
    $("#src-release").textContent = rel.source || "";
    $("#report-release").replaceChildren(table([
      { label: "Method", value: (m) => (m.method === "total" ? "total" : fmt.method(m.method)) },
      { label: "Area", num: true, value: (m) => figure(m.area_m2, fmt.km2) },
      { label: "Events", num: true, value: (m) => fmt.int(m.events) },
    ], (rel.methods || []).concat([{ method: "total", area_m2: rel.total_m2, events: rel.events }]), { id: "report-release-table" }));
    const byP = rel.by_province || [];
    $("#report-release-provinces").replaceChildren(byP.length ? table([
      { label: "Province", value: (p) => p.province },
      { label: "Cancelled by NTS", num: true, value: (p) => fmt.km2(p.cancelled_nts_m2) },
      { label: "Cancelled by desk", num: true, value: (p) => fmt.km2(p.cancelled_desk_m2) },
      { label: "Reduced by TS", num: true, value: (p) => fmt.km2(p.reduced_ts_m2) },
      { label: "Cleared", num: true, value: (p) => fmt.km2(p.cleared_m2) },
    ], byP) : "");
    $("#report-changes").replaceChildren(kv([
      ["AP mines destroyed", fmt.int(d.ap_mines)], ["AT mines destroyed", fmt.int(d.at_mines)], ["ERW destroyed", fmt.int(d.erw)],
      ["Areas added", `${fmt.int(ad.areas)} (${fmt.km2(ad.area_m2)})`],
      ["… with evidence at registration", `${fmt.int(ad.with_evidence_areas)} (${fmt.km2(ad.with_evidence_m2)})`],
      ["Size corrections", `${fmt.km2(ad.corrections_m2)} (${fmt.int(ad.correction_events)})`],
      ["Confirmed SHA → CHA", `${fmt.int(ch.confirmed)} (${fmt.km2(ch.confirmed_m2)})`],
      ["Reclassified to CHA / to SHA", `${fmt.int(ch.reclassified_to_cha)} / ${fmt.int(ch.reclassified_to_sha)}`],
      ["Reopened", `${fmt.int(ch.reopenings)} (${fmt.km2(ch.reopened_m2)})`],
    ], "report-changes-table"), el("p", { class: "muted source" }, [d.source, ad.source, ch.source].filter(Boolean).join(" · ")));
    $("#report-capacity").replaceChildren(kv([
      ["Deployments active", fmt.int(k.active_deployments)], ["Deminers active (women)", `${fmt.int(k.active_deminers)} (${fmt.int(k.active_women)})`],
      ["Deployed in the year (women)", `${fmt.int(k.deployed_in_year_deminers)} (${fmt.int(k.deployed_in_year_women)})`],
      ["Pledged", `${fmt.usd(f.pledged_usd)} (${fmt.int(f.pledges)} pledges)`], ["Shortfalls", `${fmt.usd(f.shortfall_usd)} (${fmt.int(f.shortfalls)})`], ["Net", fmt.usd(f.net_usd)],
    ], "report-capacity-table"), el("p", { class: "muted source" }, [k.source, f.source].filter(Boolean).join(" · ")));
    $("#src-milestones").textContent = `Deadline in force: ${ms.deadline ? fmt.date(ms.deadline) : "none recorded"}. ${ms.source || ""}`;
    const items = ms.items || [];
    $("#report-milestones").replaceChildren(items.length ? table([
      { label: "Year", value: (m) => String(m.year) },
      { label: "Planned release", num: true, value: (m) => fmt.km2(m.planned_release_m2) },
      { label: "Released", num: true, value: (m) => fmt.km2(m.released_m2) },
      { label: "", value: (m) => (m.due ? el("span", { class: "badge " + (m.met ? "good" : "bad") }, m.met ? "met" : "missed") : "not yet due") },
    ], items, { id: "report-milestones-table" }) : el("p", { class: "muted" }, "No milestone is recorded."));
    $("#src-indicators").textContent = ind.source || "";
    $("#report-indicators").replaceChildren(kv([
      ["Targets met", `${fmt.int(ind.targets_met)} of ${fmt.int(ind.targets_due)} due` + (ind.target_of_year_met == null ? "" : ind.target_of_year_met ? " (this year's met)" : " (this year's missed)")],
      ["Evidence share of additions", pct(ind.evidence_share_of_additions)],
      ["Share of SHA cancelled by NTS", pct(ind.sha_cancelled_by_nts_share)],
      ["QA visits per release", ind.qa_visits_per_release == null ? "n/a" : ind.qa_visits_per_release.toFixed(2) + ` (${fmt.int(ind.qa_visits)} visits)`],
      ["Women's share of capacity", pct(ind.women_share_of_capacity)],
      ["Data discrepancies with operator reports", ind.discrepancies || (ind.discrepancies_known ? "known" : "not recorded in the history")],
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
        $("#report-province").replaceChildren(el("option", { value: "" }, "national"), ...names.map((n) => el("option", { value: n, selected: n === province }, n)));
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
