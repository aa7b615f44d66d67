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
document.querySelectorAll("[data-percent]").forEach(function (el) {
  el.style.width = Math.max(0, Math.min(100, parseFloat(el.dataset.percent) || 0)) + "%";
});
document.querySelectorAll("[data-height]").forEach(function (el) {
  el.style.height = (parseInt(el.dataset.height, 10) || 320) + "px";
});
