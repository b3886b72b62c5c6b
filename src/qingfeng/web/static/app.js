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
  // The graph's full node and link lists live beside the chart: the relation filter draws a
  // subset, expansions add to the whole.
  var graphs = {};
  function graphState(chart) {
    var id = chart.id;
    if (!graphs[id]) {
      var series = chart.getOption().series[0];
      graphs[id] = { nodes: series.data.slice(), links: series.links.slice(), hidden: {} };
    }
    return graphs[id];
  }
  function linkKey(l) { return l.source + ">" + l.target + ">" + l.value; }
  function drawGraph(chart) {
    var st = graphState(chart);
    var links = st.links.filter(function (l) {
      if (!l.groups || !l.groups.length) return true;
      return l.groups.some(function (g) { return !st.hidden[g]; });
    });
    var linked = {};
    links.forEach(function (l) { linked[l.source] = 1; linked[l.target] = 1; });
    var nodes = st.nodes.filter(function (n) { return n.centre || linked[n.id]; });
    chart.setOption({ series: [{ data: nodes, links: links }] });
  }
  function expandNode(chart, url, node) {
    var token = node.expand;
    var offset = node.offset || 0;
    node.expand = null;  // once per node
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfHeader() },
      body: JSON.stringify({ node: token, offset: offset })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (part) {
      if (!part) return;
      var st = graphState(chart);
      if (node.more) {  // the "more" node gives way to the page it fetched
        st.nodes = st.nodes.filter(function (n) { return n.id !== node.id; });
        st.links = st.links.filter(function (l) { return l.target !== node.id; });
      }
      var byKey = {};
      st.nodes.forEach(function (n) { if (n.key) byKey[n.key] = n.id; });
      var rename = {};
      part.nodes.forEach(function (n) {
        // The same subject reached twice keeps one node (same key = same subject).
        if (n.key && byKey[n.key]) { rename[n.id] = byKey[n.key]; return; }
        st.nodes.push(n);
        if (n.key) byKey[n.key] = n.id;
      });
      var seen = {};
      st.links.forEach(function (l) { seen[linkKey(l)] = 1; });
      part.links.forEach(function (l) {
        l.source = rename[l.source] || l.source;
        l.target = rename[l.target] || l.target;
        // A tie already drawn from the other end is not drawn twice.
        if (seen[linkKey(l)] || seen[l.target + ">" + l.source + ">" + l.value]) return;
        seen[linkKey(l)] = 1;
        st.links.push(l);
      });
      drawGraph(chart);
    });
  }
  // Relation-type filter: checkboxes [data-graph-filter] in a [data-graph-for] box.
  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (!box || !box.getAttribute || !box.hasAttribute("data-graph-filter")) return;
    var holder = box.closest("[data-graph-for]");
    var el = holder && document.querySelector('[data-chart="' + holder.getAttribute("data-graph-for") + '"]');
    var chart = el && typeof echarts !== "undefined" ? echarts.getInstanceByDom(el) : null;
    if (!chart) return;
    graphState(chart).hidden[box.getAttribute("data-graph-filter")] = !box.checked;
    drawGraph(chart);
  });
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
