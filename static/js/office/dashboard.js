/* The dashboard's risk heat map stays live: any hazard.* event on the dispatch topic refetches
   /office/heatmap.json (debounced, one request in flight) and recolours the grids in place. */
(function () {
  "use strict";

  var section = document.getElementById("heatmap");
  if (!section) return;
  var url = section.dataset.url;
  var stamp = document.getElementById("heat-updated");
  var timer = null;
  var inFlight = false;
  var again = false;

  function apply(data) {
    (data.grids || []).forEach(function (g) {
      var shape = section.querySelector("g[data-grid-id='" + g.id + "']");
      if (shape) {
        shape.querySelector("polygon").setAttribute("class", "risk-" + g.level);
        shape.querySelector("text").textContent = Math.round(g.score);
      }
      var row = section.querySelector("tr[data-grid-id='" + g.id + "']");
      if (row) {
        row.querySelector("[data-k=unfixed]").textContent = g.unfixed;
        var score = row.querySelector("[data-k=score]");
        score.textContent = g.score.toFixed(1);
        score.dataset.level = g.level;
      }
    });
    var at = new Date(data.generated_at);
    stamp.textContent = isNaN(at.getTime()) ? "" : "· " + at.toLocaleTimeString();
    section.dataset.refreshed = String(Number(section.dataset.refreshed || 0) + 1);
  }

  function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) apply(data); }, function () {})
      .then(function () {
        inFlight = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  if (!window.GovernLive) return;
  window.GovernLive.connect({
    topics: ["dispatch"],
    onEvent: function (type, data) {
      if (type.indexOf("hazard.") === 0) schedule();
      // The campaigns section (static/js/premises/office_campaign.js) shares this socket.
      if (type === "campaign.progress" && window.GovernCampaignProgress) window.GovernCampaignProgress(data);
    }
  });
})();
