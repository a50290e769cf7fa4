/* Connects a rewards page's onEvent(type, data) to the live road (static/js/live.js).
 * live.js is loaded before this file when it exists. Whatever shape its API settles on, the
 * handler is offered to it; until then the handler waits in window.GovernLive.pending and also
 * listens for a "govern:live" DOM event ({detail: {type, data}}), so nothing here breaks. */
(function () {
  "use strict";

  function attachLive(onEvent) {
    var live = window.GovernLive;
    if (live) {
      var methods = ["subscribe", "on", "addHandler", "onEvent"];
      for (var i = 0; i < methods.length; i++) {
        if (typeof live[methods[i]] === "function") {
          live[methods[i]](onEvent);
          return true;
        }
      }
      if (Array.isArray(live.handlers)) {
        live.handlers.push(onEvent);
        return true;
      }
    }
    window.GovernLive = window.GovernLive || {};
    (window.GovernLive.pending = window.GovernLive.pending || []).push(onEvent);
    document.addEventListener("govern:live", function (event) {
      if (event.detail && event.detail.type) onEvent(event.detail.type, event.detail.data || {});
    });
    return false;
  }

  function labels() {
    var node = document.getElementById("rewards-labels");
    return node ? JSON.parse(node.textContent) : { status: {}, kind: {}, text: {} };
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* A random Idempotency-Key; crypto.randomUUID needs a secure context, getRandomValues does not. */
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var pad = function (n) { return ("0" + n).slice(-2); };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return values[name] === undefined ? "" : String(values[name]); });
  }

  window.GovernRewards = { attachLive: attachLive, labels: labels, csrfToken: csrfToken, newKey: newKey, formatTime: formatTime, fill: fill };
})();
