// Article 5 forecast: GET /api/v1/forecast?redeploy=&funding=&trials= and
// GET /api/v1/backtest?trials=. The forecast is rerun when events arrive;
// the backtest, which replays the history once per year, is marked stale.
"use strict";

(() => {
  const { el, fmt, figure, table, link, $ } = LR;

  const usd = (v, name) => el("span", { class: "figure", "data-usd": v, "data-figure": name || null }, fmt.usd(v));
  const when = (d) => (d ? fmt.date(d) : LR.t("js.scenarios.never"));
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
    $("#forecast-asof").textContent = LR.t("js.forecast.asof", { date: fmt.date(f.as_of), trials: fmt.int(f.trials), seed: f.seed, redeploy: f.redeploy, funding: f.funding_after_pledges,
      from: f.rates.window_from_year, to: f.rates.window_to_year });
    $("#forecast-kpis").replaceChildren(
      kpi(LR.t("js.forecast.kpi.left"), figure(f.remaining_m2, fmt.km2, "a5-remaining"),
        el("span", null, "SHA ", fmt.km2(f.remaining_sha_m2), " · CHA ", fmt.km2(f.remaining_cha_m2), " " + LR.t("js.forecast.with_ap")), "a5"),
      kpi(LR.t("js.forecast.kpi.completion"), dated(c.p50, "national-p50"),
        el("span", null, LR.t("js.forecast.band_det", { p10: when(c.p10), p90: when(c.p90) }) + " ", dated(f.deterministic_completion, "national-deterministic")), "completion"),
      kpi(LR.t("js.overview.kpi.deadline"), f.deadline ? fmt.date(f.deadline) : LR.t("js.overview.not_set"),
        f.deadline ? el("span", null, el("span", { class: "badge " + (f.on_track ? "good" : "bad") }, f.on_track ? LR.t("js.overview.on_track") : LR.t("js.overview.off_track")),
          " · ", el("span", { "data-figure": "probability" }, fmt.pct(f.probability_by_deadline)), " " + LR.t("js.forecast.chance")) : LR.t("js.overview.no_deadline"), "deadline"),
      kpi(LR.t("js.forecast.kpi.other"), figure(f.other_remaining_m2, fmt.km2, "other-remaining"),
        el("span", null, LR.t("js.forecast.released_by") + " ", dated(f.other_completion, "other-completion"), " " + LR.t("js.forecast.not_a5")), "other"),
      kpi(LR.t("js.forecast.kpi.stranded"), figure(f.stranded_capacity_m2, fmt.km2, "stranded-total"),
        el("span", null, LR.t("js.forecast.stranded_sub") + " ", usd(strandedUSD, "stranded-usd-total")), "stranded"),
      kpi(LR.t("js.table.cost_to_completion"), usd(f.cost_to_completion_usd, "cost-to-completion"),
        el("span", null, LR.t("js.forecast.unfunded") + " ", usd(gap, "funding-gap-total")), "cost"),
    );

    $("#trajectory-note").textContent = LR.t("js.forecast.trajectory_note") + (f.deadline ? LR.t("js.overview.burndown_deadline", { date: fmt.date(f.deadline) }) : LR.t("js.overview.period"));
    Charts.forecastLines($("#trajectory-chart"), f);
    const band = new Map((f.band || []).map((b) => [b.year, b]));
    $("#trajectory-table").replaceChildren(table([
      { label: LR.t("js.table.year_end"), value: (r) => String(r.year) },
      { label: LR.t("js.chart.a5_deterministic"), num: true, value: (r) => figure(r.remaining_m2, fmt.km2, "trajectory:" + r.year) },
      { label: "P10", num: true, value: (r) => fmt.km2((band.get(r.year) || {}).low_m2) },
      { label: LR.t("js.table.median"), num: true, value: (r) => fmt.km2((band.get(r.year) || {}).median_m2) },
      { label: "P90", num: true, value: (r) => fmt.km2((band.get(r.year) || {}).high_m2) },
      { label: LR.t("js.table.other"), num: true, value: (r) => figure(r.other_m2, fmt.km2, "other:" + r.year) },
    ], f.trajectory || []));

    const order = (p) => (p.done ? -1 : p.deterministic_completion ? Date.parse(p.deterministic_completion) : Infinity);
    const rows = provinces.slice().sort((a, b) => order(a) - order(b) || b.remaining_m2 - a.remaining_m2);
    $("#provinces-note").textContent = LR.t("js.forecast.provinces_note") + " " + (f.redeploy === "none" ? LR.t("js.forecast.stays") : LR.t("js.forecast.moves", { policy: f.redeploy }));
    $("#province-forecast").replaceChildren(table([
      { label: LR.t("js.table.province"), value: (p) => link(LR.provinceHref(p.province), p.province) },
      { label: LR.t("js.table.a5_left"), num: true, value: (p) => figure(p.remaining_m2, fmt.km2, "a5:" + p.province) },
      { label: LR.t("js.table.other"), num: true, value: (p) => fmt.km2(p.other_remaining_m2) },
      { label: LR.t("js.table.capacity_year"), num: true, value: (p) => fmt.km2(p.clearance_capacity_m2_per_year) },
      { label: LR.t("js.table.years_own"), num: true, value: (p) => (p.clearance_capacity_m2_per_year > 0 ? (p.clearance_work_m2 / p.clearance_capacity_m2_per_year).toFixed(1) : "–") },
      { label: LR.t("js.a5.kpi.completion"), date: true, value: (p) => el("span", { "data-figure": "completion:" + p.province }, p.done ? LR.t("js.forecast.done") : when(p.deterministic_completion)) },
      { label: "P10", date: true, value: (p) => (p.done ? LR.t("js.forecast.done") : when((p.completion || {}).p10)) },
      { label: "P50", date: true, value: (p) => el("span", { "data-figure": "p50:" + p.province }, p.done ? LR.t("js.forecast.done") : when((p.completion || {}).p50)) },
      { label: "P90", date: true, value: (p) => el("span", { "data-figure": "p90:" + p.province }, p.done ? LR.t("js.forecast.done") : when((p.completion || {}).p90)) },
      { label: LR.t("js.table.by_deadline"), num: true, value: (p) => fmt.pct(p.probability_by_deadline) },
      { label: LR.t("js.forecast.kpi.stranded"), num: true, value: (p) => figure(p.stranded_capacity_m2, fmt.km2, "stranded:" + p.province) },
      { label: LR.t("js.table.its_cost"), num: true, value: (p) => usd(p.stranded_cost_usd, "stranded-usd:" + p.province) },
    ], rows, { id: "province-forecast-table" }));

    const years = f.funding_gap || [];
    $("#funding-note").textContent = LR.t("js.forecast.funding_note");
    Charts.fundingGap($("#funding-chart"), years);
    $("#funding-table").replaceChildren(table([
      { label: LR.t("js.table.year"), value: (g) => String(g.year) },
      { label: LR.t("js.chart.forecast_cost"), num: true, value: (g) => fmt.usd(g.cost_usd) },
      { label: LR.t("js.chart.pledged"), num: true, value: (g) => fmt.usd(g.pledged_usd) },
      { label: LR.t("js.province.gap"), num: true, value: (g) => usd(g.gap_usd, "gap:" + g.year) },
    ], years, { id: "funding-gap" }));
    document.body.dataset.sequence = String(LR.sequence);
  }

  function renderBacktest(bt) {
    const years = bt.years || [];
    $("#backtest-kpis").replaceChildren(
      kpi(LR.t("js.forecast.kpi.mape_left"), el("span", { "data-figure": "mape-remaining" }, pct1(bt.remaining_mape_pct)), LR.t("js.forecast.mape_sub", { n: years.length }), "mape-remaining"),
      kpi(LR.t("js.forecast.kpi.mape_release"), el("span", { "data-figure": "mape-release" }, pct1(bt.release_mape_pct)), LR.t("js.forecast.mape_release_sub"), "mape-release"),
      kpi(LR.t("js.forecast.kpi.calibration"), el("span", { "data-figure": "calibration" }, bt.calibration == null ? "–" : fmt.pct(bt.calibration)),
        bt.calibration == null ? LR.t("js.forecast.no_band") : LR.t("js.forecast.calibration_sub", { trials: fmt.int(bt.trials) }), "calibration"),
    );
    Charts.backtestRemaining($("#backtest-remaining-chart"), years);
    Charts.backtestRelease($("#backtest-release-chart"), years);
    const fa = (f, a) => `${fmt.km2(f)} / ${fmt.km2(a)}`;
    $("#backtest-table").replaceChildren(table([
      { label: LR.t("js.table.year"), value: (y) => String(y.year) },
      { label: LR.t("js.table.cancelled_fa"), num: true, value: (y) => fa(y.forecast_cancelled_m2, y.actual_cancelled_m2) },
      { label: LR.t("js.table.reduced_fa"), num: true, value: (y) => fa(y.forecast_reduced_m2, y.actual_reduced_m2) },
      { label: LR.t("js.table.cleared_fa"), num: true, value: (y) => fa(y.forecast_cleared_m2, y.actual_cleared_m2) },
      { label: LR.t("js.table.release_error"), num: true, value: (y) => signedPct(y.release_error_pct) },
      { label: LR.t("js.table.a5_left_forecast"), num: true, value: (y) => figure(y.forecast_remaining_m2, fmt.km2, "bt-forecast:" + y.year) },
      { label: LR.t("js.table.actual"), num: true, value: (y) => figure(y.actual_remaining_m2, fmt.km2, "bt-actual:" + y.year) },
      { label: "P10–P90", num: true, value: (y) => el("span", null, figure(y.p10_remaining_m2, fmt.km2, "bt-p10:" + y.year), " – ", figure(y.p90_remaining_m2, fmt.km2, "bt-p90:" + y.year)) },
      { label: LR.t("js.table.inside"), value: (y) => el("span", { class: "badge " + (y.inside_band ? "good" : "bad") }, y.inside_band ? LR.t("js.forecast.yes") : LR.t("js.forecast.no")) },
      { label: LR.t("js.table.error"), num: true, value: (y) => signedPct(y.remaining_error_pct) },
      { label: LR.t("js.table.completion_then"), date: true, value: (y) => when(y.completion) },
      { label: LR.t("js.table.moved"), num: true, value: (y) => (y.completion_move_months == null ? "–" : LR.t("js.scenarios.months", { n: (y.completion_move_months > 0 ? "+" : "") + y.completion_move_months })) },
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
      $("#backtest-stale").textContent = LR.t("js.forecast.stale", { n: fmt.int(seq) });
      $("#backtest-stale").hidden = false;
    }
  });
})();
