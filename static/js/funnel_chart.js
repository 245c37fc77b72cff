/* The suggestion funnel chart: grouped bars (suggested, viewed, contacted, licensed) per ISO week, drawn as
   inline SVG from the JSON in <script id="funnel-data"> (matching.funnel.Funnel.chart_data). No libraries.
   The table under the chart carries the same numbers (and is what screen readers use). */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceMax(value) {
    if (value <= 5) return 5;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= value) return steps[i] * power;
    }
    return 10 * power;
  }

  function draw(box, data) {
    var stages = data.stages, weeks = data.weeks;
    var legend = {};
    document.querySelectorAll("#funnel-legend > span").forEach(function (span, i) {
      legend[stages[i]] = span.textContent.trim();
    });
    var width = 760, height = 280, left = 44, right = 8, top = 10, bottom = 40;
    var plotW = width - left - right, plotH = height - top - bottom;
    var max = 0;
    weeks.forEach(function (w) { stages.forEach(function (s) { max = Math.max(max, w.counts[s] || 0); }); });
    var yMax = niceMax(max);
    var svg = el("svg", {viewBox: "0 0 " + width + " " + height, "aria-hidden": "true", focusable: "false"});
    // grid and y ticks
    for (var t = 0; t <= 5; t++) {
      var value = yMax * t / 5, y = top + plotH - plotH * t / 5;
      el("line", {x1: left, x2: width - right, y1: y, y2: y, "class": t ? "grid" : "axis"}, svg);
      var label = el("text", {x: left - 6, y: y + 4, "text-anchor": "end"}, svg);
      label.textContent = Number.isInteger(value) ? value.toLocaleString() : value.toFixed(1);
    }
    var slot = plotW / Math.max(1, weeks.length);
    var barW = Math.max(2, Math.min(18, (slot * 0.8) / stages.length));
    var every = Math.ceil(weeks.length / 13);  // at most ~13 week labels
    weeks.forEach(function (w, i) {
      var x0 = left + i * slot + (slot - barW * stages.length) / 2;
      stages.forEach(function (s, j) {
        var count = w.counts[s] || 0, h = plotH * count / yMax;
        var rect = el("rect", {x: x0 + j * barW, y: top + plotH - h, width: barW - 1, height: Math.max(0, h),
                               "class": "funnel-" + s, "data-stage": s, "data-week": w.week}, svg);
        el("title", {}, rect).textContent = w.week + " · " + (legend[s] || s) + ": " + count.toLocaleString();
      });
      if (i % every === 0) {
        var text = el("text", {x: left + i * slot + slot / 2, y: height - bottom + 16, "text-anchor": "middle"}, svg);
        text.textContent = w.week.replace(/^\d{4}-/, "");
        if (i === 0 || w.week.slice(-3) === "W01") {
          var year = el("text", {x: left + i * slot + slot / 2, y: height - bottom + 30, "text-anchor": "middle"}, svg);
          year.textContent = w.week.slice(0, 4);
        }
      }
    });
    box.replaceChildren(svg);
  }

  var box = document.getElementById("funnel-chart");
  var source = document.getElementById("funnel-data");
  if (box && source) {
    try {
      draw(box, JSON.parse(source.textContent));
    } catch (error) {
      box.hidden = true;  // the table still has every number
    }
  }
})();
