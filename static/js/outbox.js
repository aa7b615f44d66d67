// The device's store for the offline field check (IndexedDB through idb), shared by the page
// (field.js) and the service worker (sw.js): the applications taken offline, the checks entered
// for them, and the sending of each check once (a submission id the server recognises).
(function (root) {
  var DB_NAME = "ikmrelief-lapangan";
  var SYNC_TAG = "ikmrelief-field-checks";
  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = root.idb.openDB(DB_NAME, 1, {
        upgrade: function (d) {
          d.createObjectStore("applications", {keyPath: "id"});
          d.createObjectStore("checks", {keyPath: "id"});
          d.createObjectStore("sent", {keyPath: "id"});
          d.createObjectStore("meta");
        },
      });
    }
    return dbPromise;
  }

  function all(store) { return db().then(function (d) { return d.getAll(store); }); }
  function get(store, key) { return db().then(function (d) { return d.get(store, key); }); }
  function put(store, value, key) { return db().then(function (d) { return d.put(store, value, key); }); }
  function del(store, key) { return db().then(function (d) { return d.delete(store, key); }); }

  function newId() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    var b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // Send one check; what the server answers decides what stays on the device.
  function send(check) {
    var form = new FormData();
    form.append("submission_id", check.submission_id);
    form.append("application", String(check.id));
    form.append("expected_state", check.expected_state);
    form.append("expected_version", String(check.expected_version));
    form.append("last_step_id", String(check.last_step_id || 0));
    form.append("note", check.note || "");
    form.append("answers", JSON.stringify(check.answers || {}));
    (check.photos || []).forEach(function (p) { form.append("photo", p.blob, p.name); });
    return fetch(check.submit_url, {
      method: "POST", body: form, credentials: "same-origin", redirect: "manual",
      headers: {"X-CSRFToken": check.csrf, "X-Requested-With": "XMLHttpRequest"},
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) return {status: "signed_out", code: response.status};
      return response.json().then(function (body) { body.code = response.status; return body; });
    }).then(function (body) {
      if (body.status === "saved") {
        // The page and the service worker (Background Sync) may both send it: the server made one
        // step; whichever hears back second finds the records already gone.
        return get("applications", check.id).then(function (a) {
          var done = [del("checks", check.id), del("applications", check.id)];
          if (a) done.push(put("sent", {id: check.id, group: a.group.name, state_label: body.state_label,
                                        at: new Date().toISOString()}));
          return Promise.all(done);
        }).then(function () { return "saved"; });
      }
      check.status = body.status === "conflict" ? "conflict" : (body.status === "signed_out" ? "signed_out" : "invalid");
      check.message = body.message || "";
      check.changes = body.changes || [];
      check.state_label = body.state_label || "";
      return put("checks", check).then(function () { return check.status; });
    }, function () { return "offline"; });  // no connection: it stays ready for the next try
  }

  var flushing = null;
  function flush() {
    if (flushing) return flushing;
    flushing = all("checks").then(function (checks) {
      var ready = checks.filter(function (c) { return c.status === "ready" || c.status === "signed_out"; });
      return ready.reduce(function (chain, check) {
        return chain.then(function (results) { return send(check).then(function (r) { results.push(r); return results; }); });
      }, Promise.resolve([]));
    }).finally(function () { flushing = null; });
    return flushing;
  }

  function clear() {
    return db().then(function (d) {
      return Promise.all(["applications", "checks", "sent", "meta"].map(function (s) { return d.clear(s); }));
    });
  }

  root.IKMOutbox = {SYNC_TAG: SYNC_TAG, all: all, get: get, put: put, del: del, newId: newId, flush: flush, clear: clear};
})(self);
