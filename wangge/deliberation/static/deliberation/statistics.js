// The month-by-month chart of the statistics page, from the data the page embeds.
(function () {
  "use strict";
  var node = document.getElementById("deliberation-data");
  var el = document.getElementById("chart-months");
  if (!node || !el || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  var chart = echarts.init(el);
  var keys = ["raised", "meetings", "decided", "done"];
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: keys.map(function (k) { return data.labels[k]; }) },
    grid: { left: 40, right: 10, bottom: 40 },
    xAxis: { type: "category", data: data.months.map(function (r) { return r.month; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: keys.map(function (k) {
      return { name: data.labels[k], type: "bar", data: data.months.map(function (r) { return r[k]; }) };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
