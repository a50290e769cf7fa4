/* "My reports", live: a status change of one of my reports (or of an original one of them was
   merged into) reaches my user topic; the list is then fetched again and swapped in. Attaches to
   window.GovernLive (static/js/live.js) when present; otherwise the page stays as rendered. */
import { fetchHtml } from "../govern/http.js";

(function () {
  "use strict";

  var list = document.getElementById("my-reports");
  if (!list) return;
  var pending = null;

  function refreshList() {
    if (pending) return pending;
    pending = fetchHtml(window.location.href)
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("my-reports");
        var current = document.getElementById("my-reports");
        if (fresh && current) current.replaceWith(fresh);
      })
      .then(function () { pending = null; });
    return pending;
  }

  /* The named handler live.js calls for every event on this user's topics. */
  function onMyReportsEvent(type) {
    if (type === "hazard.status_changed" || type === "hazard.created" || type === "hazard.photos_ready") refreshList();
  }

  window.GovernHazardMine = { onEvent: onMyReportsEvent, refresh: refreshList };
  if (window.GovernLive && typeof window.GovernLive.connect === "function") {
    window.GovernLive.connect({
      onEvent: onMyReportsEvent
    });
  }
})();
