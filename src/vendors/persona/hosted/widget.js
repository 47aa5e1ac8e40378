// The embedded flow page's script (see widget.rs): reads #persona-widget's data attributes,
// posts Persona's Web SDK messages to window.parent, submits the form with fetch and reports the
// server's answer. Served inline, allowed by its SHA-256 in the page's CSP: keep it free of any
// per-request text.
(function () {
  "use strict";
  var root = document.getElementById("persona-widget");
  if (!root || window.parent === window) return;
  var d = root.dataset;
  function post(name, metadata, error) {
    var message = { name: name };
    if (d.containerId) message.containerId = d.containerId;
    if (d.templateId) message.templateId = d.templateId;
    if (d.templateVersionId) message.templateVersionId = d.templateVersionId;
    if (error) message.error = error; else message.metadata = metadata || {};
    window.parent.postMessage(message, d.targetOrigin);
  }
  if (d.errorCode) {
    post("load", {});
    post("error", null, { status: Number(d.errorStatus), code: d.errorCode, message: d.errorMessage });
    return;
  }
  var inquiry = { inquiryId: d.inquiryId, sessionToken: d.sessionToken || null };
  // For apps that size an inline iframe to its content.
  function pageChange(pathname) {
    post("page-change", { pathname: pathname, pageHeight: document.documentElement.scrollHeight });
  }
  // Shown: the SDK hides the frame on exit and shows it again with `open` (the same page, not
  // reloaded), so each showing may exit once, after completing too.
  var shown = true;
  function exit() {
    if (!shown) return;
    shown = false;
    post("exit", { inquiryId: inquiry.inquiryId, sessionToken: inquiry.sessionToken });
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) return;
    if (event.origin !== d.iframeOrigin && event.origin !== d.targetOrigin) return;
    if (event.data && event.data.action === "exit") exit();
    if (event.data && event.data.action === "open") shown = true;
  });
  var cancel = document.getElementById("persona-cancel");
  if (cancel) {
    cancel.hidden = false;
    cancel.addEventListener("click", exit);
  }
  var form = document.querySelector("form[data-outcomes]");
  var chosen = null;
  if (form) {
    form.querySelectorAll("button[name=outcome]").forEach(function (button) {
      button.addEventListener("click", function () { chosen = button.value; });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new URLSearchParams(new FormData(form));
      if (chosen) body.set("outcome", chosen);
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                           headers: { accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          var main = document.querySelector("main");
          if (answer.error) {
            buttons.forEach(function (b) { b.disabled = false; });
            var notice = document.getElementById("persona-notice");
            if (notice) { notice.textContent = answer.error.message; notice.hidden = false; }
            post("error", null, answer.error);
            return;
          }
          post(answer.status === "failed" ? "fail" : "complete",
               { inquiryId: answer.inquiryId, status: answer.status, fields: answer.fields || {} });
          if (main && typeof answer.html === "string") {
            var brand = main.querySelector(".brand");
            main.innerHTML = answer.html;
            if (brand) main.insertBefore(brand, main.firstChild);
            pageChange("/done");
          }
        })
        .catch(function (e) {
          buttons.forEach(function (b) { b.disabled = false; });
          post("error", null, { status: 0, code: "application_error", message: String(e) });
        });
    });
  }
  post("load", {});
  post("ready", {});
  if (d.status === "created" || d.status === "pending") {
    post("start", { inquiryId: inquiry.inquiryId, sessionToken: inquiry.sessionToken });
  }
  pageChange("/" + d.status);
})();
