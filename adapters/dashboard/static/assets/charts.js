// landrelease dashboard: charts drawn with the vendored Chart.js (vendor/).
// Areas are plotted in km²; x axes are years (category scales, no date
// adapter needed). A small plugin draws the Article 5 deadline as a vertical
// line at its place within the year.
"use strict";

const Charts = (() => {
  const t = LR.t;
  const COLOURS = {
    sha: "#e0a526", cha: "#c0392b", released: "#2e8b57",
    nts: "#4e79a7", desk: "#9ecae9", reduced: "#f28e2b", cleared: "#59a14f", reopened: "#b07aa1",
    actual: "#1f3b57", forecast: "#7f8c8d", band: "rgba(127,140,141,0.25)", deadline: "#c0392b",
  };
  const SERIES = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

  if (window.Chart) {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.animation = false; // pages redraw on live updates and for print
    Chart.defaults.maintainAspectRatio = false;
  }

  const km2 = (m2) => (m2 == null ? null : m2 / 1e6);
  const km2Tick = (v) => (Math.abs(v) >= 10 || Number.isInteger(v) ? LR.fmt.int(v) : v.toFixed(1)) + " km²";
  const km2Tooltip = (ctx) => `${ctx.dataset.label}: ${LR.fmt.km2(ctx.parsed.y * 1e6)}`;

  // deadlinePlugin draws options.plugins.deadline = {year: fractional year,
  // label} as a vertical line on a category x axis of whole years (each
  // label standing for the end of that year).
  const deadlinePlugin = {
    id: t("js.chart.deadline"),
    afterDatasetsDraw(chart, _args, opts) {
      if (!opts || opts.year == null) return;
      const x = chart.scales.x, area = chart.chartArea;
      const labels = chart.data.labels.map(Number);
      // A label Y stands for 31 December of Y, i.e. fractional year Y+1.
      const pos = opts.year - 1;
      let px = null;
      if (x.type === "linear") px = x.getPixelForValue(opts.year); // an axis of fractional years
      else for (let i = 0; i + 1 < labels.length; i++) {
        if (pos >= labels[i] && pos <= labels[i + 1]) {
          const f = (pos - labels[i]) / (labels[i + 1] - labels[i]);
          px = x.getPixelForValue(i) + f * (x.getPixelForValue(i + 1) - x.getPixelForValue(i));
        }
      }
      if (px == null) return;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = COLOURS.deadline;
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = COLOURS.deadline;
      ctx.font = "bold 12px " + Chart.defaults.font.family;
      ctx.textAlign = px > (area.left + area.right) / 2 ? "right" : "left";
      const label = area.right - area.left < 420 ? t("js.chart.deadline") : opts.label || t("js.chart.deadline");
      ctx.fillText(label, px + (ctx.textAlign === "right" ? -6 : 6), area.top + 14);
      ctx.restore();
    },
  };

  // NARROW is the chart width (CSS px) below which the legend goes under
  // the chart with small keys, so that at a phone's width it wraps onto
  // lines of its own below the plot rather than crowding it.
  const NARROW = 480;
  const narrowLegend = (legend, width) => {
    const narrow = width < NARROW;
    legend.position = narrow ? "bottom" : "top";
    if (!legend.labels) legend.labels = {};
    legend.labels.boxWidth = narrow ? 14 : 40;
    legend.labels.padding = narrow ? 6 : 10;
  };

  // make draws a chart on canvas, replacing the one there. Chart.js redraws
  // it to its box's width when that changes (.chart in app.css): the legend
  // moves as the width crosses NARROW.
  function make(canvas, config) {
    const old = Chart.getChart(canvas);
    if (old) old.destroy();
    const options = (config.options = config.options || {});
    const plugins = (options.plugins = options.plugins || {});
    narrowLegend((plugins.legend = plugins.legend || {}), canvas.parentElement.clientWidth);
    options.onResize = (chart, size) => narrowLegend(chart.options.plugins.legend, size.width);
    return new Chart(canvas, config);
  }

  // burndown draws remaining area by year, every hazard: recorded, then the
  // forecast of the Article 5 area plus the AT/ERW-only area beside it
  // (other_m2), so that like is compared with like; the band is the Article 5
  // area's P10–P90 plus that AT/ERW-only area. The Article 5 area alone is
  // drawn as its own line. Then the deadline line.
  function burndown(canvas, b) {
    // The forecast starts where the record ends: on its first day the area
    // left is the Article 5 and AT/ERW-only area now, at the end of the
    // year before its first year.
    const forecast = (b.forecast || []).slice();
    if (forecast.length && b.article5_remaining_m2 != null) {
      const a5 = b.article5_remaining_m2;
      const start = { year: forecast[0].year - 1, deterministic_m2: a5, low_m2: a5, median_m2: a5, high_m2: a5, other_m2: b.other_remaining_m2 || 0 };
      const actual = b.actual || [];
      // Only when the record's last year ended on the forecast's first day
      // (the forecast starts on 1 January); mid-year, the record's last point
      // is "now", not a year's end.
      if (actual.length && Math.max(...actual.map((p) => p.year)) === start.year) forecast.unshift(start);
    }
    b = Object.assign({}, b, { forecast });
    const years = new Set();
    for (const p of b.actual || []) years.add(p.year);
    for (const p of b.forecast || []) years.add(p.year);
    const labels = Array.from(years).sort((a, c) => a - c);
    const at = (list, value) => labels.map((y) => {
      const p = (list || []).find((q) => q.year === y);
      return p ? km2(value(p)) : null;
    });
    const all = (key) => (p) => p[key] + (p.other_m2 || 0);
    return make(canvas, {
      type: "line",
      data: {
        labels,
        datasets: [
          { label: t("js.chart.forecast_band_low"), data: at(b.forecast, all("low_m2")), borderWidth: 0, pointRadius: 0, fill: false },
          { label: t("js.chart.forecast_band"), data: at(b.forecast, all("high_m2")), borderWidth: 0, pointRadius: 0, backgroundColor: COLOURS.band, fill: "-1" },
          { label: t("js.chart.forecast_median"), data: at(b.forecast, all("median_m2")), borderColor: COLOURS.forecast, borderDash: [6, 4], pointRadius: 2 },
          { label: t("js.chart.deterministic"), data: at(b.forecast, all("deterministic_m2")), borderColor: COLOURS.actual, borderDash: [2, 3], pointRadius: 0 },
          { label: t("js.chart.of_which_a5"), data: at(b.forecast, (p) => p.deterministic_m2), borderColor: COLOURS.cha, borderDash: [2, 3], pointRadius: 0, borderWidth: 1.5 },
          { label: t("js.chart.recorded"), data: at(b.actual, (p) => p.remaining_m2), borderColor: COLOURS.actual, backgroundColor: COLOURS.actual, borderWidth: 3, pointRadius: 3 },
        ],
      },
      options: {
        spanGaps: false,
        scales: { y: { beginAtZero: true, ticks: { callback: km2Tick }, title: { display: true, text: t("js.chart.y_remaining_all") } } },
        plugins: {
          legend: { labels: { filter: (item) => !item.text.endsWith(t("js.chart.low")) } },
          tooltip: { callbacks: { label: km2Tooltip } },
          deadline: b.deadline ? { year: LR.fractionalYear(b.deadline), label: t("js.chart.a5_deadline", { date: LR.fmt.date(b.deadline) }) } : {},
        },
      },
      plugins: [deadlinePlugin],
    });
  }

  // forecastLines draws a forecast's trajectory: the Article 5 area
  // (deterministic, median and P10–P90 band) and the AT/ERW-only area on its
  // own line, with the deadline.
  function forecastLines(canvas, f) {
    const rows = f.trajectory || [];
    const labels = rows.map((r) => r.year);
    const band = new Map((f.band || []).map((b) => [b.year, b]));
    const fromBand = (key) => labels.map((y) => (band.has(y) ? km2(band.get(y)[key]) : null));
    return make(canvas, {
      type: "line",
      data: {
        labels,
        datasets: [
          { label: t("js.chart.a5_band_low"), data: fromBand("low_m2"), borderWidth: 0, pointRadius: 0, fill: false },
          { label: t("js.chart.a5_band"), data: fromBand("high_m2"), borderWidth: 0, pointRadius: 0, backgroundColor: COLOURS.band, fill: "-1" },
          { label: t("js.chart.a5_median"), data: fromBand("median_m2"), borderColor: COLOURS.forecast, borderDash: [6, 4], pointRadius: 2 },
          { label: t("js.chart.a5_deterministic"), data: rows.map((r) => km2(r.remaining_m2)), borderColor: COLOURS.cha, backgroundColor: COLOURS.cha, borderWidth: 2.5, pointRadius: 2 },
          { label: t("js.chart.other_deterministic"), data: rows.map((r) => km2(r.other_m2)), borderColor: COLOURS.sha, backgroundColor: COLOURS.sha, borderWidth: 2, pointRadius: 2 },
        ],
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { callback: km2Tick }, title: { display: true, text: t("js.chart.y_remaining") } } },
        plugins: {
          legend: { labels: { filter: (item) => !item.text.endsWith(t("js.chart.low")) } },
          tooltip: { callbacks: { label: km2Tooltip } },
          deadline: f.deadline ? { year: LR.fractionalYear(f.deadline), label: t("js.chart.a5_deadline", { date: LR.fmt.date(f.deadline) }) } : {},
        },
      },
      plugins: [deadlinePlugin],
    });
  }

  const usdM = (v) => (v == null ? null : v / 1e6);
  const usdTick = (v) => "US$ " + (Number.isInteger(v) ? LR.fmt.int(v) : v.toFixed(1)) + "M";
  const usdTooltip = (ctx) => `${ctx.dataset.label}: ${LR.fmt.usd(Math.round(ctx.parsed.y * 1e6))}`;

  // fundingGap draws each year's forecast cost and pledges as bars, and the
  // gap (cost − pledged) as a line.
  function fundingGap(canvas, years) {
    return make(canvas, {
      type: "bar",
      data: {
        labels: years.map((g) => g.year),
        datasets: [
          { label: t("js.chart.forecast_cost"), data: years.map((g) => usdM(g.cost_usd)), backgroundColor: COLOURS.forecast },
          { label: t("js.chart.pledged"), data: years.map((g) => usdM(g.pledged_usd)), backgroundColor: COLOURS.released },
          { type: "line", label: t("js.chart.gap"), data: years.map((g) => usdM(g.gap_usd)), borderColor: COLOURS.deadline, backgroundColor: COLOURS.deadline, pointRadius: 2 },
        ],
      },
      options: {
        scales: { y: { ticks: { callback: usdTick } } },
        plugins: { tooltip: { callbacks: { label: usdTooltip } } },
      },
    });
  }

  // backtestRemaining draws, per year tested, the Article 5 area left at the
  // year's end: recorded, forecast a year ahead, and the forecast's P10–P90.
  function backtestRemaining(canvas, years) {
    return make(canvas, {
      type: "line",
      data: {
        labels: years.map((y) => y.year),
        datasets: [
          { label: t("js.chart.band_low"), data: years.map((y) => km2(y.p10_remaining_m2)), borderWidth: 0, pointRadius: 0, fill: false },
          { label: t("js.chart.band"), data: years.map((y) => km2(y.p90_remaining_m2)), borderWidth: 0, pointRadius: 0, backgroundColor: COLOURS.band, fill: "-1" },
          { label: t("js.chart.year_ahead"), data: years.map((y) => km2(y.forecast_remaining_m2)), borderColor: COLOURS.forecast, borderDash: [6, 4], pointRadius: 4 },
          { label: t("js.chart.recorded"), data: years.map((y) => km2(y.actual_remaining_m2)), borderColor: COLOURS.actual, backgroundColor: COLOURS.actual, borderWidth: 3, pointRadius: 4 },
        ],
      },
      options: {
        scales: { y: { ticks: { callback: km2Tick }, title: { display: true, text: t("js.chart.y_a5_left") } } },
        plugins: { legend: { labels: { filter: (item) => !item.text.endsWith(t("js.chart.low")) } }, tooltip: { callbacks: { label: km2Tooltip } } },
      },
    });
  }

  // backtestRelease draws, per year tested, the land released: forecast a
  // year ahead against recorded, by method (stacked).
  function backtestRelease(canvas, years) {
    const ds = (label, key, stack, colour) => ({ label, data: years.map((y) => km2(y[key])), stack, backgroundColor: colour });
    return make(canvas, {
      type: "bar",
      data: {
        labels: years.map((y) => y.year),
        datasets: [
          ds(t("js.chart.f_cancelled"), "forecast_cancelled_m2", "forecast", COLOURS.nts + "88"),
          ds(t("js.chart.f_reduced"), "forecast_reduced_m2", "forecast", COLOURS.reduced + "88"),
          ds(t("js.chart.f_cleared"), "forecast_cleared_m2", "forecast", COLOURS.cleared + "88"),
          ds(t("js.chart.r_cancelled"), "actual_cancelled_m2", "recorded", COLOURS.nts),
          ds(t("js.chart.r_reduced"), "actual_reduced_m2", "recorded", COLOURS.reduced),
          ds(t("js.chart.r_cleared"), "actual_cleared_m2", "recorded", COLOURS.cleared),
        ],
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: km2Tick }, title: { display: true, text: t("js.chart.y_released") } } },
        plugins: { tooltip: { callbacks: { label: km2Tooltip } } },
      },
    });
  }

  // byProvince draws remaining SHA and CHA per province as stacked bars.
  function byProvince(canvas, provinces) {
    const rows = provinces.slice().sort((a, c) => c.remaining_m2 - a.remaining_m2);
    return make(canvas, {
      type: "bar",
      data: {
        labels: rows.map((p) => p.province),
        datasets: [
          { label: t("js.chart.cha"), data: rows.map((p) => km2(p.remaining_cha_m2)), backgroundColor: COLOURS.cha },
          { label: t("js.chart.sha"), data: rows.map((p) => km2(p.remaining_sha_m2)), backgroundColor: COLOURS.sha },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { stacked: true, ticks: { callback: km2Tick } }, y: { stacked: true } },
        plugins: { tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${LR.fmt.km2(ctx.parsed.x * 1e6)}` } } },
      },
    });
  }

  // releaseByYear draws land released per year by method, stacked.
  function releaseByYear(canvas, years) {
    const rows = years.slice().sort((a, c) => a.year - c.year);
    const ds = (label, key, colour) => ({ label, data: rows.map((r) => km2(r[key])), backgroundColor: colour, stack: "released" });
    return make(canvas, {
      type: "bar",
      data: {
        labels: rows.map((r) => r.year),
        datasets: [
          ds(t("js.chart.cancelled_nts"), "cancelled_nts_m2", COLOURS.nts),
          ds(t("js.chart.cancelled_desk"), "cancelled_desk_m2", COLOURS.desk),
          ds(t("js.chart.reduced_ts"), "reduced_m2", COLOURS.reduced),
          ds(t("js.chart.cleared"), "cleared_m2", COLOURS.cleared),
          { label: t("js.chart.reopened"), data: rows.map((r) => km2(r.reopened_m2)), backgroundColor: COLOURS.reopened, stack: "reopened" },
        ],
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: km2Tick } } },
        plugins: { tooltip: { callbacks: { label: km2Tooltip } } },
      },
    });
  }

  // trajectories draws each scenario's remaining area by year, with the deadline.
  function trajectories(canvas, scenarios, deadline) {
    const years = new Set();
    for (const s of scenarios) for (const p of s.forecast.trajectory || []) years.add(p.year);
    const labels = Array.from(years).sort((a, c) => a - c);
    return make(canvas, {
      type: "line",
      data: {
        labels,
        datasets: scenarios.map((s, i) => ({
          label: s.name,
          data: labels.map((y) => { const p = (s.forecast.trajectory || []).find((q) => q.year === y); return p ? km2(p.remaining_m2) : null; }),
          borderColor: SERIES[i % SERIES.length], backgroundColor: SERIES[i % SERIES.length], pointRadius: 2,
        })),
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { callback: km2Tick }, title: { display: true, text: t("js.chart.y_remaining_det") } } },
        plugins: {
          tooltip: { callbacks: { label: km2Tooltip } },
          deadline: deadline ? { year: LR.fractionalYear(deadline), label: t("js.chart.deadline_on", { date: LR.fmt.date(deadline) }) } : {},
        },
      },
      plugins: [deadlinePlugin],
    });
  }

  // completion draws each scenario's P10–P90 completion range as a floating
  // bar, with the median as a point.
  function completion(canvas, scenarios, deadline) {
    const fy = LR.fractionalYear;
    // A P90 beyond the forecast horizon is drawn to the horizon.
    const range = scenarios.map((s) => {
      const c = s.forecast.completion || {};
      const end = c.p90 || s.forecast.horizon;
      return c.p10 && end ? [fy(c.p10), fy(end)] : null;
    });
    const values = range.flat().filter((v) => v != null);
    for (const s of scenarios) if (s.forecast.deadline) values.push(fy(s.forecast.deadline));
    return make(canvas, {
      type: "bar",
      data: {
        labels: scenarios.map((s) => s.name),
        datasets: [
          { type: "bar", label: t("js.chart.completion_band"), data: range, backgroundColor: scenarios.map((_, i) => SERIES[i % SERIES.length] + "99") },
          { type: "line", label: t("js.chart.completion_p50"), data: scenarios.map((s) => (s.forecast.completion && s.forecast.completion.p50 ? fy(s.forecast.completion.p50) : null)), showLine: false, pointRadius: 6, pointStyle: "rectRot", borderColor: "#000", backgroundColor: "#000" },
        ],
      },
      options: {
        indexAxis: "y",
        scales: {
          x: {
            min: values.length ? Math.floor(Math.min(...values)) - 1 : undefined,
            max: values.length ? Math.ceil(Math.max(...values)) + 1 : undefined,
            ticks: { stepSize: 1, callback: (v) => String(Math.floor(v)) }, title: { display: true, text: t("js.chart.y_completion") },
          },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const c = scenarios[ctx.dataIndex].forecast.completion || {};
                const p90 = c.p90 ? LR.fmt.date(c.p90) : t("js.chart.after", { date: LR.fmt.date(scenarios[ctx.dataIndex].forecast.horizon) });
                return ctx.datasetIndex === 0 ? `P10 ${LR.fmt.date(c.p10)} – P90 ${p90}` : `P50 ${LR.fmt.date(c.p50)}`;
              },
            },
          },
          deadline: deadline ? { year: fy(deadline), label: t("js.chart.deadline") } : {},
        },
      },
      plugins: [deadlinePlugin],
    });
  }

  return { COLOURS, burndown, forecastLines, fundingGap, backtestRemaining, backtestRelease, byProvince, releaseByYear, trajectories, completion };
})();
