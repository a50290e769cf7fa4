/* The public map of open hazards: coarse points (≈100 m), no identities. The list under the map
   holds the same hazards, so the page is complete when tiles (or Leaflet) cannot load. */
(function () {
  "use strict";

  var element = document.getElementById("public-map");
  if (!element || !window.HazardBasemap) { if (element) element.hidden = true; return; }
  var note = document.getElementById("map-note");
  var map = window.HazardBasemap.create(element, {
    onTileError: function () { if (note) note.textContent = element.dataset.msgTiles; }
  });
  if (!map) { element.hidden = true; return; }
  var colours = { low: "#2e7d32", medium: "#f9a825", high: "#ef6c00", critical: "#c62828" };
  var points = window.HazardBasemap.readJSON("hazard-points") || [];
  points.forEach(function (p) {
    var circle = window.L.circleMarker([p.lat, p.lng], {
      radius: 8, color: "#fff", weight: 2, fillColor: colours[p.severity] || "#0b5cad", fillOpacity: 0.9
    }).addTo(map);
    var text = document.createElement("div");
    text.textContent = (p.icon ? p.icon + " " : "") + p.category + " · " + p.status + " · " + p.reported;
    circle.bindPopup(text);
  });
})();
