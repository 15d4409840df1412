// Charts are declared in the page (a container with data-chart and a json_script with its data),
// so no inline script is needed and the Content-Security-Policy can forbid them.
"use strict";

function renderAuditDaily(element) {
  const rows = JSON.parse(document.getElementById("audit-daily-data").textContent);
  const chart = window.echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [element.dataset.labelTotal, element.dataset.labelRefused] },
    grid: { left: 40, right: 20, top: 30, bottom: 30 },
    xAxis: { type: "category", data: rows.map((r) => r.day.slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: element.dataset.labelTotal, type: "bar", data: rows.map((r) => r.total), itemStyle: { color: "#1f4e8c" } },
      { name: element.dataset.labelRefused, type: "bar", data: rows.map((r) => r.refused), itemStyle: { color: "#b3261e" } },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
}

// A stacked bar chart from {categories: [...], series: [{name, data: [...]}, ...]}.
function renderStackedBar(element) {
  const data = JSON.parse(document.getElementById(element.dataset.source).textContent);
  const chart = window.echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: data.series.map((s) => s.name) },
    grid: { left: 40, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.categories },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map((s) => ({ name: s.name, type: "bar", stack: "total", data: s.data })),
  });
  window.addEventListener("resize", () => chart.resize());
}

// A line chart from {categories: [...], series: [{name, data: [...], axis: 0|1}, ...]}; series
// with axis 1 are read on a second axis on the right (hours beside counts).
function renderLines(element) {
  const data = JSON.parse(document.getElementById(element.dataset.source).textContent);
  const twoAxes = data.series.some((s) => s.axis === 1);
  const chart = window.echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: data.series.map((s) => s.name) },
    // On a phone the legend takes two rows.
    grid: { left: 45, right: twoAxes ? 55 : 20, top: element.clientWidth < 700 ? 70 : 40, bottom: 30 },
    xAxis: { type: "category", data: data.categories },
    yAxis: twoAxes
      ? [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1, splitLine: { show: false } }]
      : { type: "value", minInterval: 1, ...(data.percent ? PERCENT_AXIS : {}) },
    series: data.series.map((s) => ({ name: s.name, type: "line", yAxisIndex: twoAxes ? s.axis || 0 : 0, data: s.data, connectNulls: true })),
  });
  window.addEventListener("resize", () => chart.resize());
}

// Horizontal bars of rates in percent with the threshold as a dashed line, from
// {categories: [...], rates: [... | null], threshold, labels: {rate, threshold}} (the public
// evaluation results: each target's satisfaction against the 50 % line).
const RATE_COLOURS = { kept: "#1f4e8c", revoked: "#b3261e", to_revoke: "#b3261e" };

function renderRateBars(element) {
  const data = JSON.parse(document.getElementById(element.dataset.source).textContent);
  // One bar per target: the chart grows with them instead of squeezing the labels.
  element.style.height = `${Math.max(160, 60 + data.categories.length * 34)}px`;
  const narrow = element.clientWidth < 500;
  const chart = window.echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v}%`) },
    grid: { left: 10, right: 40, top: 30, bottom: 10, containLabel: true },
    xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: {
      type: "category",
      inverse: true,
      data: data.categories,
      axisLabel: { width: narrow ? 120 : 320, overflow: "truncate" },
    },
    series: [
      {
        name: data.labels.rate,
        type: "bar",
        // Revoked (or to be) in red, kept in blue, no conclusion (too few ballots) in grey.
        data: data.rates.map((v, i) => ({ value: v, itemStyle: { color: RATE_COLOURS[data.outcomes[i]] || "#8a96a5" } })),
        label: { show: true, position: "right", formatter: (p) => (p.value === null || p.value === undefined ? "" : `${p.value}%`) },
        markLine: {
          symbol: "none",
          silent: true,
          lineStyle: { color: "#b3261e", type: "dashed", width: 2 },
          label: { formatter: `${data.labels.threshold} ${data.threshold}%`, position: "start", color: "#b3261e" },
          data: [{ xAxis: data.threshold }],
        },
      },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
}

// ==== The figures' charts (jianfu/reports: the dashboards and the public statistics) ====
const PERCENT_AXIS = { max: 100, axisLabel: { formatter: "{value}%" } };
const PALETTE = ["#1f4e8c", "#b3261e", "#a15c00", "#1e7a3c", "#6b4fa0", "#2a8fbd", "#5f6b7a", "#c7851a", "#8c1f5a", "#3f7f7f"];

// Bars from {categories, series: [{name, data}], links?, horizontal?, stack?, percent?, labels?}.
// A click on a bar, or on its category's name, opens the category's link: the drill-down
// (district → street → community) and the departments' scorecards.
function renderBars(element, variant = {}) {
  const data = JSON.parse(document.getElementById(element.dataset.source).textContent);
  const horizontal = Boolean(variant.horizontal || data.horizontal);
  const narrow = element.clientWidth < 500;
  const rows = data.categories.length;
  if (horizontal) {
    // One row per category, so a district's thirty departments stay readable.
    const perRow = data.stack || data.series.length < 2 ? 24 : 12 + 10 * data.series.length;
    element.style.height = `${Math.max(180, rows * perRow + (narrow ? 90 : 70))}px`;
  }
  const chart = window.echarts.init(element);
  const percentLabel = (value) => (value === null || value === undefined ? "—" : `${value}%`);
  const valueAxis = { type: "value", minInterval: data.percent ? 0 : 1, ...(data.percent ? PERCENT_AXIS : {}) };
  const categoryAxis = {
    type: "category",
    data: data.categories,
    inverse: horizontal,
    triggerEvent: Boolean(data.links),
    axisLabel: horizontal
      ? { width: narrow ? 84 : 150, overflow: "truncate" }
      : { interval: 0, width: Math.max(40, Math.floor((element.clientWidth - 60) / Math.max(rows, 1)) - 4), overflow: "break" },
  };
  chart.setOption({
    color: variant.colors || data.colors || PALETTE,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: data.percent ? percentLabel : undefined },
    legend: { data: data.series.map((s) => s.name), top: 0, type: narrow ? "scroll" : "plain" },
    grid: { left: 8, right: data.labels || horizontal ? 36 : 16, top: 34, bottom: 8, containLabel: true },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : valueAxis,
    series: data.series.map((s) => ({
      name: s.name,
      type: "bar",
      data: s.data,
      stack: data.stack ? "total" : undefined,
      barMaxWidth: 36,
      cursor: data.links ? "pointer" : "default",
      label: data.labels
        ? { show: true, position: horizontal ? "right" : "top", formatter: (p) => (data.percent ? percentLabel(p.value) : p.value ?? "") }
        : { show: false },
    })),
  });
  if (data.links) {
    chart.on("click", (params) => {
      const index = params.componentType === "series" ? params.dataIndex : data.categories.indexOf(params.value);
      if (data.links[index]) window.location.assign(data.links[index]);
    });
  }
  window.addEventListener("resize", () => chart.resize());
}

// Before and after: the baseline in grey beside now in blue, with the numbers on the bars.
function renderGroupedBars(element) {
  renderBars(element, { colors: ["#9aa7b8", "#1f4e8c"] });
}

const CHARTS = {
  "audit-daily": renderAuditDaily,
  "stacked-bar": renderStackedBar,
  lines: renderLines,
  "rate-bars": renderRateBars,
  bars: (element) => renderBars(element),
  "grouped-bars": renderGroupedBars,
  hbars: (element) => renderBars(element, { horizontal: true }),
};

document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  document.querySelectorAll("[data-chart]").forEach((element) => {
    const render = CHARTS[element.dataset.chart];
    if (render) render(element);
  });
});
