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

const CHARTS = { "audit-daily": renderAuditDaily, "stacked-bar": renderStackedBar };

document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  document.querySelectorAll("[data-chart]").forEach((element) => {
    const render = CHARTS[element.dataset.chart];
    if (render) render(element);
  });
});
