// segbridge: small conveniences on top of pages that work without JavaScript.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  confirmButtons();
  mappingRows();
  connectButton();
  runProgress();
  livePreview();
  resultsFilter();
});

// Buttons with data-confirm ask before their form is sent.
function confirmButtons() {
  document.querySelectorAll("button[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (ev) {
      if (!window.confirm(b.dataset.confirm)) ev.preventDefault();
    });
  });
}

// The mapping shows only the optional rows in use; "Add attribute" shows
// the next one. The property name is shown only for custom properties.
function mappingRows() {
  var box = document.getElementById("mapping");
  var add = document.getElementById("add-attribute");
  if (!box || !add) return;
  var rows = Array.prototype.slice.call(box.querySelectorAll(".maprow.optional"));
  function syncProp(row) {
    var sel = row.querySelector("select");
    row.querySelector(".prop").hidden = sel.value !== "custom";
  }
  rows.forEach(function (row) {
    var used = row.querySelector("select").value !== "" || row.querySelector("input[name=attr]").value !== "";
    row.hidden = !used;
    syncProp(row);
    row.querySelector("select").addEventListener("change", function () { syncProp(row); });
  });
  function update() {
    add.disabled = !rows.some(function (r) { return r.hidden; });
  }
  add.classList.remove("js-only");
  add.addEventListener("click", function () {
    var next = rows.find(function (r) { return r.hidden; });
    if (next) {
      next.hidden = false;
      next.querySelector("select").focus();
    }
    update();
  });
  update();
}

// Connect checks the key without reloading, so the key stays in its field.
function connectButton() {
  var btn = document.getElementById("connect");
  var form = document.getElementById("connection-form");
  var out = document.getElementById("connect-result");
  if (!btn || !form || !out) return;
  btn.addEventListener("click", function (ev) {
    ev.preventDefault();
    out.className = "";
    out.textContent = "Checking the key with Omnisend…";
    fetch("/admin/connections/connect.json", {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    }).then(function (r) { return r.json(); }).then(function (res) {
      if (res.brand) {
        out.className = "ok";
        out.textContent = "Connected: the key works for brand " + res.brand + ".";
      } else {
        out.className = "bad";
        out.textContent = res.error || "The check failed.";
      }
    }).catch(function () {
      out.className = "bad";
      out.textContent = "Could not reach segbridge; try again.";
    });
  });
}

// A run page in progress polls the run's progress and reloads when it ends.
function runProgress() {
  var box = document.getElementById("run");
  if (!box || box.dataset.final === "true") return;
  var url = box.dataset.progress;
  function set(id, v) {
    var el = document.getElementById(id);
    if (el) el.textContent = v;
  }
  function expired() {
    var msg = document.getElementById("run-message");
    if (msg) {
      msg.textContent = "Your session has ended, so this page no longer follows the run. ";
      var a = document.createElement("a");
      a.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      a.textContent = "Sign in again";
      msg.appendChild(a);
      msg.className = "flash bad";
    }
  }
  function tick() {
    fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
      if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) {
        expired();
        return null;
      }
      if (!r.ok) throw new Error("status " + r.status);
      return r.json();
    }).then(function (p) {
      if (!p) return;
      var st = document.getElementById("run-status");
      st.textContent = p.status;
      st.className = "status s-" + p.status;
      set("run-step", p.final ? "" : "step " + p.step);
      set("run-message", p.message || "");
      set("sent", p.progress.sent);
      set("upserts", p.progress.upserts);
      set("confirmed", p.progress.confirmed);
      set("untagged-live", p.progress.untagged);
      set("untags", p.progress.untags);
      var bar = document.getElementById("sent-bar");
      if (bar) { bar.max = Math.max(p.progress.upserts, 1); bar.value = p.progress.sent; }
      set("requests", p.requests);
      if (p.counts) {
        var c = p.counts, sum = function (m) { var n = 0; for (var k in (m || {})) n += m[k]; return n; };
        set("c-members", c.members || 0);
        set("c-added", c.added || 0);
        set("c-updated", c.updated || 0);
        set("c-unchanged", c.unchanged || 0);
        set("c-untagged", c.untagged || 0);
        set("c-kept", c.kept || 0);
        set("c-skipped", sum(c.skipped));
        set("c-failed", sum(c.failed));
      }
      if (p.final) {
        refreshRunPage();
        return;
      }
      setTimeout(tick, 1000);
    }).catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 500);
}

// livePreview previews a segment's rule as it is typed: the form is sent
// as the Preview button sends it, and the answer's preview (or the
// rule's error) replaces the one on the page. Without JavaScript the
// Preview button does the same.
function livePreview() {
  var live = document.getElementById("preview-live");
  var rule = document.getElementById("rule");
  if (!live || !rule || !rule.form) return;
  var form = rule.form, timer = null, seq = 0;
  function show(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("preview-live");
    if (fresh && fresh.children.length) { live.innerHTML = fresh.innerHTML; return; }
    var err = doc.querySelector("#rule-error, .field-error, #form-error");
    live.innerHTML = "";
    if (err) {
      var p = document.createElement("p");
      p.className = "card bad";
      p.id = "preview-error";
      p.textContent = err.textContent.trim();
      live.appendChild(p);
    }
  }
  rule.addEventListener("input", function () {
    clearTimeout(timer);
    if (!rule.value.trim()) return;
    timer = setTimeout(function () {
      var mine = ++seq;
      var data = new FormData(form);
      data.set("action", "preview");
      data.delete("ids_file");
      // Sent as the form is: a form that is not multipart is read as
      // URL-encoded. form.action would be the button named "action".
      var body = form.enctype === "multipart/form-data" ? data : new URLSearchParams(data);
      fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
        .then(function (r) { return r.type === "opaqueredirect" ? "" : r.text(); })
        .then(function (html) { if (mine === seq && html) show(html); })
        .catch(function () {});
    }, 400);
  });
}

// swapRegions fetches url (a run page) and puts its regions with the given
// ids in place of this page's, without leaving the page.
function swapRegions(url, ids) {
  return fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
    if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      return null;
    }
    return r.text();
  }).then(function (text) {
    if (text === null) return;
    var doc = new DOMParser().parseFromString(text, "text/html");
    ids.forEach(function (id) {
      var mine = document.getElementById(id), theirs = doc.getElementById(id);
      if (mine && theirs) mine.replaceWith(document.importNode(theirs, true));
    });
  });
}

// refreshRunPage shows a run that has ended as its page does now: the
// status, counts and results, in place (no reload).
function refreshRunPage() {
  var cancel = document.getElementById("cancel");
  if (cancel && cancel.form) cancel.form.remove();
  swapRegions(window.location.href, ["run", "results-list", "runs-chart-region"]);
}

// The results of a run page filter as you type or choose (no button) and
// page both ways in place; the address follows, so a reload or a shared
// link shows the same results.
function resultsFilter() {
  if (!document.getElementById("results-filter")) return;
  var timer = null, seq = 0;
  function load(url) {
    var mine = ++seq;
    swapRegions(url, ["results-list"]).then(function () {
      if (mine !== seq) return;
      history.replaceState(null, "", url);
    });
  }
  function fromForm(form) {
    var q = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v !== "") q.set(k, v); });
    var s = q.toString();
    return form.getAttribute("action") + (s ? "?" + s : "");
  }
  function changed(ev) {
    var form = ev.target.form;
    if (!form || form.id !== "results-filter") return;
    var tag = ev.target.tagName;
    if ((ev.type === "change" && tag === "INPUT") || (ev.type === "input" && tag === "SELECT")) return;
    clearTimeout(timer);
    timer = setTimeout(function () { load(fromForm(form)); }, ev.type === "input" ? 300 : 0);
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
  document.addEventListener("submit", function (ev) {
    if (ev.target.id !== "results-filter") return;
    ev.preventDefault();
    load(fromForm(ev.target));
  });
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a.page-link");
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    load(a.getAttribute("href"));
  });
}
