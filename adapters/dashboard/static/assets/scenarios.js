// Scenario comparison: GET /api/v1/scenarios, then POST
// /api/v1/scenarios/compare {"scenarios": [...], "trials": N}.
"use strict";

(() => {
  const { el, fmt, $ } = LR;
  let last = null; // the last comparison asked for, redone on live updates

  function monthsBetween(a, b) {
    const m = (s) => { const x = /^(\d{4})-(\d{2})/.exec(s || ""); return x ? +x[1] * 12 + +x[2] : null; };
    return m(a) == null || m(b) == null ? null : m(b) - m(a);
  }

  function render(doc) {
    const list = doc.scenarios || [];
    const base = list.find((s) => s.name === "baseline") || list[0];
    const deadline = list.length ? list[0].forecast.deadline : null;
    $("#compare-table").replaceChildren(LR.table([
      { label: LR.t("js.table.scenario"), value: (s) => el("strong", { title: s.description || null }, s.name) },
      { label: LR.t("js.table.completion_det"), date: true, value: (s) => el("span", { "data-figure": "completion:" + s.name }, fmt.date(s.forecast.deterministic_completion) === "–" ? LR.t("js.scenarios.never") : fmt.date(s.forecast.deterministic_completion)) },
      { label: "P10", date: true, value: (s) => fmt.date((s.forecast.completion || {}).p10) },
      { label: "P50", date: true, value: (s) => fmt.date((s.forecast.completion || {}).p50) },
      { label: "P90", date: true, value: (s) => fmt.date((s.forecast.completion || {}).p90) },
      { label: LR.t("js.table.chance"), num: true, value: (s) => fmt.pct(s.forecast.probability_by_deadline) },
      { label: LR.t("js.table.at_deadline"), num: true, value: (s) => LR.figure(s.forecast.remaining_at_deadline_m2, fmt.km2, "at-deadline:" + s.name) },
      { label: LR.t("js.table.cost_to_completion"), num: true, value: (s) => fmt.usd(s.forecast.cost_to_completion_usd) },
      { label: LR.t("js.table.vs_baseline"), num: true, value: (s) => {
        if (s === base) return "–";
        const d = monthsBetween(base.forecast.deterministic_completion, s.forecast.deterministic_completion);
        return d == null ? "–" : LR.t("js.scenarios.months", { n: (d > 0 ? "+" : "") + d });
      } },
    ], list, { id: "comparison" }), el("dl", { class: "facts small" }, list.flatMap((s) => [el("dt", null, s.name), el("dd", null, s.description || "–")])));
    Charts.trajectories($("#trajectory-chart"), list, deadline);
    Charts.completion($("#completion-chart"), list, deadline);
    $("#compare-status").textContent = LR.t("js.scenarios.status", { n: list.length, trials: fmt.int(list.length ? list[0].forecast.trials : 0), date: fmt.date(list.length ? list[0].forecast.as_of : "") }) +
      (deadline ? LR.t("js.scenarios.status_deadline", { date: fmt.date(deadline) }) : LR.t("js.overview.period"));
  }

  async function compare(req) {
    const box = $("#compare-error");
    const button = $("#compare-button");
    button.disabled = true;
    $("#compare-stale").hidden = true;
    $("#compare-status").textContent = LR.t("js.scenarios.running");
    await LR.guarded(box, async () => {
      render(await LR.api("/api/v1/scenarios/compare", { method: "POST", body: req }));
      box.hidden = true;
    });
    button.disabled = false;
  }

  function request() {
    const names = Array.from(document.querySelectorAll("#scenario-list input:checked")).map((i) => i.value);
    return { scenarios: names, trials: Number($("#trials").value) || 500 };
  }

  $("#compare").addEventListener("submit", (ev) => {
    ev.preventDefault();
    last = request();
    compare(last);
  });

  LR.start(async (seq) => {
    // A comparison takes seconds: new events do not rerun it, they say so.
    if (seq && last) {
      $("#compare-stale").textContent = LR.t("js.scenarios.stale", { n: fmt.int(seq) });
      $("#compare-stale").hidden = false;
      return;
    }
    await LR.guarded($("#compare-error"), async () => {
      const doc = await LR.api("/api/v1/scenarios");
      const wanted = new Set((LR.param("scenarios") || "baseline,rcaf-2000").split(","));
      if (+LR.param("trials") > 0) $("#trials").value = LR.param("trials");
      $("#scenario-list").replaceChildren(el("legend", null, LR.t("js.scenarios.legend")), ...(doc.scenarios || []).map((s) =>
        el("label", { class: "choice", title: s.description || "" }, el("span", null, el("input", { type: "checkbox", name: "scenario", value: s.name, checked: wanted.has(s.name) }), " ", s.name))));
      last = request();
    });
    if (last && last.scenarios.length) await compare(last);
  });
})();
