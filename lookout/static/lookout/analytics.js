/* Lookout's own first-party analytics beacon (C2.4). Sends page views, add-to-cart clicks,
   searches and time on product pages to /analytics/beacon on this site; nothing else. The server
   drops the user-agent string and truncates the IP address before anything is stored. */
(function () {
  "use strict";
  var endpoint = "/analytics/beacon";
  var path = location.pathname;

  function send(events) {
    var body = JSON.stringify({ events: events });
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }))) {
      return;
    }
    if (window.fetch) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "same-origin" })
        .catch(function () {});
    }
  }

  var skuEl = document.querySelector(".product-info [data-sku]");
  var sku = skuEl ? skuEl.getAttribute("data-sku") : "";
  var view = { kind: "view", path: path, ref: document.referrer || "" };
  if (sku) { view.sku = sku; }
  var events = [view];
  if (path === "/search/") {
    var q = new URLSearchParams(location.search).get("q");
    if (q) {
      events.push({ kind: "search", path: path, q: q, results: document.querySelectorAll(".card").length });
    }
  }
  send(events);

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || !form.action) { return; }
    var action = new URL(form.action, location.href);
    if (action.origin === location.origin && /\/cart\/add\/$/.test(action.pathname)) {
      var input = form.querySelector("input[name=sku]");
      send([{ kind: "cart_add", path: path, sku: input ? input.value : "" }]);
    }
  }, true);

  if (sku) {
    var shownSince = document.visibilityState === "visible" ? Date.now() : null;
    var shown = 0;
    var sent = false;
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && shownSince !== null) {
        shown += Date.now() - shownSince; shownSince = null;
      } else if (document.visibilityState === "visible") {
        shownSince = Date.now();
      }
    });
    window.addEventListener("pagehide", function () {
      if (sent) { return; }
      if (shownSince !== null) { shown += Date.now() - shownSince; shownSince = null; }
      sent = true;
      send([{ kind: "dwell", path: path, sku: sku, seconds: Math.round(shown / 1000) }]);
    });
  }
}());
