// Shared helpers of the volunteer pages: page labels and the live road; server calls go through
// the project's one helper (../govern/http.js), whose errors are sentences in the page's language.
//
// Live updates: pages give `connectLive` a handler `onEvent(type, data)`; the shared client
// static/js/live.js (`window.GovernLive`, loaded before the page module) delivers events with
// replay from the page's data-last-event-id, backoff and the reconnecting pill.

export { api, errorMessage, fetchHtml } from "../govern/http.js";

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
