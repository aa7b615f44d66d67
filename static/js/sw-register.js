// District staff: the service worker that keeps the field-check page for use without a signal.
// At logout, checks not yet sent are named first; the server then clears this site's storage.
(function () {
  var script = document.currentScript;
  if ("serviceWorker" in navigator && script) {
    navigator.serviceWorker.register(script.dataset.sw, {scope: "/"}).catch(function () {});
  }
  var logout = document.querySelector("form[action$='/akun/keluar/']");
  if (!logout || !self.IKMOutbox) return;
  logout.addEventListener("submit", function (event) {
    if (logout.dataset.confirmed === "1") return;
    event.preventDefault();
    IKMOutbox.all("checks").then(function (checks) {
      var unsent = checks.filter(function (c) { return c.status !== "draft" || (c.photos || []).length || Object.keys(c.answers || {}).length; });
      var text = logout.dataset.confirmText;
      if (unsent.length && text && !window.confirm(text)) return;
      return IKMOutbox.clear();
    }).catch(function () {}).then(function () {
      logout.dataset.confirmed = "1";
      logout.submit();
    });
  });
})();
