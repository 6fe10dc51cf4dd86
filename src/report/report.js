// Every page's only script. On the index: draws the growth chart from the data embedded in
// the page (so its time window and scale can change in the browser), shows values on hover,
// and adds any organisation's line, read from its own page (same site, on request). On every
// page: sorts tables by their headings and filters the repositories. No library, nothing from
// another origin. Without it a page still shows every number, in its tables.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var svg = document.getElementById("growth-chart");
  if (svg) { growthChart(); }

  function growthChart() {
    var data = JSON.parse(document.getElementById("series-data").textContent);
    var tooltip = document.getElementById("chart-tooltip");
    var windowSelect = document.getElementById("window");
    var logScale = document.getElementById("log-scale");
    var W = 960, H = 420, M = { left: 64, right: 20, top: 16, bottom: 40 };
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
    // A line's points, [date, open repositories], from its start day and its steps, each
    // [days since the point before, change in the count since it].
    function withPoints(line) {
      var d = line.start ? day(line.start) : 0, count = 0;
      line.points = line.steps.map(function (step) {
        d += step[0];
        count += step[1];
        return [iso(d), count];
      });
      return line;
    }
    data.series.forEach(withPoints);

    // The chart is drawn in CSS pixels at the width it has, so its text keeps its size.
    function draw() {
      while (svg.lastChild && svg.lastChild.nodeName !== "title" && svg.lastChild.nodeName !== "desc") {
        svg.removeChild(svg.lastChild);
      }
      W = Math.max(280, Math.round(svg.getBoundingClientRect().width) || 960);
      H = W < 600 ? 320 : 420;
      svg.setAttribute("height", H);
      svg.setAttribute("viewBox", "0 0 " + W + " " + H);
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
      timeTicks(start, end, Math.max(2, Math.floor((W - M.left - M.right) / 80))).forEach(function (t) {
        el("line", { x1: x(t.day), x2: x(t.day), y1: M.top, y2: H - M.bottom }, grid);
        el("text", { x: x(t.day), y: H - 14, "text-anchor": "middle" }, grid).textContent = t.label;
      });
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
          drawn.push({ org: s.display_name, date: p[0], value: p[1], px: x(d), py: y(p[1]) });
        });
        if (path === "") { path = "M" + x(start) + "," + y(last === null ? 0 : last); }
        path += "H" + x(end);
        var cls = "series" + (s.colour ? "" : " muted") + (highlighted === s.organisation ? " highlight" : "");
        var line = el("path", { d: path, "class": cls, "data-org": s.organisation }, svg);
        line.setAttribute("stroke", s.colour || "#768692");
        if (s.dash) { line.setAttribute("stroke-dasharray", s.dash); }
        el("title", {}, line).textContent = s.display_name;
      });
    }

    // Ticks on the first of January of whole years, or of months when the window is short,
    // at most `most` of them.
    var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    function timeTicks(start, end, most) {
      var from = new Date(start * DAY), to = new Date(end * DAY);
      var years = to.getUTCFullYear() - from.getUTCFullYear();
      var out = [];
      if (years >= 2) {
        var step = Math.ceil((years + 1) / most);
        for (var y = from.getUTCFullYear() + 1; y <= to.getUTCFullYear(); y++) {
          if (y % step === 0) { out.push({ day: Date.UTC(y, 0, 1) / DAY, label: String(y) }); }
        }
        return out;
      }
      var months = years * 12 + to.getUTCMonth() - from.getUTCMonth();
      var every = Math.max(1, Math.ceil((months + 1) / most));
      for (var m = 1; m <= months; m++) {
        var date = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + m, 1));
        if (date.getUTCMonth() % every === 0) {
          var label = MONTHS[date.getUTCMonth()] + (date.getUTCMonth() === 0 || out.length === 0 ? " " + date.getUTCFullYear() : "");
          out.push({ day: date.getTime() / DAY, label: label });
        }
      }
      return out;
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
    var legend = document.getElementById("legend");
    function highlightOnClick(button) {
      button.addEventListener("click", function () {
        var org = button.getAttribute("data-org");
        highlighted = highlighted === org ? null : org;
        Array.prototype.forEach.call(legend.querySelectorAll("button"), function (b) {
          b.setAttribute("aria-pressed", String(highlighted === b.getAttribute("data-org")));
        });
        draw();
      });
    }
    Array.prototype.forEach.call(legend.querySelectorAll("button"), highlightOnClick);

    // Any organisation of Table 1 can be added: its line is read from its own page.
    var add = document.getElementById("add-org");
    var addStatus = document.getElementById("add-org-status");
    var shown = {};
    data.series.forEach(function (s) { shown[s.organisation] = true; });
    Array.prototype.forEach.call(document.querySelectorAll("#table-1 tbody th a"), function (a) {
      if (shown[a.getAttribute("title")]) { return; }
      var option = document.createElement("option");
      option.value = a.getAttribute("href");
      option.textContent = a.textContent;
      add.appendChild(option);
    });
    add.addEventListener("change", function () {
      var option = add.options[add.selectedIndex];
      if (!option.value) { return; }
      var name = option.textContent, href = option.value;
      addStatus.textContent = "Adding " + name + "\u2026";
      fetch(href).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var line = withPoints(JSON.parse(page.getElementById("org-series").textContent));
        data.series.push(line);
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.setAttribute("data-org", line.organisation);
        button.setAttribute("title", line.organisation);
        button.setAttribute("aria-pressed", "false");
        button.textContent = line.display_name + (line.forge === "GitLab" ? " (GitLab)" : "");
        item.appendChild(button);
        var link = document.createElement("a");
        link.className = "legend-page";
        link.href = href;
        link.textContent = "page";
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " of " + line.display_name;
        link.appendChild(hidden);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(link);
        legend.appendChild(item);
        highlightOnClick(button);
        add.removeChild(option);
        add.selectedIndex = 0;
        addStatus.textContent = "Added " + name + " to the chart, in grey.";
        draw();
      }).catch(function () {
        addStatus.textContent = name + "'s line could not be read from its page here; its page shows its numbers.";
      });
    });

    var resized = null;
    window.addEventListener("resize", function () {
      clearTimeout(resized);
      resized = setTimeout(draw, 100);
    });
    document.getElementById("growth-controls").hidden = false;
    draw();
  }

  // Sortable tables (Table 1, the repositories): a click (or Enter, or Space) on a heading
  // sorts by that column, again to reverse; aria-sort says which column and which way.
  function cellKey(row, column) {
    var cell = row.cells[column];
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var headings = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(headings, function (th, column) {
      th.querySelector("button").addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headings, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.classList.contains("number");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var p = cellKey(a, column), q = cellKey(b, column);
          var order = numeric ? Number(p) - Number(q) : (p < q ? -1 : p > q ? 1 : 0);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  // The repositories: rows whose text holds every word typed, in any column.
  var filter = document.getElementById("repo-filter");
  var repos = document.getElementById("repositories");
  var count = document.getElementById("repo-count");
  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(repos.tBodies[0].rows, function (row) {
      var text = row.textContent.toLowerCase();
      var match = words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    count.textContent = shown + " of " + repos.tBodies[0].rows.length + " repositories shown";
  }
  if (filter && repos) {
    filter.addEventListener("input", applyFilter);
    document.getElementById("repo-filter-group").hidden = false;
    applyFilter();
  }
})();
