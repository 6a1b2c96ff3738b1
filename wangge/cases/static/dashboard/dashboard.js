// Dashboard charts from the data the page embeds (no extra requests): children by the chosen rate,
// the trend of filed/closed cases with the rate, and case counts by category.
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var c = echarts.init(el);
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }
  chart("chart-children", {
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
    grid: { left: 40, right: 10, bottom: 60 },
    xAxis: { type: "category", data: data.children.map(function (r) { return r.name; }), axisLabel: { rotate: 30 } },
    yAxis: { type: "value", max: 100 },
    series: [{ name: data.rate_label, type: "bar", data: data.children.map(function (r) { return r.value; }) }]
  });
  chart("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { data: [data.labels.filed, data.labels.closed, data.rate_label] },
    grid: { left: 40, right: 40, bottom: 40 },
    xAxis: { type: "category", data: data.trend.map(function (r) { return r.label; }) },
    yAxis: [{ type: "value" }, { type: "value", max: 100 }],
    series: [
      { name: data.labels.filed, type: "line", data: data.trend.map(function (r) { return r.filed; }) },
      { name: data.labels.closed, type: "line", data: data.trend.map(function (r) { return r.closed; }) },
      { name: data.rate_label, type: "line", yAxisIndex: 1, data: data.trend.map(function (r) { return r.value; }) }
    ]
  });
  chart("chart-categories", {
    tooltip: { trigger: "axis" },
    grid: { left: 100, right: 20 },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.categories.map(function (r) { return r.name; }) },
    series: [{ name: data.labels.cases, type: "bar", data: data.categories.map(function (r) { return r.value; }) }]
  });
})();
