// Shared helpers of the rewards pages: the live connection (static/js/live.js, loaded first,
// resuming from <body data-last-event-id>), translated labels, idempotency keys, times. Server
// calls go through ../govern/http.js.

export function attachLive(onEvent) {
  return window.GovernLive.connect({ onEvent });
}

export function labels() {
  const node = document.getElementById("rewards-labels");
  return node ? JSON.parse(node.textContent) : { status: {}, kind: {}, text: {} };
}

// A random Idempotency-Key; crypto.randomUUID needs a secure context, getRandomValues does not.
export function newKey() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_m, name) => (values[name] === undefined ? "" : String(values[name])));
}
