// Draws every <canvas data-chart="bar|line|hbar" data-series="ID"> from the JSON that the
// page embedded with {{ series|json_script:"ID" }}. One script for every chart; each chart
// also has a table next to it for screen readers and browsers without JavaScript.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "id";
  var en = lang.indexOf("en") === 0;
  var UNITS = en
    ? [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]]
    : [[1e12, "T"], [1e9, "M"], [1e6, "jt"], [1e3, "rb"]];
  var COLORS = { ceiling: "#8a96a6", allocated: "#0b5d4b", realized: "#b3541e" };

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

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.series);
    if (!source || typeof Chart === "undefined") return;
    var series = JSON.parse(source.textContent);
    var kind = canvas.dataset.chart;
    var horizontal = kind === "hbar";
    var money = canvas.dataset.unit !== "count";
    var datasets = series.datasets.map(function (d) {
      var color = COLORS[d.key] || "#1a56db";
      return { label: d.label, data: d.data, backgroundColor: color, borderColor: color, tension: 0.2 };
    });
    var valueAxis = {
      beginAtZero: true,
      ticks: { callback: function (v) { return money ? rupiahShort(v) : v.toLocaleString(lang); } }
    };
    var maxLabel = canvas.clientWidth < 500 ? 18 : 34;
    var labelAxis = {
      ticks: {
        autoSkip: false,
        callback: function (v) {
          var label = String(this.getLabelForValue(v));
          return label.length > maxLabel ? label.slice(0, maxLabel - 1) + "…" : label;
        }
      }
    };
    new Chart(canvas, {
      type: kind === "line" ? "line" : "bar",
      data: { labels: series.labels, datasets: datasets },
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
