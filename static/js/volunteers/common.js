// Shared helpers of the volunteer pages: CSRF-aware JSON calls, page labels, and the live road.
//
// Live updates: pages give `connectLive` a handler `onEvent(type, data)`; the shared client
// static/js/live.js (`window.GovernLive`, loaded before the page module) delivers events with
// replay from the page's data-last-event-id, backoff and the reconnecting pill.

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

export function connectLive(onEvent) {
  // static/js/live.js (loaded by every volunteers page) resumes from <body data-last-event-id>.
  return window.GovernLive.connect({ onEvent });
}

export function showError(node, message) {
  if (!node) return;
  node.textContent = message || "";
  node.hidden = !message;
}
