/* The board's "to verify" and "reopen requested" queues (govern/office/selectors/loop.py), live:
   the block is server-rendered (its Verify / Refuse buttons are plain forms that work without
   JavaScript) and fetched again when an event may change it: a hazard entering or leaving
   rectified / verified, a task done (or its after-photos ready), a reporter's answer.
   static/js/office/board.js passes every live event of the dispatch topic to onEvent. */
(function () {
  "use strict";

  var holder = document.getElementById("loop-queues-holder");
  if (!holder) return;
  var LOOP = { rectified: true, verified: true };
  var running = null;
  var again = false;

  function refresh() {
    if (running) { again = true; return running; }
    running = fetch(holder.dataset.fragmentUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var typing = holder.querySelector("input[name=note]:focus");
        if (typing && typing.value) { again = true; return; } // never wipe a reason being typed
        var box = document.createElement("div");
        box.innerHTML = html; // same-origin, server-rendered and escaped by Django templates
        var fresh = box.querySelector("#loop-queues");
        var current = document.getElementById("loop-queues");
        if (fresh && current) current.replaceWith(fresh);
      }, function () { /* offline: the next event or a reload catches up */ })
      .then(function () {
        running = null;
        if (again) { again = false; setTimeout(refresh, 1000); }
      });
    return running;
  }

  function onEvent(type, data) {
    data = data || {};
    if (type === "hazard.feedback") { refresh(); return; }
    if (type === "hazard.status_changed" && (LOOP[data.to] || LOOP[data.from])) { refresh(); return; }
    if (type === "task.updated" && (data.status === "done" || data.status === "expired")) { refresh(); return; }
    // A new offer takes a hazard out of "offers expired" (re-offered here, on its page or by API).
    var hazard = data.hazard || {};
    if (type === "task.updated" && data.status === "offered" && hazard.id &&
        document.querySelector('#queue-offers_expired [data-hazard-id="' + hazard.id + '"]')) refresh();
  }

  window.GovernLoopQueues = { onEvent: onEvent, refresh: refresh };
})();
