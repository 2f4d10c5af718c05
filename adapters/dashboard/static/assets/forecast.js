// Article 5 forecast: GET /api/v1/forecast?redeploy=&funding=&trials= and
// GET /api/v1/backtest?trials=. The forecast is rerun when events arrive;
// the backtest, which replays the history once per year, is marked stale.
"use strict";

(() => {
  const { el, fmt, figure, table, link, $ } = LR;

  const usd = (v, name) => el("span", { class: "figure", "data-usd": v, "data-figure": name || null }, fmt.usd(v));
  const when = (d) => (d ? fmt.date(d) : "never");
  const dated = (d, name) => el("span", { "data-figure": name || null }, when(d));
  const pct1 = (v) => (v == null ? "–" : fmt.pct(v / 100, 1));
  const signedPct = (v) => (v == null ? "–" : (v > 0 ? "+" : "") + fmt.pct(v / 100, 1));

  function kpi(label, value, sub, name) {
    return el("div", { class: "kpi", "data-kpi": name }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  // settings reads the form: what the forecast is asked for.
  function settings() {
    return { redeploy: $("#redeploy").value, funding: $("#funding").value, trials: Math.max(0, Number($("#trials").value) || 0) };
  }

  function forecastPath(s) {
    return `/api/v1/forecast?trials=${s.trials}&redeploy=${encodeURIComponent(s.redeploy)}&funding=${encodeURIComponent(s.funding)}`;
  }

  function render(f) {
    const c = f.completion || {};
    const provinces = f.provinces || [];
    const strandedUSD = provinces.reduce((a, p) => a + (p.stranded_cost_usd || 0), 0);
    const gap = (f.funding_gap || []).reduce((a, g) => a + Math.max(0, g.gap_usd || 0), 0);
    $("#forecast-asof").textContent = `Forecast from ${fmt.date(f.as_of)}: ${fmt.int(f.trials)} Monte Carlo trials (seed ${f.seed}); capacity of a finished province: ${f.redeploy}; after the last pledged year funding is ${f.funding_after_pledges}. Rates learned from ${f.rates.window_from_year}–${f.rates.window_to_year}.`;
    $("#forecast-kpis").replaceChildren(
      kpi("Article 5 area left", figure(f.remaining_m2, fmt.km2, "a5-remaining"),
        el("span", null, "SHA ", fmt.km2(f.remaining_sha_m2), " · CHA ", fmt.km2(f.remaining_cha_m2), " (areas with AP mines)"), "a5"),
      kpi("Completion (P50)", dated(c.p50, "national-p50"),
        el("span", null, `P10 ${when(c.p10)} – P90 ${when(c.p90)} · deterministic `, dated(f.deterministic_completion, "national-deterministic")), "completion"),
      kpi("Article 5 deadline", f.deadline ? fmt.date(f.deadline) : "not set",
        f.deadline ? el("span", null, el("span", { class: "badge " + (f.on_track ? "good" : "bad") }, f.on_track ? "on track" : "off track"),
          " · ", el("span", { "data-figure": "probability" }, fmt.pct(f.probability_by_deadline)), " chance to finish by then") : "no Article 5 deadline is recorded", "deadline"),
      kpi("AT/ERW-only area (its own line)", figure(f.other_remaining_m2, fmt.km2, "other-remaining"),
        el("span", null, "released by ", dated(f.other_completion, "other-completion"), " (not under Article 5)"), "other"),
      kpi("Stranded capacity", figure(f.stranded_capacity_m2, fmt.km2, "stranded-total"),
        el("span", null, "capacity that found no work, costing ", usd(strandedUSD, "stranded-usd-total")), "stranded"),
      kpi("Cost to completion", usd(f.cost_to_completion_usd, "cost-to-completion"),
        el("span", null, "unfunded by pledges: ", usd(gap, "funding-gap-total")), "cost"),
    );

    $("#trajectory-note").textContent = "Article 5 area (hazard AP or MIXED) at each year's end: deterministic, and the median and P10–P90 band of the trials; the AT/ERW-only area (AT, ERW, CMR) on its own line, deterministic" + (f.deadline ? `; the dashed red line is the deadline, ${fmt.date(f.deadline)}.` : ".");
    Charts.forecastLines($("#trajectory-chart"), f);
    const band = new Map((f.band || []).map((b) => [b.year, b]));
    $("#trajectory-table").replaceChildren(table([
      { label: "Year end", value: (r) => String(r.year) },
      { label: "Article 5 (deterministic)", num: true, value: (r) => figure(r.remaining_m2, fmt.km2, "trajectory:" + r.year) },
      { label: "P10", num: true, value: (r) => fmt.km2((band.get(r.year) || {}).low_m2) },
      { label: "Median", num: true, value: (r) => fmt.km2((band.get(r.year) || {}).median_m2) },
      { label: "P90", num: true, value: (r) => fmt.km2((band.get(r.year) || {}).high_m2) },
      { label: "AT/ERW-only", num: true, value: (r) => figure(r.other_m2, fmt.km2, "other:" + r.year) },
    ], f.trajectory || []));

    const order = (p) => (p.done ? -1 : p.deterministic_completion ? Date.parse(p.deterministic_completion) : Infinity);
    const rows = provinces.slice().sort((a, b) => order(a) - order(b) || b.remaining_m2 - a.remaining_m2);
    $("#provinces-note").textContent = "In the order they are forecast to finish. Years of own capacity: the clearance the province's Article 5 area needs at the learned rates over the capacity deployed there now. Stranded: capacity that found no work before the nation finished" + (f.redeploy === "none" ? " (it stays where it is)." : ` (with "${f.redeploy}" it moves on once its province is done).`);
    $("#province-forecast").replaceChildren(table([
      { label: "Province", value: (p) => link(LR.provinceHref(p.province), p.province) },
      { label: "Article 5 left", num: true, value: (p) => figure(p.remaining_m2, fmt.km2, "a5:" + p.province) },
      { label: "AT/ERW-only", num: true, value: (p) => fmt.km2(p.other_remaining_m2) },
      { label: "Capacity / year", num: true, value: (p) => fmt.km2(p.clearance_capacity_m2_per_year) },
      { label: "Years of own capacity", num: true, value: (p) => (p.clearance_capacity_m2_per_year > 0 ? (p.clearance_work_m2 / p.clearance_capacity_m2_per_year).toFixed(1) : "–") },
      { label: "Completion", date: true, value: (p) => el("span", { "data-figure": "completion:" + p.province }, p.done ? "done" : when(p.deterministic_completion)) },
      { label: "P10", date: true, value: (p) => (p.done ? "done" : when((p.completion || {}).p10)) },
      { label: "P50", date: true, value: (p) => el("span", { "data-figure": "p50:" + p.province }, p.done ? "done" : when((p.completion || {}).p50)) },
      { label: "P90", date: true, value: (p) => el("span", { "data-figure": "p90:" + p.province }, p.done ? "done" : when((p.completion || {}).p90)) },
      { label: "By deadline", num: true, value: (p) => fmt.pct(p.probability_by_deadline) },
      { label: "Stranded capacity", num: true, value: (p) => figure(p.stranded_capacity_m2, fmt.km2, "stranded:" + p.province) },
      { label: "Its cost", num: true, value: (p) => usd(p.stranded_cost_usd, "stranded-usd:" + p.province) },
    ], rows, { id: "province-forecast-table" }));

    const years = f.funding_gap || [];
    $("#funding-note").textContent = "Each year to completion: the deterministic forecast's cost (fixed costs of the deployments funded, variable costs of the capacity that works) against the pledges recorded for that year. Gap = cost − pledged; negative is a surplus.";
    Charts.fundingGap($("#funding-chart"), years);
    $("#funding-table").replaceChildren(table([
      { label: "Year", value: (g) => String(g.year) },
      { label: "Forecast cost", num: true, value: (g) => fmt.usd(g.cost_usd) },
      { label: "Pledged", num: true, value: (g) => fmt.usd(g.pledged_usd) },
      { label: "Gap", num: true, value: (g) => usd(g.gap_usd, "gap:" + g.year) },
    ], years, { id: "funding-gap" }));
    document.body.dataset.sequence = String(LR.sequence);
  }

  function renderBacktest(bt) {
    const years = bt.years || [];
    $("#backtest-kpis").replaceChildren(
      kpi("Error of the Article 5 area left (MAPE)", el("span", { "data-figure": "mape-remaining" }, pct1(bt.remaining_mape_pct)), `mean over ${years.length} years, forecast a year ahead`, "mape-remaining"),
      kpi("Error of the land released (MAPE)", el("span", { "data-figure": "mape-release" }, pct1(bt.release_mape_pct)), "cancelled, reduced and cleared, every hazard", "mape-release"),
      kpi("Calibration of P10–P90", el("span", { "data-figure": "calibration" }, bt.calibration == null ? "–" : fmt.pct(bt.calibration)),
        bt.calibration == null ? "no trials: no band" : `of the years fell inside the band (80% expected; ${fmt.int(bt.trials)} trials)`, "calibration"),
    );
    Charts.backtestRemaining($("#backtest-remaining-chart"), years);
    Charts.backtestRelease($("#backtest-release-chart"), years);
    const fa = (f, a) => `${fmt.km2(f)} / ${fmt.km2(a)}`;
    $("#backtest-table").replaceChildren(table([
      { label: "Year", value: (y) => String(y.year) },
      { label: "Cancelled f / a", num: true, value: (y) => fa(y.forecast_cancelled_m2, y.actual_cancelled_m2) },
      { label: "Reduced f / a", num: true, value: (y) => fa(y.forecast_reduced_m2, y.actual_reduced_m2) },
      { label: "Cleared f / a", num: true, value: (y) => fa(y.forecast_cleared_m2, y.actual_cleared_m2) },
      { label: "Release error", num: true, value: (y) => signedPct(y.release_error_pct) },
      { label: "Article 5 left: forecast", num: true, value: (y) => figure(y.forecast_remaining_m2, fmt.km2, "bt-forecast:" + y.year) },
      { label: "actual", num: true, value: (y) => figure(y.actual_remaining_m2, fmt.km2, "bt-actual:" + y.year) },
      { label: "P10–P90", num: true, value: (y) => el("span", null, figure(y.p10_remaining_m2, fmt.km2, "bt-p10:" + y.year), " – ", figure(y.p90_remaining_m2, fmt.km2, "bt-p90:" + y.year)) },
      { label: "Inside", value: (y) => el("span", { class: "badge " + (y.inside_band ? "good" : "bad") }, y.inside_band ? "yes" : "no") },
      { label: "Error", num: true, value: (y) => signedPct(y.remaining_error_pct) },
      { label: "Completion then", date: true, value: (y) => when(y.completion) },
      { label: "Moved", num: true, value: (y) => (y.completion_move_months == null ? "–" : (y.completion_move_months > 0 ? "+" : "") + y.completion_move_months + " months") },
    ], years, { id: "backtest-years" }));
  }

  let forecastRunning = false;
  async function runForecast() {
    const box = $("#forecast-error");
    forecastRunning = true;
    $("#forecast-button").disabled = true;
    await LR.guarded(box, async () => {
      render(await LR.api(forecastPath(settings()), { minSequence: LR.sequence }));
      box.hidden = true;
    });
    $("#forecast-button").disabled = false;
    forecastRunning = false;
  }

  let backtestRan = false;
  async function runBacktest() {
    const box = $("#backtest-error");
    $("#backtest-button").disabled = true;
    $("#backtest-stale").hidden = true;
    const trials = Math.max(0, Number($("#bt-trials").value) || 0);
    await LR.guarded(box, async () => {
      renderBacktest(await LR.api(`/api/v1/backtest?trials=${trials}&redeploy=${encodeURIComponent($("#redeploy").value)}`));
      box.hidden = true;
      backtestRan = true;
    });
    $("#backtest-button").disabled = false;
  }

  // keepInURL puts the settings in the address, so a forecast can be linked.
  function keepInURL() {
    const s = settings();
    const q = new URLSearchParams({ redeploy: s.redeploy, funding: s.funding, trials: String(s.trials), bt_trials: $("#bt-trials").value });
    history.replaceState(null, "", "?" + q.toString());
  }

  $("#forecast-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    keepInURL();
    runForecast();
    runBacktest();
  });
  $("#backtest-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    keepInURL();
    runBacktest();
  });

  LR.start(async (seq) => {
    if (!seq) {
      for (const [param, sel] of [["redeploy", "#redeploy"], ["funding", "#funding"], ["trials", "#trials"], ["bt_trials", "#bt-trials"]]) {
        if (LR.param(param)) $(sel).value = LR.param(param);
      }
      await Promise.all([runForecast(), runBacktest()]);
      return;
    }
    if (!forecastRunning) await runForecast();
    if (backtestRan) {
      $("#backtest-stale").textContent = `New events have been recorded since this backtest (up to event ${fmt.int(seq)}): press "Run the backtest" to run it again.`;
      $("#backtest-stale").hidden = false;
    }
  });
})();
