// Shared helpers of the volunteer pages: CSRF-aware JSON calls, page labels, and the live road.
//
// Live updates: pages give `connectLive` a handler `onEvent(type, data)`. When the shared client
// (static/js/live.js, `window.GovernLive`) is on the page it is used; otherwise a small built-in
// WebSocket client connects to /ws/live/ with replay from the page's data-last-event-id and backoff.

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...(method !== "GET" ? { "X-CSRFToken": csrfToken() } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try { data = await response.json(); } catch (_err) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function fetchHtml(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) return null;
  return response.text();
}

export function labels() {
  const node = document.getElementById("vol-labels");
  try { return node ? JSON.parse(node.textContent) : { status: {}, records: {}, text: {} }; } catch (_err) { return { status: {}, records: {}, text: {} }; }
}

function builtInLive(onEvent, lastEventId) {
  const banner = document.getElementById("live-status");
  let last = lastEventId;
  let delay = 1000;
  let socket = null;
  let stopped = false;
  let timer = null;

  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/live/?last_event_id=${last}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      if (banner) banner.hidden = true;
      document.body.dataset.live = "connected";
    });
    socket.addEventListener("message", (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (_err) { return; }
      if (!event || event.type === "pong") return;
      if (event.type === "resync") { location.reload(); return; }
      if (typeof event.id === "number") {
        if (event.id <= last) return;
        last = event.id;
      }
      try { onEvent(event.type, event.data || {}, event); } catch (err) { console.error(err); }
    });
    socket.addEventListener("close", (close) => {
      document.body.dataset.live = "closed";
      if (stopped || close.code === 4401 || close.code === 4403) return;
      if (banner) banner.hidden = false;
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  open();
  return { close() { stopped = true; clearTimeout(timer); if (socket) socket.close(); } };
}

export function connectLive(onEvent) {
  const lastEventId = Number(document.body.dataset.lastEventId || 0) || 0;
  if (window.GovernLive && typeof window.GovernLive.connect === "function") {
    return window.GovernLive.connect({ onEvent, lastEventId });
  }
  return builtInLive(onEvent, lastEventId);
}

export function showError(node, message) {
  if (!node) return;
  node.textContent = message || "";
  node.hidden = !message;
}
