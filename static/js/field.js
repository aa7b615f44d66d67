// The offline field check (cek lapangan): drawn from what this device stored (outbox.js), so it
// works without a signal. Every change is saved on the device at once; "Simpan untuk dikirim"
// gives the check its submission id; it is sent when the connection returns (Background Sync
// where the browser has it, the "Kirim sekarang" button and the online event everywhere).
(function () {
  var O = self.IKMOutbox;
  var config = JSON.parse(document.getElementById("field-config").textContent);
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var S = {};
  document.getElementById("field-strings").content.querySelectorAll("[data-k]").forEach(function (el) {
    S[el.dataset.k] = el.textContent.trim();
  });
  var list = document.getElementById("field-list");
  var formBox = document.getElementById("field-form");
  var status = document.getElementById("field-status");
  var connection = document.querySelector("[data-testid=connection]");
  var openId = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function say(text) { status.textContent = text; }
  // An ISO instant as the site's clock reads it (Asia/Jakarta), whatever the device's zone.
  function when(iso, withTime) {
    var at = new Date(iso);
    var date = new Intl.DateTimeFormat(config.language === "en" ? "en-GB" : "id-ID",
      {timeZone: config.time_zone, day: "numeric", month: "short", year: "numeric"}).format(at);
    if (!withTime) return date;
    var time = new Intl.DateTimeFormat("en-GB", {timeZone: config.time_zone, hour: "2-digit", minute: "2-digit",
      hourCycle: "h23"}).format(at);  // 15:01, as the server's pages write it
    return date + ", " + time + " " + config.zone_label;
  }
  function showConnection() {
    connection.textContent = navigator.onLine ? connection.dataset.online : connection.dataset.offline;
    connection.className = "badge " + (navigator.onLine ? "badge-ok" : "badge-warn");
  }

  function take(ids) {
    var query = ids.map(function (id) { return "id=" + encodeURIComponent(id); }).join("&");
    return fetch(config.package_url + (query ? "?" + query : ""), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        return Promise.all((body.applications || []).map(function (a) {
          return O.put("applications", a).then(function () { return O.get("checks", a.id); }).then(function (check) {
            check = check || {id: a.id, status: "draft", answers: {}, note: "", photos: []};
            if (check.status === "conflict" || check.status === "draft") {
              // Taken again: the current version, the answers kept.
              check.status = check.status === "conflict" ? "draft" : check.status;
              check.expected_state = a.state; check.expected_version = a.version; check.last_step_id = a.last_step_id;
            }
            check.submit_url = config.submit_url; check.csrf = csrf;
            return O.put("checks", check);
          });
        })).then(function () { say((body.applications || []).length + " " + S.taken); });
      });
  }

  function render() {
    return Promise.all([O.all("applications"), O.all("checks"), O.all("sent")]).then(function (r) {
      var apps = r[0], checks = {}, sent = r[2];
      r[1].forEach(function (c) { checks[c.id] = c; });
      list.replaceChildren();
      if (!apps.length) list.appendChild(el("p", {class: "muted", text: S.none}));
      apps.forEach(function (a) {
        var c = checks[a.id] || {status: "draft"};
        var card = el("section", {class: "card field-card", "data-testid": "field-card", "data-application": a.id}, [
          el("h2", {text: a.group.name}),
          el("p", {text: a.program.name + " · " + a.group.regency + (a.group.kecamatan ? " · " + a.group.kecamatan : "")}),
          el("p", {}, [el("span", {class: "badge" + (c.status === "ready" ? " badge-ok" : c.status === "draft" ? "" : " badge-warn"),
                                   "data-testid": "check-status", text: S[c.status] || c.status})]),
        ]);
        if (c.status === "conflict" || c.status === "invalid" || c.status === "signed_out") {
          var box = el("div", {class: "notice", role: "note", "data-testid": "conflict"}, [el("p", {text: c.message})]);
          if ((c.changes || []).length) {
            box.appendChild(el("p", {text: S.changes}));
            box.appendChild(el("ul", {}, c.changes.map(function (s) {
              return el("li", {text: when(s.at, true) + " · " + s.actor + ": " + (s.from === s.to ? "" : s.from + " → ") + s.to + (s.note ? " — " + s.note : "")});
            })));
          }
          box.appendChild(el("p", {text: S.kept}));
          box.appendChild(el("a", {href: a.url, class: "button", text: S.view}));
          var discard = el("button", {type: "button", class: "button", text: S.discard});
          discard.addEventListener("click", function () {
            Promise.all([O.del("checks", a.id), O.del("applications", a.id)]).then(render);
          });
          box.appendChild(discard);
          card.appendChild(box);
        }
        var open = el("button", {type: "button", class: "button primary", "data-testid": "open-check", text: S.open});
        open.addEventListener("click", function () { openId = a.id; renderForm(a, checks[a.id]); });
        card.appendChild(open);
        list.appendChild(card);
      });
      var sentList = document.getElementById("field-sent");
      sentList.replaceChildren.apply(sentList, sent.map(function (s) {
        return el("li", {text: s.group + " — " + (s.state_label || "") + " · " + when(s.at, true)});
      }));
      if (openId && !apps.some(function (a) { return a.id === openId; })) { openId = null; formBox.replaceChildren(); }
    });
  }

  function save(check) { return O.put("checks", check); }

  function resize(file) {
    // Down to 1600 px on the long side as JPEG, on the device; then type and size as the server checks them.
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.8); });
    }).then(function (blob) {
      if (!blob || config.types.indexOf(blob.type) < 0 || blob.size > config.max_bytes) throw new Error(S.bad_photo);
      return blob;
    });
  }

  function renderForm(a, check) {
    check = check || {id: a.id, status: "draft", answers: {}, note: "", photos: []};
    formBox.replaceChildren();
    var form = el("form", {class: "card field-check", "data-testid": "field-check", novalidate: ""});
    form.appendChild(el("h2", {tabindex: "-1", text: S.open + ": " + a.group.name}));
    var errors = el("div", {role: "alert", class: "error-summary-inline"});
    form.appendChild(errors);
    if (Object.keys(a.carried || {}).length) {
      form.appendChild(el("p", {class: "notice", text: S.carried + ": " + Object.keys(a.carried).join("; ")}));
    }
    a.criteria.forEach(function (criterion, i) {
      var answer = check.answers[criterion] || {};
      var radios = ["met", "not_met"].map(function (kind) {
        var input = el("input", {type: "radio", name: "c" + i, value: kind, id: "c" + i + "-" + kind});
        input.checked = answer.met === (kind === "met") && answer.met !== undefined;
        input.addEventListener("change", function () {
          check.answers[criterion] = {met: kind === "met", note: (check.answers[criterion] || {}).note || ""};
          save(check);
        });
        return el("label", {class: "choice", for: "c" + i + "-" + kind}, [input, document.createTextNode(" " + S[kind])]);
      });
      var note = el("input", {type: "text", id: "c" + i + "-note", maxlength: "300"});
      note.value = answer.note || "";
      note.addEventListener("input", function () {
        var current = check.answers[criterion] || {};
        check.answers[criterion] = {met: current.met, note: note.value};
        save(check);
      });
      form.appendChild(el("fieldset", {class: "field"}, [el("legend", {text: criterion})].concat(radios).concat([
        el("label", {for: "c" + i + "-note", text: S.criterion_note}), note])));
    });
    var noteField = el("textarea", {id: "check-note", rows: "3", maxlength: "2000"});
    noteField.value = check.note || "";
    noteField.addEventListener("input", function () { check.note = noteField.value; save(check); });
    form.appendChild(el("div", {class: "field"}, [el("label", {for: "check-note", text: S.note}), noteField]));
    var photo = el("input", {type: "file", id: "check-photo", accept: config.types.join(","), capture: "environment", multiple: ""});
    var thumbs = el("div", {class: "thumbs", "data-testid": "thumbs"});
    function drawThumbs() {
      thumbs.replaceChildren.apply(thumbs, (check.photos || []).map(function (p, index) {
        var remove = el("button", {type: "button", class: "link-button", text: S.remove_photo});
        remove.addEventListener("click", function () { check.photos.splice(index, 1); save(check).then(drawThumbs); });
        return el("figure", {}, [el("img", {src: URL.createObjectURL(p.blob), alt: p.name}), remove]);
      }));
    }
    photo.addEventListener("change", function () {
      var files = Array.prototype.slice.call(photo.files);
      if ((check.photos || []).length + files.length > config.photos_max) { errors.textContent = S.too_many; return; }
      Promise.all(files.map(resize)).then(function (blobs) {
        check.photos = (check.photos || []).concat(blobs.map(function (blob, n) {
          return {name: "cek-lapangan-" + a.id + "-" + ((check.photos || []).length + n + 1) + ".jpg", blob: blob, size: blob.size};
        }));
        errors.textContent = "";
        photo.value = "";
        return save(check).then(drawThumbs);
      }).catch(function (e) { errors.textContent = e.message || S.bad_photo; });
    });
    form.appendChild(el("div", {class: "field"}, [el("label", {for: "check-photo", text: S.photos}), photo, thumbs]));
    drawThumbs();
    form.appendChild(el("details", {}, [el("summary", {text: S.members + " (" + a.group.members.length + ")"}),
      el("ul", {}, a.group.members.map(function (m) { return el("li", {text: m.name + " · " + m.role + " · " + m.nik}); }))]));
    form.appendChild(el("details", {}, [el("summary", {text: S.steps}),
      el("ol", {}, a.steps.map(function (s) { return el("li", {text: when(s.at, true) + " · " + s.actor + ": " + s.to + (s.note ? " — " + s.note : "")}); }))]));
    var submit = el("button", {type: "submit", class: "button primary", "data-testid": "save-check", text: S.save});
    var close = el("button", {type: "button", class: "button", text: S.close});
    close.addEventListener("click", function () { openId = null; formBox.replaceChildren(); });
    form.appendChild(el("div", {class: "actions"}, [submit, close]));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var missing = a.criteria.filter(function (c) { return !check.answers[c] || check.answers[c].met === undefined; });
      var failed = a.criteria.some(function (c) { return check.answers[c] && check.answers[c].met === false; });
      if (missing.length) { errors.textContent = S.answer_all + " " + missing.join("; "); return; }
      if (failed && !(check.note || "").trim()) { errors.textContent = S.need_note; noteField.focus(); return; }
      check.status = "ready";
      check.submission_id = check.submission_id || O.newId();
      check.submit_url = config.submit_url; check.csrf = csrf;
      save(check).then(function () {
        openId = null; formBox.replaceChildren(); say(S.saved_device);
        return requestSync();
      }).then(render);
    });
    formBox.appendChild(form);
    form.querySelector("h2").focus();
  }

  function requestSync() {
    if (!navigator.onLine) {
      return navigator.serviceWorker && navigator.serviceWorker.ready.then(function (reg) {
        return reg.sync && reg.sync.register(O.SYNC_TAG);
      }).catch(function () {});
    }
    return sendNow();
  }

  function sendNow() {
    // Signing in again rotates the CSRF token: the checks go out with this page's token.
    return O.all("checks").then(function (checks) {
      return Promise.all(checks.map(function (c) { c.csrf = csrf; return O.put("checks", c); }));
    }).then(O.flush).then(function (results) {
      var saved = results.filter(function (r) { return r === "saved"; }).length;
      if (results.indexOf("offline") >= 0) say(S.offline);
      else if (results.length) say(saved + " " + S.sent);
      return render();
    });
  }

  document.querySelector("[data-action=send]").addEventListener("click", sendNow);
  document.querySelector("[data-action=take]").addEventListener("click", function () { take([]).then(render); });
  window.addEventListener("online", function () { showConnection(); sendNow(); });
  window.addEventListener("offline", showConnection);
  showConnection();

  var selected = new URLSearchParams(window.location.search).getAll("selected");
  var start = selected.length && navigator.onLine ? take(selected).then(function () {
    history.replaceState(null, "", window.location.pathname);
  }).catch(function () {}) : Promise.resolve();
  start.then(render).then(function () { if (navigator.onLine) return sendNow(); });
})();
