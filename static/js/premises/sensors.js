/* The sensors page, live: a `sensor.alert` (on the safety officer's user topic, or `dispatch`) or a
   status change of a hazard fetches the page again and swaps the sensor and alert lists in, so
   the page always shows the server's state (replayed events are harmless). Attaches to
   window.GovernLive (static/js/live.js) when present; otherwise the page stays as rendered. */
import { fetchHtml } from "../govern/http.js";

(function () {
  "use strict";

  var root = document.getElementById("sensors-live");
  if (!root) return;
  var pending = null;
  var again = false;

  function refresh() {
    if (pending) { again = true; return pending; }
    pending = fetchHtml(window.location.href)
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("sensors-live");
        var current = document.getElementById("sensors-live");
        if (fresh && current) current.replaceWith(fresh);
      })
      .then(function () {
        pending = null;
        if (again) { again = false; refresh(); }
      });
    return pending;
  }

  function onEvent(type) {
    if (type === "sensor.alert" || type === "hazard.status_changed") refresh();
  }

  window.GovernSensors = { onEvent: onEvent, refresh: refresh };
  if (window.GovernLive && typeof window.GovernLive.connect === "function") {
    window.GovernLive.connect({ onEvent: onEvent });
  }
})();
