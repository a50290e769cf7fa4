/* The board's priorities (issue 19): every queue sorted by severity, then age (the longest
   waiting first among equals), and an alarm — a sound and a visible banner that stays until
   acknowledged — when a critical report arrives or a report turns critical.
   Used by static/js/office/board.js (window.GovernBoardPriority). */
(function () {
  "use strict";

  var RANK = { critical: 0, high: 1, medium: 2, low: 3 };

  function key(card) {
    return [
      RANK[card.dataset.severity] != null ? RANK[card.dataset.severity] : 9,
      card.dataset.created || "",
      Number(card.dataset.hazardId) || 0
    ];
  }

  function ahead(a, b) {
    var ka = key(a), kb = key(b);
    for (var i = 0; i < ka.length; i++) {
      if (ka[i] < kb[i]) return true;
      if (ka[i] > kb[i]) return false;
    }
    return false;
  }

  /* Put the card where it belongs in its list (the lists are short: a linear scan). */
  function place(list, card) {
    var cards = list.querySelectorAll(".of-card");
    var next = null;
    for (var i = 0; i < cards.length; i++) {
      if (cards[i] !== card && ahead(card, cards[i])) { next = cards[i]; break; }
    }
    if (next !== card.nextSibling || card.parentNode !== list) list.insertBefore(card, next);
  }

  function beep() {
    /* A harsher tone than a phone's new offer: square wave, three times (static/js/govern/tone.js). */
    if (window.GovernTone) window.GovernTone.play({ times: [0, 0.3, 0.6], type: "square", frequency: 988, volume: 0.25, length: 0.25 });
  }

  /* A critical report: the banner lists it (once) until acknowledged, and the board beeps. */
  function alarm(h, text) {
    var box = document.getElementById("board-alarm");
    if (!box || box.querySelector("[data-hazard-id='" + h.id + "']")) return;
    var item = document.createElement("li");
    item.dataset.hazardId = h.id;
    var link = document.createElement("a");
    link.href = "/office/hazards/" + h.id + "/";
    link.textContent = text;
    item.appendChild(link);
    box.querySelector("ul").appendChild(item);
    box.hidden = false;
    window.__boardAlarms = (window.__boardAlarms || 0) + 1;
    beep();
  }

  var acknowledge = document.getElementById("board-alarm-ack");
  if (acknowledge) {
    acknowledge.addEventListener("click", function () {
      var box = document.getElementById("board-alarm");
      box.querySelector("ul").textContent = "";
      box.hidden = true;
    });
  }

  window.GovernBoardPriority = { place: place, alarm: alarm, rank: RANK };
})();
