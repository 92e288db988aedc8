/* Lookout's own first-party analytics beacon (C2.4). Sends page views, add-to-cart clicks,
   searches and time on product pages to /analytics/beacon on this site; nothing else. The server
   drops the user-agent string and truncates the IP address before anything is stored.

   Events are queued in this page's memory only (never in cookies or web storage) and sent
   together, so one request usually carries a whole page visit (issue 10, decision 0022):
   - when the page is hidden or left (visibilitychange to hidden, pagehide), the usual case;
   - FLUSH_MS after the first queued event, so a page left open still reports its view;
   - before any POST form is submitted: a POST (the cookie banner above all) may change the
     consent cookies, and an event must reach the server under the consent it happened under;
   - at MAX_EVENTS queued, and in requests the server accepts (at most MAX_EVENTS, MAX_BYTES). */
(function () {
  "use strict";
  var endpoint = "/analytics/beacon";
  var path = location.pathname;
  var FLUSH_MS = 10000;
  var MAX_EVENTS = 20;
  var MAX_BYTES = 8000;
  var queue = [];
  var timer = null;

  function post(events) {
    var body = JSON.stringify({ events: events });
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }))) {
      return;
    }
    if (window.fetch) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "same-origin" })
        .catch(function () {});
    }
  }

  function size(events) {
    return new Blob([JSON.stringify({ events: events })]).size;
  }

  function flush() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    var batch = [];
    while (queue.length) {
      var next = queue.shift();
      if (batch.length && (batch.length >= MAX_EVENTS || size(batch.concat([next])) > MAX_BYTES)) {
        post(batch);
        batch = [];
      }
      batch.push(next);
    }
    if (batch.length) { post(batch); }
  }

  function track(event) {
    queue.push(event);
    if (queue.length >= MAX_EVENTS) {
      flush();
    } else if (timer === null) {
      timer = setTimeout(flush, FLUSH_MS);
    }
  }

  var skuEl = document.querySelector(".product-info [data-sku]");
  var sku = skuEl ? skuEl.getAttribute("data-sku") : "";
  var view = { kind: "view", path: path, ref: document.referrer || "" };
  if (sku) { view.sku = sku; }
  track(view);
  if (path === "/search/") {
    var q = new URLSearchParams(location.search).get("q");
    if (q) {
      track({ kind: "search", path: path, q: q, results: document.querySelectorAll(".card").length });
    }
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || !form.action) { return; }
    var action = new URL(form.action, location.href);
    if (action.origin === location.origin && /\/cart\/add\/$/.test(action.pathname)) {
      var input = form.querySelector("input[name=sku]");
      track({ kind: "cart_add", path: path, sku: input ? input.value : "" });
    }
    var method = (e.submitter && e.submitter.getAttribute("formmethod")) || form.method || "get";
    if (method.toLowerCase() === "post") {
      flush();
    }
  }, true);

  var shownSince = document.visibilityState === "visible" ? Date.now() : null;
  var shown = 0;
  var left = false;
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      if (shownSince !== null) { shown += Date.now() - shownSince; shownSince = null; }
      flush();
    } else if (document.visibilityState === "visible") {
      shownSince = Date.now();
    }
  });
  window.addEventListener("pagehide", function () {
    if (sku && !left) {
      if (shownSince !== null) { shown += Date.now() - shownSince; shownSince = null; }
      left = true;
      track({ kind: "dwell", path: path, sku: sku, seconds: Math.round(shown / 1000) });
    }
    flush();
  });
}());
