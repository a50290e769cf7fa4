/* /tasks/: my offers and tasks, live. A new offer (`task.offered` on my user topic) beeps (WebAudio,
   no asset), raises the badge on the Open tab and appears without a reload; any `task.updated` /
   `task.overdue` refetches the server-rendered lists (?fragment=lists) and swaps them in. Buttons
   call the REST API in place (accept, decline, start, complete with a camera photo). Distances come
   from the browser's geolocation. Server calls go through ../govern/http.js. */
import { api, errorMessage, fetchHtml } from "../govern/http.js";

(function () {
  "use strict";

  var root = document.getElementById("task-lists");
  if (!root) return;
  var errorBox = document.getElementById("task-error");
  var badge = document.getElementById("offer-badge");
  var tabs = { open: document.getElementById("tab-open"), history: document.getElementById("tab-history") };
  var unseenOffers = 0;
  var here = null;
  var pending = null;

  function text(key) {
    var tpl = document.getElementById("task-text");
    var node = tpl && tpl.content.querySelector('[data-key="' + key + '"]');
    return node ? node.textContent : key;
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  /* --- sound and badge ------------------------------------------------------------------------- */

  function beep() {
    if (window.GovernTone && window.GovernTone.play({ times: [0, 0.25], frequency: 880, volume: 0.3, length: 0.2 })) {
      window.__taskBeeps = (window.__taskBeeps || 0) + 1;
    }
    if (navigator.vibrate) { try { navigator.vibrate([200, 100, 200]); } catch (e) { /* ignore */ } }
  }

  function setBadge(n) {
    unseenOffers = n;
    badge.textContent = String(n);
    badge.hidden = n <= 0;
  }

  /* --- tabs ------------------------------------------------------------------------------------- */

  function select(name) {
    Object.keys(tabs).forEach(function (key) {
      tabs[key].setAttribute("aria-selected", key === name ? "true" : "false");
      var panel = document.getElementById("panel-" + key);
      if (panel) panel.hidden = key !== name;
    });
    if (name === "open") setBadge(0);
  }
  tabs.open.addEventListener("click", function () { select("open"); });
  tabs.history.addEventListener("click", function () { select("history"); });

  /* --- distance from me ------------------------------------------------------------------------ */

  function haversine(lat1, lng1, lat2, lng2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dphi = (lat2 - lat1) * rad, dl = (lng2 - lng1) * rad;
    var a = Math.pow(Math.sin(dphi / 2), 2) + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function showDistances() {
    if (!here) return;
    root.querySelectorAll(".tk-card[data-lat]").forEach(function (card) {
      var d = haversine(here.lat, here.lng, Number(card.dataset.lat), Number(card.dataset.lng));
      var label = d < 1000 ? Math.round(d) + " m" : (d / 1000).toFixed(1) + " km";
      var slot = card.querySelector(".tk-distance");
      if (slot) slot.textContent = text("distance").replace("{distance}", label);
    });
  }

  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(function (pos) {
      here = { lat: pos.coords.latitude, lng: pos.coords.longitude };
      showDistances();
    }, function () { /* no position: no distances */ }, { enableHighAccuracy: true, maximumAge: 30000 });
  }

  /* --- the lists ---------------------------------------------------------------------------- */

  /* A live refresh must not wipe what the worker is typing or the photo just taken: a card whose
     decline or complete form is in use is carried over as it is, while its task is unchanged. */
  function inUse(card) {
    var decline = card.querySelector("form.tk-decline");
    if (decline && !decline.hidden) return true;
    var complete = card.querySelector("form.tk-complete");
    if (!complete) return false;
    var note = complete.querySelector("textarea");
    var files = complete.querySelector("input[type=file]");
    return Boolean((note && note.value) || (files && files.files && files.files.length));
  }

  function keepCardsBeingEdited(fresh) {
    root.querySelectorAll(".tk-card[data-task-id]").forEach(function (card) {
      if (!inUse(card)) return;
      var replacement = fresh.querySelector(".tk-card[data-task-id='" + card.dataset.taskId + "']");
      if (replacement && replacement.dataset.status === card.dataset.status) replacement.replaceWith(card);
    });
  }

  function refresh() {
    if (pending) return pending;
    var url = root.dataset.fragmentUrl || window.location.pathname + "?fragment=lists";
    pending = fetchHtml(url)
      .then(function (html) {
        if (html === null) return;  // keep what is shown; the next event retries
        var historyShown = tabs.history.getAttribute("aria-selected") === "true";
        var fresh = document.createElement("div");
        fresh.innerHTML = html;
        keepCardsBeingEdited(fresh);
        root.replaceChildren.apply(root, Array.prototype.slice.call(fresh.childNodes));
        document.getElementById("panel-open").hidden = historyShown;
        document.getElementById("panel-history").hidden = !historyShown;
        showDistances();
        reportSeen();
      })
      .then(function () { pending = null; });
    return pending;
  }

  /* An offer's card on screen counts as seen (POST /api/v1/tasks/{id}/seen/, once per offer): the
     offer ladder (govern.notify) then does not push it to the phone. Only while the page is visible. */
  var seenSent = new Set();
  function reportSeen() {
    var panel = document.getElementById("panel-open");
    if (document.hidden || (panel && panel.hidden)) return;
    root.querySelectorAll(".tk-card[data-task-id][data-status='offered']").forEach(function (card) {
      var id = card.dataset.taskId;
      if (seenSent.has(id)) return;
      seenSent.add(id);
      post(id, "seen").catch(function () { seenSent.delete(id); });
    });
  }
  document.addEventListener("visibilitychange", reportSeen);

  function post(taskId, action, body) {
    return api("/api/v1/tasks/" + taskId + "/" + action + "/", { method: "POST", body: body });
  }

  function run(promise, control) {
    showError("");
    if (control) control.disabled = true;
    return promise.then(refresh, function (err) {
      showError(errorMessage(err));
      if (control) control.disabled = false;
      return refresh();
    });
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button.tk-act");
    if (!button) return;
    var card = button.closest(".tk-card");
    var action = button.dataset.action;
    if (action === "decline") {  // ask for the reason in the card itself (no blocking dialog)
      var declineForm = card.querySelector("form.tk-decline");
      declineForm.hidden = false;
      button.hidden = true;
      declineForm.querySelector("input[name=reason]").focus();
      return;
    }
    run(post(card.dataset.taskId, action), button);
  });

  root.addEventListener("click", function (event) {
    var cancel = event.target.closest("form.tk-decline .tk-cancel");
    if (!cancel) return;
    var declineForm = cancel.closest("form.tk-decline");
    declineForm.hidden = true;
    var opener = declineForm.closest(".tk-card").querySelector("button.tk-act[data-action=decline]");
    if (opener) opener.hidden = false;
  });

  root.addEventListener("change", function (event) {
    if (!event.target.matches(".tk-complete input[type=file]")) return;
    var count = event.target.closest("form").querySelector(".tk-photo-count");
    if (count) count.textContent = event.target.files.length ? "✓ " + event.target.files.length : "";
  });

  root.addEventListener("submit", function (event) {
    var declineForm = event.target.closest("form.tk-decline");
    if (declineForm) {
      event.preventDefault();
      var reason = declineForm.querySelector("input[name=reason]").value;
      run(post(declineForm.dataset.taskId, "decline", { reason: reason }), declineForm.querySelector("button[type=submit]"));
      return;
    }
    var form = event.target.closest("form.tk-complete");
    if (!form) return;
    event.preventDefault();
    run(post(form.dataset.taskId, "complete", new FormData(form)), form.querySelector("button[type=submit]"));
  });

  /* --- live ---------------------------------------------------------------------------------- */

  function onTaskEvent(type) {
    if (type === "task.offered") {
      beep();
      if (tabs.open.getAttribute("aria-selected") !== "true" || document.hidden) setBadge(unseenOffers + 1);
      else { setBadge(unseenOffers + 1); window.setTimeout(function () { if (!document.hidden) setBadge(0); }, 8000); }
      refresh();
    } else if (type === "task.updated" || type === "task.overdue") {
      refresh();
    }
  }

  reportSeen();
  window.GovernTasks = { onEvent: onTaskEvent, refresh: refresh, live: null };
  if (window.GovernLive && typeof window.GovernLive.connect === "function") {
    // Other parts of the page (a volunteer's home) add their handlers to this one socket.
    window.GovernTasks.live = window.GovernLive.connect({ onEvent: onTaskEvent });
  }
})();
