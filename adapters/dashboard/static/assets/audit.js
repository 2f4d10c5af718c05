// Audit page: GET /api/v1/audit?area=&from=&to=&flag=, filters kept in the URL.
"use strict";

(() => {
  const { el, fmt, link, $ } = LR;
  const FILTERS = ["area", "from", "to", "flag"];

  function query() {
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      const v = LR.param(f);
      if (v) q.set(f, v);
    }
    return q;
  }

  function fillForm() {
    for (const f of FILTERS) $("#f-" + f).value = LR.param(f);
  }

  function kpi(label, value, sub) {
    return el("div", { class: "kpi" }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  function render(doc) {
    const entries = doc.entries || [];
    const s = doc.evidence_share;
    $("#audit-kpis").replaceChildren(
      kpi("Entries shown", el("span", { "data-figure": "audit-entries" }, fmt.int(entries.length)), entries.length >= 1000 ? "the first 1,000: narrow the filters to see the rest" : null),
      s ? kpi("Added area with evidence", fmt.pct(s.share_with_evidence, 1), `${fmt.int(s.with_evidence_areas)} of ${fmt.int(s.areas_added)} areas added · ${fmt.km2(s.with_evidence_m2)} of ${fmt.km2(s.added_m2)}`) : null,
    );
    $("#audit-count").textContent = `Entries (${fmt.int(entries.length)})`;
    $("#audit-table").replaceChildren(entries.length ? LR.table([
      { label: "Occurred", date: true, value: (e) => fmt.date(e.occurred_on) },
      { label: "Action", value: (e) => fmt.words(e.action) },
      { label: "Area", value: (e) => link(LR.areaHref(e.area_id), fmt.shortID(e.area_id), { class: "mono", title: e.area_id }) },
      { label: "Province", value: (e) => e.province },
      { label: "Class", value: (e) => [e.from, e.to].filter(Boolean).join(" → ") || "–" },
      { label: "Size", num: true, value: (e) => (e.size_m2 ? fmt.area(e.size_m2) : "–") },
      { label: "Method", value: (e) => (e.method ? fmt.method(e.method) : "–") },
      { label: "Actor", value: (e) => e.actor || "–" },
      { label: "Reason", value: (e) => e.reason || "–" },
      { label: "Evidence", value: (e) => ((e.evidence || []).length ? e.evidence.map((x) => `${fmt.words(x.kind)} ${fmt.date(x.observed_on)}`).join("; ") : `none (${e.evidence_count || 0} on record)`) },
      { label: "Flags", value: (e) => (e.flags || []).map((f) => el("span", { class: "badge bad" }, fmt.words(f))) },
    ], entries, { id: "audit" }) : el("p", { class: "muted" }, "No entry matches these filters."));
  }

  $("#filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      const v = $("#f-" + f).value.trim();
      if (v) q.set(f, v);
    }
    history.pushState(null, "", "/audit.html" + (q.toString() ? "?" + q : ""));
    load(0);
  });
  $("#f-clear").addEventListener("click", () => {
    history.pushState(null, "", "/audit.html");
    fillForm();
    load(0);
  });
  window.addEventListener("popstate", () => { fillForm(); load(0); });

  async function load(seq) {
    const box = $("#audit-error");
    await LR.guarded(box, async () => {
      const q = query();
      render(await LR.api("/api/v1/audit" + (q.toString() ? "?" + q : ""), { minSequence: seq }));
      box.hidden = true;
    });
  }
  fillForm();
  LR.start(load);
})();
