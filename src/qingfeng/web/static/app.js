// qingfeng back office: charts from JSON islands, nothing else. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";
  function renderCharts(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src || el.dataset.rendered) return;
      var option = JSON.parse(src.textContent);
      // The big screen draws on a dark background (ECharts' built-in "dark" theme).
      var theme = el.getAttribute("data-theme") || null;
      if (theme) option.backgroundColor = "transparent";
      var chart = echarts.init(el, theme, { renderer: "canvas" });
      chart.setOption(option);
      el.dataset.rendered = "1";
      // Drill-down: every data point may carry the URL of the list behind it.
      var expandUrl = el.getAttribute("data-expand");
      chart.on("click", function (params) {
        if (expandUrl && params.dataType === "node" && params.data && params.data.expand) {
          expandNode(chart, expandUrl, params.data);
          return;
        }
        var url = params.data && params.data.url;
        if (url) window.location.href = url;
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  // Relationship graph: a node's neighbours are fetched (POST, CSRF header) and merged in.
  function csrfHeader() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; }
    catch (e) { return ""; }
  }
  function expandNode(chart, url, node) {
    var token = node.expand;
    node.expand = null;  // once per node
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfHeader() },
      body: JSON.stringify({ node: token })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (part) {
      if (!part) return;
      var option = chart.getOption();
      var series = option.series[0];
      var names = {};
      series.data.forEach(function (n) { names[n.name] = n.id; });
      part.nodes.forEach(function (n) {
        // The same subject reached twice keeps one node (same label = same masked subject).
        if (names[n.name] && n.expand) {
          var keep = names[n.name];
          part.links.forEach(function (l) { if (l.target === n.id) l.target = keep; });
          return;
        }
        series.data.push(n);
        names[n.name] = n.id;
      });
      series.links = series.links.concat(part.links);
      chart.setOption({ series: [{ data: series.data, links: series.links }] });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  // After an outerHTML swap the event's target is the element that was replaced, so look at the
  // whole document (charts already drawn are skipped).
  document.addEventListener("htmx:afterSettle", function () { renderCharts(document); });
})();
// "Select all on this page" for the bulk actions of the warnings list (delegated: the table is
// swapped in by HTMX).
document.addEventListener("change", function (ev) {
  var box = ev.target;
  if (!box || !box.getAttribute || !box.getAttribute("data-select-all")) return;
  var name = box.getAttribute("data-select-all");
  document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (el) {
    el.checked = box.checked;
  });
});
// The big screen's full-screen button (the browser asks nothing: it follows a click).
document.addEventListener("click", function (ev) {
  var btn = ev.target && ev.target.closest ? ev.target.closest("[data-fullscreen]") : null;
  if (!btn) return;
  if (document.fullscreenElement) document.exitFullscreen();
  else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
});
