// Disable a form's submit button once it is sent, so a double click sends it once.
// The server recognises a repeated submission anyway (hidden submission_id).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
  if (form.dataset.submitted === "1") { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (button) {
    button.setAttribute("aria-disabled", "true");
  });
});

// Sizes that come from the data (progress bars, chart boxes) are set here, not in style=""
// attributes: the Content-Security-Policy allows no inline styles.
function sizeBars(root) {
  root.querySelectorAll("[data-percent]").forEach(function (el) {
    el.style.width = Math.max(0, Math.min(100, parseFloat(el.dataset.percent) || 0)) + "%";
  });
}
sizeBars(document);
document.querySelectorAll("[data-height]").forEach(function (el) {
  el.style.height = (parseInt(el.dataset.height, 10) || 320) + "px";
});

// A table wider than the screen scrolls inside its box: make that box reachable by keyboard
// (WCAG 2.1.1) and name it after the table's caption or the heading above it.
function labelScrollBoxes() {
  document.querySelectorAll(".table-scroll").forEach(function (box) {
    if (box.dataset.scrollStatic === "1") return;
    if (box.hasAttribute("tabindex") && !box.dataset.scrollAuto) { box.dataset.scrollStatic = "1"; return; }
    var overflows = box.scrollWidth > box.clientWidth + 1;
    if (overflows && !box.hasAttribute("tabindex")) {
      var caption = box.querySelector("caption");
      var heading = box.previousElementSibling;
      while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
      var name = (caption || heading || document.querySelector("h1") || {}).textContent || document.title;
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name.trim());
      box.dataset.scrollAuto = "1";
    } else if (!overflows && box.dataset.scrollAuto) {
      box.removeAttribute("tabindex"); box.removeAttribute("role"); box.removeAttribute("aria-label");
      delete box.dataset.scrollAuto;
    }
  });
}
labelScrollBoxes();
window.addEventListener("resize", labelScrollBoxes);

// A form sent back with errors: focus goes to the summary (it links to each field), and each
// input names its error message for screen readers next to its help text.
document.querySelectorAll(".error[id$='_error']").forEach(function (error) {
  var input = document.getElementById(error.id.replace(/_error$/, ""));
  if (!input) return;
  var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  if (ids.indexOf(error.id) < 0) ids.push(error.id);
  input.setAttribute("aria-describedby", ids.join(" "));
  input.setAttribute("aria-invalid", "true");
});
var errorSummary = document.querySelector("[data-error-summary]");
if (errorSummary) errorSummary.focus();

// Work in progress (an import, a rollup): instead of reloading the page (meta refresh), fetch it
// again every few seconds, swap the main content in place and say the new status in a live
// region outside it, so a screen reader hears the progress and the keyboard focus stays put.
(function livePage() {
  var busy = document.querySelector("[data-live-every]");
  var main = document.getElementById("main");
  var announcer = document.getElementById("live-announcer");
  if (!busy || !main || !announcer) return;
  var every = Math.max(1, parseInt(busy.dataset.liveEvery, 10) || 3) * 1000;
  function poll() {
    fetch(window.location.href, {credentials: "same-origin", headers: {"X-Live-Refresh": "1"}})
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (!next) return;
        main.innerHTML = next.innerHTML;
        sizeBars(main);
        var status = main.querySelector("[data-live-status]");
        if (status) announcer.textContent = status.textContent.trim();
        if (main.querySelector("[data-live-every]")) window.setTimeout(poll, every);
      })
      .catch(function () { window.setTimeout(poll, every * 2); });
  }
  window.setTimeout(poll, every);
})();

// A form whose action cannot be undone asks first (data-confirm holds the question). Capturing,
// so a "no" stops the submission before the double-click guard above marks the form as sent.
document.addEventListener("submit", function (event) {
  var question = event.target instanceof HTMLFormElement ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// Staff tables read as cards on a phone (the public ones are written so): each cell is labelled
// with its column's header, and the table stacks below 600 px (app.css, .data-table.stack).
document.querySelectorAll("body.manage main table.data-table:not(.stack)").forEach(function (table) {
  var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
    return th.textContent.trim();
  });
  table.querySelectorAll("tbody tr").forEach(function (row) {
    Array.prototype.forEach.call(row.children, function (cell, i) {
      if (cell.tagName === "TD" && heads[i] && !cell.hasAttribute("data-label") && !cell.hasAttribute("colspan")) {
        cell.setAttribute("data-label", heads[i]);
      }
    });
  });
  table.classList.add("stack");
});

// Printing: every chart's and map's data table is printed open (the stylesheet hides the canvases),
// and closed again afterwards, as the reader had them.
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.table-fallback:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
