// Coinflow's web-app pages in the SDK's iframe (see ui.rs): posts what Coinflow's React SDK
// listens for, as JSON strings {method, data, info}: `loaded`, `heightChange:<id>` whenever the
// page's height changes, then the messages the server put in #coinflow-ui (success,
// inputError, accountLinked...). Served inline, allowed by its SHA-256 in the page's CSP: keep
// it free of any per-request text.
(function () {
  "use strict";
  var root = document.getElementById("coinflow-ui");
  if (!root || window.parent === window) return;
  var d = root.dataset;
  // The host page's origin where the browser tells it (Chromium, Safari); else any, as the
  // page cannot know who frames it.
  var ancestors = window.location.ancestorOrigins;
  var target = ancestors && ancestors.length ? ancestors[0] : "*";
  function post(method, data, info) {
    var message = { method: method, data: data === undefined ? "" : data };
    if (info !== undefined) message.info = info;
    window.parent.postMessage(JSON.stringify(message), target);
  }
  post("loaded", "");
  var last = 0;
  function height() {
    // The content's own height: the document's scrollHeight never drops below the iframe's.
    var h = Math.ceil(document.body.getBoundingClientRect().height);
    if (d.heightId && h !== last) {
      last = h;
      post("heightChange:" + d.heightId, String(h));
    }
  }
  height();
  if (window.ResizeObserver) new ResizeObserver(height).observe(document.body);
  JSON.parse(d.messages || "[]").forEach(function (m) {
    post(m.method, m.data, m.info);
  });
})();
