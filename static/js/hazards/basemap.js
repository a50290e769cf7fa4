/* The Leaflet maps of every page, one way: the configured base map (govern/maps.py puts it in
   <script id="basemap-config">: Tianditu, AMap, OpenStreetMap or a custom source), the grid outlines
   of the service area, and a page that still works when the tiles cannot load (offline, blocked,
   or hanging as foreign tile servers often do in mainland China): the outlines get their names,
   the map says so inside itself, and taps still place pins.

   GCJ-02: AMap (and other Chinese commercial maps) draw their tiles in GCJ-02, China's obfuscated
   datum, a few hundred metres off WGS-84. Our coordinates are WGS-84 (GPS, Tianditu's CGCS2000),
   so on such a map the CRS shifts every point it projects (markers, outlines) into GCJ-02 and
   shifts taps back: pages keep drawing and reading plain WGS-84.

   Exposes window.HazardBasemap = {create(element, options), readJSON(id), gcj02}; options:
   onTileError(), offlineHint (the sentence shown in the map without tiles), grids (default: the
   page's #service-area), gridStyle(grid), label(grid, shortName) for the label shown on the
   map, permanentLabels. The map's
   `governOutlines` lists {polygon, label, grid} for pages that restyle them live. */
(function () {
  "use strict";

  var TILE_WATCHDOG_MS = 8000;

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function pageText(key) {
    var template = document.getElementById("govern-text");
    var node = template && template.content.querySelector('[data-key="' + key + '"]');
    return node ? node.textContent : "";
  }

  /* --- WGS-84 <-> GCJ-02 (the published algorithm, Krasovsky ellipsoid) ----------------------- */

  var A = 6378245.0;
  var EE = 0.00669342162296594323;

  function outOfChina(lat, lng) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function shiftLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320.0 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }

  function shiftLng(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }

  /* [lat, lng] in GCJ-02 of a WGS-84 point (unchanged outside China, where GCJ-02 does not apply). */
  function fromWgs84(lat, lng) {
    if (outOfChina(lat, lng)) return [lat, lng];
    var dLat = shiftLat(lng - 105.0, lat - 35.0);
    var dLng = shiftLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI;
    var magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lng + dLng];
  }

  /* The WGS-84 point whose GCJ-02 image is (lat, lng): a few fixed-point steps (≈ 1 mm). */
  function toWgs84(lat, lng) {
    if (outOfChina(lat, lng)) return [lat, lng];
    var wLat = lat, wLng = lng;
    for (var i = 0; i < 6; i++) {
      var g = fromWgs84(wLat, wLng);
      wLat += lat - g[0];
      wLng += lng - g[1];
    }
    return [wLat, wLng];
  }

  var gcj02 = { fromWgs84: fromWgs84, toWgs84: toWgs84, outOfChina: outOfChina };

  /* Web Mercator over GCJ-02: what a GCJ-02 tile source needs. */
  function gcjCrs(L) {
    var mercator = L.Projection.SphericalMercator;
    var projection = {
      R: mercator.R,
      bounds: mercator.bounds,
      project: function (latlng) {
        var g = fromWgs84(latlng.lat, latlng.lng);
        return mercator.project(L.latLng(g[0], g[1]));
      },
      unproject: function (point) {
        var g = mercator.unproject(point);
        var w = toWgs84(g.lat, g.lng);
        return L.latLng(w[0], w[1]);
      },
    };
    return L.extend({}, L.CRS.EPSG3857, { code: "GCJ02", projection: projection });
  }

  /* --- the map ------------------------------------------------------------------------------ */

  function config(element) {
    var found = readJSON("basemap-config");
    if (found && found.layers && found.layers.length) return found;
    var url = element.dataset.tileUrl || (element.form && element.form.dataset.tileUrl);
    return { layers: url ? [{ url: url, subdomains: "abc", maxZoom: 19 }] : [], attribution: element.dataset.tileAttribution || "", crs: "wgs84" };
  }

  /* A note inside the map (bottom left) that the background is missing. */
  function offlineNote(L, map, text) {
    if (!text) return null;
    var Note = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "hz-map-hint");
        div.setAttribute("role", "status");
        div.textContent = text;
        return div;
      },
    });
    return new Note().addTo(map);
  }

  /* "黎里社区第1网格" in "黎里社区" → "第1网格": grids are narrow, a label on the map must be short. */
  function shortName(grid) {
    var name = grid.name || "";
    var rest = grid.community && name.indexOf(grid.community) === 0 ? name.slice(grid.community.length).trim() : "";
    return rest || name;
  }

  function textSpan(text) {
    var span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span;
  }

  /* On hover: the full name; always shown (no tiles, or a page that asks): the short one. */
  function labelOutlines(outlines, permanent) {
    outlines.forEach(function (item) {
      item.polygon.unbindTooltip();
      // Elements, not strings: Leaflet renders a string tooltip as HTML.
      if (permanent) item.polygon.bindTooltip(textSpan(item.short), { permanent: true, direction: "center", className: "hz-grid-label" });
      else item.polygon.bindTooltip(textSpan(item.label));
    });
  }

  function create(element, options) {
    options = options || {};
    if (!element || typeof window.L === "undefined") return null;
    var L = window.L;
    var cfg = config(element);
    // Half zoom steps: the district fills the map instead of a quarter of it.
    var mapOptions = { zoomControl: false, attributionControl: true, tap: true, zoomSnap: 0.5 };
    if (cfg.crs === "gcj02") mapOptions.crs = gcjCrs(L);
    var map = L.map(element, mapOptions);
    map.attributionControl.setPrefix(false);  // no "Leaflet" link and flag in front of the attribution
    L.control.zoom({ zoomInTitle: pageText("zoom_in") || "+", zoomOutTitle: pageText("zoom_out") || "−" }).addTo(map);

    var outlines = [];
    var offline = false;
    var note = null;
    function goOffline() {
      if (offline) return;
      offline = true;
      element.classList.add("hz-map-offline");
      // Without a background the outlines are the orientation: name every grid on the map.
      labelOutlines(outlines, true);
      note = offlineNote(L, map, options.offlineHint || pageText("map_offline"));
      if (options.onTileError) options.onTileError();
    }

    var loaded = false;
    cfg.layers.forEach(function (layer, index) {
      var tiles = L.tileLayer(layer.url, {
        subdomains: layer.subdomains || "abc",
        maxZoom: layer.maxZoom || 18,
        attribution: index === 0 ? cfg.attribution : "",
      });
      tiles.on("tileload", function () {
        loaded = true;
        if (offline && note) { element.classList.remove("hz-map-offline"); note.remove(); note = null; }  // late, but here
      });
      tiles.on("tileerror", function () { if (!loaded) goOffline(); });
      tiles.addTo(map);
    });
    if (!cfg.layers.length) goOffline();
    else window.setTimeout(function () { if (!loaded) goOffline(); }, TILE_WATCHDOG_MS);

    var area = options.grids || readJSON("service-area") || [];
    var bounds = null;
    area.forEach(function (grid) {
      if (!grid.boundary || !grid.boundary.coordinates) return;
      var ring = grid.boundary.coordinates[0].map(function (p) { return [p[1], p[0]]; });
      var style = options.gridStyle ? options.gridStyle(grid) : { color: "#0b5cad", weight: 2, fillOpacity: 0.06 };
      var polygon = L.polygon(ring, style).addTo(map);
      var full = grid.community + " · " + grid.name;
      var item = { polygon: polygon, grid: grid, label: full, short: options.label ? options.label(grid, shortName(grid)) : shortName(grid) };
      outlines.push(item);
      labelOutlines([item], offline || options.permanentLabels);
      bounds = bounds ? bounds.extend(polygon.getBounds()) : polygon.getBounds();
    });
    if (bounds) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([30.92, 120.83], 13);
    map.governOutlines = outlines;
    element.governMap = map;  // for the page's other scripts and the browser tests
    return map;
  }

  window.HazardBasemap = { create: create, readJSON: readJSON, gcj02: gcj02, shortName: shortName };
})();
