/* A Leaflet map that degrades gracefully: when tiles cannot load (offline, blocked), the grid
   outlines of the service area still give orientation and taps still place pins.
   Exposes window.HazardBasemap.create(element, {onTileError}). No-op without Leaflet. */
(function () {
  "use strict";

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function create(element, options) {
    options = options || {};
    if (!element || typeof window.L === "undefined") return null;
    var L = window.L;
    var map = L.map(element, { zoomControl: true, attributionControl: true, tap: true });
    var tileUrl = element.dataset.tileUrl || (element.form && element.form.dataset.tileUrl);
    var attribution = element.dataset.tileAttribution || "";
    var warned = false;
    if (tileUrl) {
      var tiles = L.tileLayer(tileUrl, { maxZoom: 19, attribution: attribution });
      tiles.on("tileerror", function () {
        if (!warned) { warned = true; element.classList.add("hz-map-offline"); if (options.onTileError) options.onTileError(); }
      });
      tiles.addTo(map);
    }
    var area = readJSON("service-area") || [];
    var bounds = null;
    area.forEach(function (grid) {
      if (!grid.boundary || !grid.boundary.coordinates) return;
      var ring = grid.boundary.coordinates[0].map(function (p) { return [p[1], p[0]]; });
      var polygon = L.polygon(ring, { color: "#0b5cad", weight: 1, fillOpacity: 0.05 }).addTo(map);
      polygon.bindTooltip(grid.community + " · " + grid.name);
      bounds = bounds ? bounds.extend(polygon.getBounds()) : polygon.getBounds();
    });
    if (bounds) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([30.92, 120.83], 13);
    return map;
  }

  window.HazardBasemap = { create: create, readJSON: readJSON };
})();
