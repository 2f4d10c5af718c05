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
      kpi(LR.t("js.audit.shown"), el("span", { "data-figure": "audit-entries" }, fmt.int(entries.length)), entries.length >= 1000 ? LR.t("js.audit.first_1000", { n: fmt.int(1000) }) : null),
      s ? kpi(LR.t("js.audit.with_evidence"), fmt.pct(s.share_with_evidence, 1), LR.t("js.audit.with_evidence_sub", { n: fmt.int(s.with_evidence_areas), of: fmt.int(s.areas_added), m2: fmt.km2(s.with_evidence_m2), ofm2: fmt.km2(s.added_m2) })) : null,
    );
    $("#audit-count").textContent = LR.t("js.audit.entries", { n: fmt.int(entries.length) });
    $("#audit-table").replaceChildren(entries.length ? LR.table([
      { label: LR.t("js.table.occurred"), date: true, value: (e) => fmt.date(e.occurred_on) },
      { label: LR.t("js.table.action"), value: (e) => fmt.words(e.action) },
      { label: LR.t("js.table.area"), value: (e) => link(LR.areaHref(e.area_id), fmt.shortID(e.area_id), { class: "mono", title: e.area_id }) },
      { label: LR.t("js.table.province"), value: (e) => e.province },
      { label: LR.t("js.table.class"), value: (e) => [e.from, e.to].filter(Boolean).join(" → ") || "–" },
      { label: LR.t("js.table.size"), num: true, value: (e) => (e.size_m2 ? fmt.area(e.size_m2) : "–") },
      { label: LR.t("js.table.method"), value: (e) => (e.method ? fmt.method(e.method) : "–") },
      { label: LR.t("js.table.actor"), value: (e) => e.actor || "–" },
      { label: LR.t("js.table.reason"), value: (e) => e.reason || "–" },
      { label: LR.t("js.table.evidence"), value: (e) => ((e.evidence || []).length ? e.evidence.map((x) => `${fmt.words(x.kind)} ${fmt.date(x.observed_on)}`).join("; ") : LR.t("js.audit.no_evidence", { n: e.evidence_count || 0 })) },
      { label: LR.t("js.table.flags"), value: (e) => (e.flags || []).map((f) => el("span", { class: "badge bad" }, fmt.words(f))) },
    ], entries, { id: "audit" }) : el("p", { class: "muted" }, LR.t("js.audit.none")));
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
