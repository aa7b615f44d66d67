// Draws every <canvas data-chart="bar|hbar" data-series="ID"> from the JSON that the page
// embedded with {{ series|json_script:"ID" }}. One script for every chart; each chart also has
// a keyboard-reachable table next to it for screen readers and browsers without JavaScript.
//
// Honest by construction: counts get whole-number axes, an empty series says "no data yet"
// instead of drawing an axis of Rp1 ticks, months come as bars on a continuous month axis (the
// server fills the gaps), long labels wrap instead of being cut, and the series differ by
// more than hue: allocated and realized pass 3:1 against each other and against white, the
// realized bars are hatched and the ceiling is drawn as an outline.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "id";
  var en = lang.indexOf("en") === 0;
  var UNITS = en
    ? [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]]
    : [[1e12, "T"], [1e9, "M"], [1e6, "jt"], [1e3, "rb"]];
  var COLORS = { ceiling: "#5c6675", allocated: "#0a3d33", realized: "#d0701f" };
  var EMPTY = en ? "No data yet." : "Belum ada data.";

  function rupiahShort(value) {
    var a = Math.abs(value), sign = value < 0 ? "-" : "";
    for (var i = 0; i < UNITS.length; i++) {
      if (a >= UNITS[i][0]) {
        var n = Math.round((a / UNITS[i][0]) * 10) / 10;
        var text = String(n).replace(".", en ? "." : ",");
        return sign + "Rp" + text + " " + UNITS[i][1];
      }
    }
    return sign + "Rp" + Math.round(a);
  }

  function hatch(color) {
    var tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    var c = tile.getContext("2d");
    c.fillStyle = color;
    c.fillRect(0, 0, 8, 8);
    c.strokeStyle = "#6b3408";
    c.lineWidth = 2;
    c.beginPath();
    c.moveTo(0, 8); c.lineTo(8, 0);
    c.moveTo(-2, 2); c.lineTo(2, -2);
    c.moveTo(6, 10); c.lineTo(10, 6);
    c.stroke();
    return c.createPattern(tile, "repeat");
  }

  function style(d) {
    var color = COLORS[d.key] || "#1a56db";
    var set = { label: d.label, data: d.data, backgroundColor: color, borderColor: color, borderWidth: 1 };
    if (d.key === "realized") set.backgroundColor = hatch(color);
    if (d.key === "ceiling") { set.backgroundColor = "#ffffff"; set.borderWidth = 2; }
    return set;
  }

  // Words on up to three lines of ``width`` characters. A longer label keeps its beginning and
  // its end (where names like "… — Dinsos Banten" differ) around an ellipsis.
  function wrap(label, width) {
    var words = String(label).split(/\s+/), lines = [], line = "";
    for (var i = 0; i < words.length; i++) {
      var next = line ? line + " " + words[i] : words[i];
      if (next.length > width && line) { lines.push(line); line = words[i]; } else { line = next; }
    }
    if (line) lines.push(line);
    if (lines.length > 3) lines = [lines[0] + " …", lines[lines.length - 2], lines[lines.length - 1]];
    return lines;
  }

  // One line of at most ``max`` characters: the beginning and the end in whole words around an
  // ellipsis, where names like "Pemulihan ekonomi terdampak Covid-19 — DKP Pangan Banten" differ.
  // The full name is in the tooltip and in the data table.
  function abbreviate(label, max) {
    label = String(label);
    if (label.length <= max) return label;
    // A third for the beginning, the rest for the end (where the names of OPD and places are).
    var head = label.slice(0, Math.floor(max / 3)).replace(/\s+\S*$/, "");
    var rest = max - head.length - 3;
    var tail = label.slice(label.length - rest).replace(/^\S*\s+/, "").replace(/^[—–-]\s*/, "");
    return head + " … " + tail;
  }

  function isEmpty(series) {
    return !series.labels.length || series.datasets.every(function (d) {
      return d.data.every(function (v) { return !v; });
    });
  }

  // The money flow (chartjs-chart-sankey). On a phone its table comes first, opened, and the
  // diagram is left out: five columns of names do not fit 360 px.
  function drawSankey(canvas, flow) {
    var box = canvas.parentNode;
    if (!flow.links.length) {
      var note = document.createElement("p");
      note.className = "chart-empty";
      note.textContent = EMPTY;
      box.replaceWith(note);
      return;
    }
    if (window.matchMedia("(max-width: 640px)").matches) {
      var details = box.parentNode.querySelector("details[data-open-on-phone]");
      if (details) details.open = true;
      box.hidden = true;
      return;
    }
    if (typeof Chart === "undefined" || !Chart.registry.controllers.get("sankey")) return;
    var palette = ["#0a3d33", "#1f5f8b", "#6b3fa0", "#d0701f", "#5c6675"];
    var perColumn = [0, 0, 0, 0, 0], short = {}, last = 0;
    var measure = document.createElement("canvas").getContext("2d");
    measure.font = "11px " + Chart.defaults.font.family;
    Object.keys(flow.columns).forEach(function (key) {
      perColumn[flow.columns[key]] += 1;
      short[key] = abbreviate(flow.labels[key], 34);
      if (flow.columns[key] === 4) last = Math.max(last, measure.measureText(short[key]).width);
    });
    box.style.height = Math.max(320, Math.max.apply(null, perColumn) * 26 + 40) + "px";
    new Chart(canvas, {
      type: "sankey",
      data: { datasets: [{
        data: flow.links, labels: short, column: flow.columns, nodePadding: 20, nodeMinSize: 8,
        // Every label right of its node (the last column's in the padding): none drawn over another.
        nodeLabels: { position: "right", font: { size: 11 } },
        colorFrom: function (c) { return palette[flow.columns[c.raw.from]]; },
        colorTo: function (c) { return palette[flow.columns[c.raw.to]]; },
        colorMode: "gradient", alpha: 0.45, size: "max", nodeWidth: 12,
        font: { size: 11 }
      }] },
      options: {
        // Room right of the last column for its longest label: none is cut.
        responsive: true, maintainAspectRatio: false, animation: false,
        layout: { padding: { right: Math.ceil(last * 1.1) + 24 } },
        plugins: { tooltip: { callbacks: { label: function (ctx) {
          var link = ctx.raw;
          return flow.labels[link.from] + " → " + flow.labels[link.to] + ": " + rupiahShort(link.flow);
        } } } }
      }
    });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.series);
    if (!source) return;
    var series = JSON.parse(source.textContent);
    if (canvas.dataset.chart === "sankey") return drawSankey(canvas, series);
    if (isEmpty(series)) {
      var note = document.createElement("p");
      note.className = "chart-empty";
      note.textContent = EMPTY;
      canvas.parentNode.replaceWith(note);
      return;
    }
    if (typeof Chart === "undefined") return;
    var horizontal = canvas.dataset.chart === "hbar";
    var money = canvas.dataset.unit !== "count";
    var valueAxis = {
      beginAtZero: true,
      ticks: {
        precision: 0,  // counts are whole groups; rupiah ticks are whole too
        callback: function (v) { return money ? rupiahShort(v) : v.toLocaleString(lang); }
      }
    };
    var width = canvas.clientWidth < 500 ? 16 : 30;
    var labelAxis = { ticks: { autoSkip: !horizontal, maxRotation: 0, callback: function (v) {
      return wrap(this.getLabelForValue(v), width);
    } } };
    if (horizontal) {
      // Room for every row: no label drawn over another at 360 px.
      var box = canvas.parentNode;
      var lines = Math.max.apply(null, series.labels.map(function (l) { return wrap(l, width).length; }));
      var row = Math.max(canvas.clientWidth < 500 ? 44 : 26, lines * 14 + 10);
      box.dataset.height = String(Math.max(parseInt(box.dataset.height || "320", 10), series.labels.length * row + 60));
      box.style.height = box.dataset.height + "px";
    }
    new Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: series.datasets.map(style) },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { y: valueAxis, x: labelAxis },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var v = horizontal ? ctx.parsed.x : ctx.parsed.y;
                return ctx.dataset.label + ": " + (money ? rupiahShort(v) : v.toLocaleString(lang));
              }
            }
          }
        }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
