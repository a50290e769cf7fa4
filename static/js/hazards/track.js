/* The public tracking page, live: when an event for this code arrives (its own status changes,
   and those of the original report it was merged into), the server-rendered status block is
   fetched again and swapped in. Attaches to window.GovernLive (static/js/live.js) when present;
   without it the page is simply static (no polling). */
import { fetchHtml } from "../govern/http.js";

(function () {
  "use strict";

  var app = document.getElementById("track-app");
  if (!app) return;
  var code = app.dataset.code;
  var refreshing = null;

  var refreshingPhotos = null;

  /* Photos are re-encoded after the report is filed: "preparing" placeholders become images
     (or a sentence saying why one could not be used) when hazard.photos_ready arrives. */
  function refreshPhotos() {
    if (refreshingPhotos) return refreshingPhotos;
    var url = app.dataset.fragmentUrl.replace("fragment=status", "fragment=photos");
    refreshingPhotos = fetchHtml(url)
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("div");
        holder.innerHTML = html; // same-origin, server-rendered and escaped by Django templates
        var fresh = holder.querySelector("#track-photos");
        var current = document.getElementById("track-photos");
        if (fresh && current) current.replaceWith(fresh);
      })
      .then(function () { refreshingPhotos = null; });
    return refreshingPhotos;
  }

  function refreshStatus() {
    if (refreshing) return refreshing;
    refreshing = fetchHtml(app.dataset.fragmentUrl)
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("div");
        holder.innerHTML = html; // same-origin, server-rendered and escaped by Django templates
        var fresh = holder.querySelector("#track-status");
        var current = document.getElementById("track-status");
        if (fresh && current) current.replaceWith(fresh);
      })
      .then(function () { refreshing = null; });
    return refreshing;
  }

  /* The named handler live.js calls for every event of this page's topics. Events of the
     original report (when this one was merged into it) are forwarded to this code's topic. */
  function onHazardEvent(type, data) {
    if (type === "hazard.photos_ready") {
      if (data && data.tracking_code === code) refreshPhotos();
      return;
    }
    if (type !== "hazard.status_changed" && type !== "hazard.created" && type !== "hazard.feedback") return;
    var original = document.getElementById("duplicate-of");
    var originalCode = original ? original.dataset.originalCode : null;
    if (data && data.tracking_code && data.tracking_code !== code && data.tracking_code !== originalCode) return;
    refreshStatus();
  }

  function showHints() {
    var list = document.getElementById("duplicate-hints");
    if (!list) return;
    var hints = [];
    try { hints = JSON.parse(sessionStorage.getItem("hazard-hints:" + code) || "[]"); } catch (e) { hints = []; }
    if (!hints.length) return;
    hints.forEach(function (hint) {
      var li = document.createElement("li");
      li.appendChild(document.createTextNode(app.dataset.msgHint.replace("%(distance)s", Math.round(hint.distance_m)) + " "));
      var link = document.createElement("a");
      link.href = "/track/" + encodeURIComponent(hint.tracking_code) + "/";
      link.textContent = hint.tracking_code;
      li.appendChild(link);
      list.appendChild(li);
    });
    list.hidden = false;
  }

  window.GovernHazardTrack = { code: code, onEvent: onHazardEvent, refresh: refreshStatus, refreshPhotos: refreshPhotos };
  showHints();
  if (window.GovernLive && typeof window.GovernLive.connect === "function") {
    window.GovernLive.connect({
      track: [code],
      onEvent: onHazardEvent
    });
  }
})();
