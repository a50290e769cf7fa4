/* Expired offers on the board's script-drawn cards. A hazard waiting in "unassigned" because its
   latest offer expired unanswered says so (to whom, since when) and has a one-click "offer to
   them again", like the server-drawn "offers expired" queue (templates/office/_loop_queues.html).

   Data: each hazard of #board-hazards may carry `expired_offer` (its latest task, expired); live
   task.updated events keep it current: "expired" records it, any later offer forgets it.
   board.js asks note() for the task line, button() for the card's actions, and is told through
   onChange(hazardId) when a responder's name arrives. */
(function () {
  "use strict";

  var root = document.getElementById("board");
  var data = document.getElementById("board-hazards");
  if (!root || !data) return;
  var msg = root.dataset;
  var expired = {}; // hazard id -> {id, assignee, assignee_name, ended_at}
  var api = { onChange: function () {} };

  try {
    JSON.parse(data.textContent).forEach(function (h) { if (h.expired_offer) expired[h.id] = h.expired_offer; });
  } catch (e) { /* the board draws without the notes */ }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return values[key] == null ? all : values[key]; });
  }

  function localTime(iso) {
    var d = new Date(iso || "");
    if (isNaN(d.getTime())) return "";
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function nameOf(offer) { return offer.assignee_name || "#" + offer.assignee; }

  function fetchName(hazardId, offer) {
    fetch("/api/v1/tasks/" + offer.id + "/", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (task) {
        if (!task || !task.assignee || expired[hazardId] !== offer) return;
        offer.assignee_name = task.assignee.display_name;
        api.onChange(hazardId);
      }, function () { /* the card keeps the id */ });
  }

  /* Every task.updated of the dispatch topic, before the card is drawn again. */
  api.track = function (t) {
    var id = t.hazard && t.hazard.id;
    if (!id) return;
    var known = expired[id];
    if (t.status === "expired") {
      if (known && known.id > t.id) return; // an older offer's news, late
      expired[id] = { id: t.id, assignee: t.assignee, assignee_name: "", ended_at: t.at };
      fetchName(id, expired[id]);
    } else if (known && t.id >= known.id) {
      delete expired[id]; // offered again (or the expired task's own later news)
    }
  };

  /* Fill the card's task line when the hazard holds no live task; false when there is nothing to say. */
  api.note = function (node, hazardId) {
    var offer = expired[hazardId];
    if (!offer) return false;
    node.textContent = "⌛ " + fill(msg.msgOfferExpired, { name: nameOf(offer), when: localTime(offer.ended_at) });
    node.hidden = false;
    node.dataset.taskStatus = "expired";
    return true;
  };

  /* The one-click re-offer to the same responder, or null. */
  api.button = function (hazardId, dispatch) {
    var offer = expired[hazardId];
    if (!offer) return null;
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn primary of-reoffer";
    b.textContent = fill(msg.labelReoffer, { name: nameOf(offer) });
    b.addEventListener("click", function () { dispatch(offer.assignee, nameOf(offer)); });
    return b;
  };

  window.GovernBoardExpired = api;
})();
