/* The dashboard's risk heat map: the grid polygons on the map, filled by risk level and labelled
   with their name and score (static/js/hazards/basemap.js draws them, with or without tiles). The
   SVG drawn by the server stays as the picture when Leaflet is missing. Live: any hazard.* event
   on the dispatch topic refetches /office/heatmap.json (debounced, one request in flight) and
   recolours the map, the SVG and the table in place. */
import { api } from "../govern/http.js";

const section = document.getElementById("heatmap");
const COLOURS = { none: "#eef2f7", low: "#fff3c4", medium: "#ffc27a", high: "#f26b3a", critical: "#b71c1c" };

function styleFor(level) {
  return { color: "#4b5b6b", weight: 1.5, fillColor: COLOURS[level] || COLOURS.none, fillOpacity: 0.7 };
}

/* Tooltip content as an element with text: Leaflet parses strings as HTML. */
function textSpan(text) {
  const span = document.createElement("span");
  span.textContent = text == null ? "" : String(text);
  return span;
}

function labelFor(grid) {
  const name = window.HazardBasemap ? window.HazardBasemap.shortName(grid) : grid.name;
  return `${name} · ${Math.round(grid.score)}`;
}

function drawMap() {
  const element = document.getElementById("heat-map");
  const grids = window.HazardBasemap ? window.HazardBasemap.readJSON("heat-grids") : null;
  if (!element || !grids || !grids.length || !window.L) return null;
  element.hidden = false;
  const note = document.getElementById("heat-map-note");
  const map = window.HazardBasemap.create(element, {
    grids,
    gridStyle: (grid) => styleFor(grid.level),
    label: (grid) => labelFor(grid),
    permanentLabels: true,
    offlineHint: note ? note.dataset.msgTiles : "",
  });
  if (!map) { element.hidden = true; return null; }
  const svg = document.getElementById("heat-svg");
  if (svg) svg.setAttribute("hidden", "");  // an SVG element has no .hidden property
  const byId = new Map();
  for (const item of map.governOutlines || []) byId.set(item.grid.id, item);
  return byId;
}

if (section) {
  const url = section.dataset.url;
  const stamp = document.getElementById("heat-updated");
  const outlines = drawMap();
  let timer = null;
  let inFlight = false;
  let again = false;

  const apply = (data) => {
    for (const g of data.grids || []) {
      const outline = outlines && outlines.get(g.id);
      if (outline) {
        outline.polygon.setStyle(styleFor(g.level));
        outline.polygon.setTooltipContent(textSpan(labelFor({ ...outline.grid, ...g })));
      }
      const shape = section.querySelector(`g[data-grid-id='${g.id}']`);
      if (shape) {
        shape.querySelector("polygon").setAttribute("class", `risk-${g.level}`);
        shape.querySelector("text").textContent = Math.round(g.score);
      }
      const row = section.querySelector(`tr[data-grid-id='${g.id}']`);
      if (row) {
        row.querySelector("[data-k=unfixed]").textContent = g.unfixed;
        const score = row.querySelector("[data-k=score]");
        score.textContent = g.score.toFixed(1);
        score.dataset.level = g.level;
      }
    }
    const at = new Date(data.generated_at);
    stamp.textContent = Number.isNaN(at.getTime()) ? "" : `· ${at.toLocaleTimeString()}`;
    section.dataset.refreshed = String(Number(section.dataset.refreshed || 0) + 1);
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  };

  async function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    try {
      apply(await api(url));
    } catch (_error) {
      // keep what is shown; the next event retries
    } finally {
      inFlight = false;
      if (again) { again = false; schedule(); }
    }
  }

  if (window.GovernLive) {
    window.GovernLive.connect({
      topics: ["dispatch"],
      onEvent(type, data) {
        if (type.indexOf("hazard.") === 0) schedule();
        // The campaigns section (static/js/premises/office_campaign.js) shares this socket.
        if (type === "campaign.progress" && window.GovernCampaignProgress) window.GovernCampaignProgress(data);
      },
    });
  }
}
