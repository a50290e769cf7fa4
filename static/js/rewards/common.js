/* Shared helpers of the rewards pages: the live connection (static/js/live.js, loaded first,
 * resuming from <body data-last-event-id>), translated labels, CSRF, idempotency keys. */
(function () {
  "use strict";

  function attachLive(onEvent) {
    return window.GovernLive.connect({ onEvent: onEvent });
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
