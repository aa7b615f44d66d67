// Draws every <canvas data-map="TOPOJSON_URL" data-series="ID"> as a choropleth (chartjs-chart-geo)
// of the regions in the TopoJSON, coloured by the metric picked in the page's
// <fieldset data-map-control="ID">, from the JSON the page embedded with json_script:
// {rows: [{code, name, url, absorption, allocated, realized, groups}], metrics: {key: label}}.
// A click (or Enter on a focused region's link in the table below) opens the region's page.
// The shapes are drawn from files on this site: no map tiles, no outside host.
(function () {
  "use strict";
  if (!window.Chart || !window.ChartGeo) return;
  Chart.register(ChartGeo.ChoroplethController, ChartGeo.GeoFeature, ChartGeo.ColorScale, ChartGeo.ProjectionScale);
  var lang = document.documentElement.lang || "id";
  var en = lang.indexOf("en") === 0;
  var number = new Intl.NumberFormat(en ? "en-US" : "id-ID", { maximumFractionDigits: 1 });
  var UNITS = en ? [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]] : [[1e12, "T"], [1e9, "M"], [1e6, "jt"], [1e3, "rb"]];

  function format(metric, value) {
    if (value === null || value === undefined) return "—";
    if (metric === "absorption") return number.format(value) + "%";
    if (metric === "groups") return number.format(value);
    for (var i = 0; i < UNITS.length; i++) {
      if (Math.abs(value) >= UNITS[i][0]) return "Rp" + number.format(value / UNITS[i][0]) + " " + UNITS[i][1];
    }
    return "Rp" + number.format(value);
  }

  // Five classes from light to dark green (each a step darker, legible against white) and a grey
  // for "nothing allocated"; absorption in fixed steps of 20 %, amounts and counts in five equal
  // steps up to the largest region, so that the legend below the map reads as plain ranges.
  var PALETTE = ["#d9f0d3", "#a6dba0", "#5aae61", "#1b7837", "#00441b"];
  var MISSING = "#d1d5db";

  // A region with nothing allocated has no absorption or allocation to colour: it is drawn grey as
  // "nothing allocated yet", never as the lightest class. Money may still have reached it (a
  // handover to its groups from a province-wide allocation): that realization is coloured.
  function valueOf(metric, row) {
    if (!row) return NaN;
    var v = row[metric];
    if (v === null || v === undefined) return NaN;
    if (metric === "allocated" && v === 0) return NaN;
    if (metric === "realized" && v === 0 && !row.allocated) return NaN;
    return v;
  }

  function maxOf(metric, rows) {
    var max = 0;
    rows.forEach(function (row) { var v = valueOf(metric, row); if (v > max) max = v; });
    return max;
  }

  function classes(metric, rows) {
    if (metric === "absorption") return [0, 20, 40, 60, 80];
    var max = maxOf(metric, rows);
    if (max <= 0) return [0];  // every region at 0: one class, not five empty ranges
    var step = max / 5;
    return [0, step, 2 * step, 3 * step, 4 * step];
  }

  function classOf(bounds, value) {
    if (value === null || value === undefined || isNaN(value)) return -1;
    for (var i = bounds.length - 1; i > 0; i--) if (value >= bounds[i]) return i;
    return 0;
  }

  function legend(list, metric, bounds, rows, spec) {
    list.textContent = "";
    var max = maxOf(metric, rows);
    bounds.forEach(function (low, i) {
      var high = i + 1 < bounds.length ? bounds[i + 1] : (metric === "absorption" ? null : max);
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = PALETTE[i];
      item.appendChild(swatch);
      var text = high === null ? "≥ " + format(metric, low)
        : high <= low ? format(metric, low) : format(metric, low) + " – " + format(metric, high);
      item.appendChild(document.createTextNode(text));
      list.appendChild(item);
    });
    var none = document.createElement("li");
    var grey = document.createElement("span");
    grey.className = "swatch";
    grey.style.background = MISSING;
    none.appendChild(grey);
    none.appendChild(document.createTextNode(spec.missing));
    list.appendChild(none);
  }

  function draw(canvas) {
    var spec = JSON.parse(document.getElementById(canvas.dataset.series).textContent);
    var control = document.querySelector('[data-map-control="' + canvas.dataset.series + '"]');
    var byCode = {};
    spec.rows.forEach(function (row) { byCode[row.code] = row; });
    var metric = control ? control.querySelector("input:checked").value : "absorption";

    fetch(canvas.dataset.map, { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (topo) {
        var features = ChartGeo.topojson.feature(topo, topo.objects.wilayah).features;
        function values() {
          return features.map(function (f) {
            return { feature: f, value: valueOf(metric, byCode[f.properties.code]) };
          });
        }
        var bounds = classes(metric, spec.rows);
        var list = document.createElement("ul");
        list.className = "map-legend";
        list.setAttribute("aria-label", spec.legend);
        canvas.parentNode.parentNode.insertBefore(list, canvas.parentNode.nextSibling);
        legend(list, metric, bounds, spec.rows, spec);
        var chart = new Chart(canvas, {
          type: "choropleth",
          data: {
            labels: features.map(function (f) { return f.properties.name; }),
            datasets: [{ label: spec.metrics[metric], outline: features, data: values(),
                         backgroundColor: function (context) {
                           var k = context.raw ? classOf(bounds, context.raw.value) : -1;
                           return k < 0 ? MISSING : PALETTE[k];
                         },
                         borderColor: "#4b5563", borderWidth: 0.5, hoverBorderColor: "#111827", hoverBorderWidth: 2 }]
          },
          options: {
            maintainAspectRatio: false,
            showOutline: true,
            animation: false,
            plugins: {
              legend: { display: false },
              tooltip: {
                callbacks: {
                  title: function (items) { return items[0].raw.feature.properties.name; },
                  label: function (item) {
                    var v = item.raw.value;
                    return spec.metrics[metric] + ": " + (isNaN(v) ? spec.missing : format(metric, v));
                  }
                }
              }
            },
            scales: {
              projection: { axis: "x", projection: "mercator" },
              color: { axis: "x", display: false }  // the legend is the list below the map
            },
            onHover: function (event, elements) {
              event.native.target.style.cursor = elements.length ? "pointer" : "default";
            },
            onClick: function (event, elements) {
              if (!elements.length) return;
              var row = byCode[features[elements[0].index].properties.code];
              if (row && row.url) window.location.assign(row.url);
            }
          }
        });
        canvas.setAttribute("data-ready", "1");
        if (control) {
          control.addEventListener("change", function (event) {
            metric = event.target.value;
            bounds = classes(metric, spec.rows);
            legend(list, metric, bounds, spec.rows, spec);
            chart.data.datasets[0].label = spec.metrics[metric];
            chart.data.datasets[0].data = values();
            chart.update();
          });
        }
      })
      .catch(function () {
        var note = document.createElement("p");
        note.className = "empty";
        note.textContent = spec.unavailable;
        canvas.parentNode.replaceChild(note, canvas);
      });
  }

  document.querySelectorAll("canvas[data-map]").forEach(draw);
})();
