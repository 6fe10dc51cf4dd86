// The page's only script: draws the growth chart from the data embedded in the page (so its
// time window and scale can change in the browser), shows values on hover, and sorts Table 1.
// No network, no library.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("series-data").textContent);
  var svg = document.getElementById("growth-chart");
  var tooltip = document.getElementById("chart-tooltip");
  var windowSelect = document.getElementById("window");
  var logScale = document.getElementById("log-scale");
  var W = 960, H = 420, M = { left: 56, right: 16, top: 16, bottom: 36 };
  var DAY = 86400000;
  var highlighted = null;
  var drawn = [];

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function day(iso) { return Date.parse(iso + "T00:00:00Z") / DAY; }
  function iso(d) { return new Date(d * DAY).toISOString().slice(0, 10); }

  function draw() {
    while (svg.lastChild && svg.lastChild.nodeName !== "title" && svg.lastChild.nodeName !== "desc") {
      svg.removeChild(svg.lastChild);
    }
    var end = day(data.snapshot_date);
    var months = Number(windowSelect.value);
    var start = months > 0 ? end - Math.round(months * 30.44) : Infinity;
    if (months === 0) {
      data.series.forEach(function (s) { if (s.points.length) { start = Math.min(start, day(s.points[0][0])); } });
      if (!isFinite(start)) { start = end - 1; }
    }
    var log = logScale.checked;
    var max = 1;
    data.series.forEach(function (s) { s.points.forEach(function (p) { max = Math.max(max, p[1]); }); });
    var x = function (d) { return M.left + (W - M.left - M.right) * (d - start) / Math.max(1, end - start); };
    var y = log
      ? function (v) { return H - M.bottom - (H - M.top - M.bottom) * Math.log10(Math.max(v, 1)) / Math.log10(Math.max(max, 10)); }
      : function (v) { return H - M.bottom - (H - M.top - M.bottom) * v / max; };
    var grid = el("g", { "class": "grid axis" }, svg);
    ticks(log, max).forEach(function (v) {
      el("line", { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }, grid);
      el("text", { x: M.left - 6, y: y(v) + 4, "text-anchor": "end" }, grid).textContent = v;
    });
    for (var i = 0; i <= 4; i++) {
      var d = start + (end - start) * i / 4;
      var anchor = i === 0 ? "start" : i === 4 ? "end" : "middle";
      el("text", { x: x(d), y: H - 10, "text-anchor": anchor }, grid).textContent = iso(Math.round(d));
    }
    drawn = [];
    data.series.forEach(function (s, index) {
      // Counts hold until the next creation day: a step line, clipped to the window.
      var path = "", last = null;
      s.points.forEach(function (p) {
        var d = day(p[0]);
        if (d < start) { last = p[1]; return; }
        if (path === "") { path = "M" + x(start) + "," + y(last === null ? 0 : last); }
        if (last !== null) { path += "H" + x(d); }
        path += "V" + y(p[1]);
        last = p[1];
        drawn.push({ org: s.organisation, date: p[0], value: p[1], px: x(d), py: y(p[1]) });
      });
      if (path === "") { path = "M" + x(start) + "," + y(last === null ? 0 : last); }
      path += "H" + x(end);
      var cls = "series" + (s.colour ? "" : " muted") + (highlighted === s.organisation ? " highlight" : "");
      var line = el("path", { d: path, "class": cls, "data-org": s.organisation }, svg);
      if (s.colour) { line.setAttribute("stroke", s.colour); }
      el("title", {}, line).textContent = s.organisation;
    });
  }

  function ticks(log, max) {
    if (log) {
      var out = [1];
      for (var v = 10; v <= max * 10 && out.length < 6; v *= 10) { out.push(v); }
      return out;
    }
    var step = Math.pow(10, Math.floor(Math.log10(max)));
    if (max / step < 3) { step /= 2; }
    var list = [];
    for (var t = 0; t <= max; t += step) { list.push(Math.round(t)); }
    return list;
  }

  svg.addEventListener("mousemove", function (event) {
    var box = svg.getBoundingClientRect();
    var sx = (event.clientX - box.left) * W / box.width, sy = (event.clientY - box.top) * H / box.height;
    var best = null, bestDistance = Infinity;
    drawn.forEach(function (p) {
      var distance = Math.pow(p.px - sx, 2) + Math.pow(p.py - sy, 2);
      if (distance < bestDistance) { bestDistance = distance; best = p; }
    });
    if (!best || bestDistance > 2500) { tooltip.hidden = true; return; }
    tooltip.textContent = best.org + " \u2014 " + best.date + ": " + best.value + " open repositories";
    tooltip.style.left = (window.scrollX + event.clientX + 12) + "px";
    tooltip.style.top = (window.scrollY + event.clientY + 12) + "px";
    tooltip.hidden = false;
  });
  svg.addEventListener("mouseleave", function () { tooltip.hidden = true; });
  windowSelect.addEventListener("change", draw);
  logScale.addEventListener("change", draw);
  Array.prototype.forEach.call(document.querySelectorAll(".legend button"), function (button) {
    button.addEventListener("click", function () {
      var org = button.getAttribute("data-org");
      highlighted = highlighted === org ? null : org;
      button.setAttribute("aria-pressed", String(highlighted === org));
      draw();
    });
  });

  // Table 1: a click on a header sorts by that column, again to reverse.
  var table = document.getElementById("table-1");
  Array.prototype.forEach.call(table.querySelectorAll("th button"), function (button, column) {
    button.addEventListener("click", function () {
      var th = button.parentNode;
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.querySelectorAll("th"), function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var p = a.cells[column].getAttribute("data-sort"), q = b.cells[column].getAttribute("data-sort");
        var order = th.classList.contains("number") ? Number(p) - Number(q) : (p < q ? -1 : p > q ? 1 : 0);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });

  draw();
})();
