// segbridge: the Profiles page's import shows the upload's progress. The
// form works without this script (a plain upload); with it the file is
// sent by XMLHttpRequest, whose upload progress events move the bar, and
// the page the server answers replaces this one's content.
"use strict";

(function () {
  function size(n) {
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
    if (n >= 1 << 10) return Math.round(n / (1 << 10)) + " KiB";
    return n + " bytes";
  }

  function bind() {
    var form = document.getElementById("import-form");
    if (!form || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) return;
    form.addEventListener("submit", function (ev) {
      if (!form.checkValidity()) return;
      ev.preventDefault();
      var box = document.getElementById("import-progress-box");
      var bar = document.getElementById("import-progress");
      var text = document.getElementById("import-progress-text");
      var button = document.getElementById("import");
      function fail(msg) {
        bar.hidden = true; // no measure of anything any more
        text.textContent = msg;
        text.className = "bad";
        button.disabled = false;
      }
      box.hidden = false;
      bar.hidden = false;
      bar.value = 0;
      text.className = "";
      text.textContent = "Uploading…";
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.floor((e.loaded * 100) / e.total);
        bar.value = pct;
        // What the upload reported, kept where the page swap leaves it
        // (the browser test reads it).
        document.body.dataset.uploadProgress = String(pct);
        document.body.dataset.uploadEvents = String(Number(document.body.dataset.uploadEvents || 0) + 1);
        text.textContent = "Uploading: " + pct + "% (" + size(e.loaded) + " of " + size(e.total) + ")";
      });
      xhr.upload.addEventListener("load", function () {
        bar.removeAttribute("value"); // the server imports now: no measure
        text.textContent = "Uploaded; importing…";
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL.indexOf("/login") >= 0) {
          fail("Your session has expired: sign in again in another tab, then import the file again (importing it again changes nothing).");
          return;
        }
        var type = xhr.getResponseHeader("Content-Type") || "";
        var doc = type.indexOf("text/html") === 0 ? new DOMParser().parseFromString(xhr.responseText, "text/html") : null;
        var main = doc && doc.getElementById("main");
        if (!main) {
          fail("The server answered " + xhr.status + " " + xhr.statusText + "; reload the page and try again.");
          return;
        }
        document.getElementById("main").replaceWith(document.adoptNode(main));
        document.title = doc.title;
        bind();
        var shown = document.getElementById("form-error") || document.getElementById("import-result");
        if (shown) {
          shown.setAttribute("tabindex", "-1");
          shown.focus();
        }
      });
      xhr.addEventListener("error", function () {
        fail("The upload broke off (the connection to the server failed); try again: importing again changes nothing.");
      });
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", bind);
})();
