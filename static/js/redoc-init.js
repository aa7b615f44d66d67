// Redoc with the product's colours: its default success/error greens and reds fall just short of
// WCAG AA contrast (4.5:1) on their tinted backgrounds. No inline script (CSP).
(function () {
  var el = document.getElementById("redoc");
  Redoc.init(el.dataset.specUrl, {
    theme: {colors: {success: {main: "#1d6b2f"}, error: {main: "#a4161a"}, primary: {main: "#0b5d4b"}}},
  }, el);
})();
