// qingfeng back office: charts from JSON islands, nothing else. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";
  function renderCharts(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src || el.dataset.rendered) return;
      var option = JSON.parse(src.textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.dataset.rendered = "1";
      // Drill-down: every data point may carry the URL of the list behind it.
      chart.on("click", function (params) {
        var url = params.data && params.data.url;
        if (url) window.location.href = url;
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.addEventListener("htmx:afterSwap", function (e) { renderCharts(e.target); });
})();
