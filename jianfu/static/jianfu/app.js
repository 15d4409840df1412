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
    grid: { left: 45, right: twoAxes ? 55 : 20, top: element.clientWidth < 500 ? 70 : 40, bottom: 30 },
    xAxis: { type: "category", data: data.categories },
    yAxis: twoAxes
      ? [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1, splitLine: { show: false } }]
      : { type: "value", minInterval: 1 },
    series: data.series.map((s) => ({ name: s.name, type: "line", yAxisIndex: twoAxes ? s.axis || 0 : 0, data: s.data })),
  });
  window.addEventListener("resize", () => chart.resize());
}

const CHARTS = { "audit-daily": renderAuditDaily, "stacked-bar": renderStackedBar, lines: renderLines };

document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  document.querySelectorAll("[data-chart]").forEach((element) => {
    const render = CHARTS[element.dataset.chart];
    if (render) render(element);
  });
});
