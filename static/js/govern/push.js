// "Push on this device" on the preferences page: registers /sw.js, subscribes with the server's
// VAPID key and hands the subscription to POST /api/v1/push/subscriptions/ (DELETE to turn off).
import { api } from "./http.js";

const box = document.getElementById("push");
const state = document.getElementById("push-state");
const on = document.getElementById("push-on");
const off = document.getElementById("push-off");

function word(key) {
  const node = document.getElementById("push-text").content.querySelector(`[data-key="${key}"]`);
  return node ? node.textContent : "";
}

function keyBytes(base64url) {
  const pad = "=".repeat((4 - (base64url.length % 4)) % 4);
  const raw = atob((base64url + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function show(registration) {
  const sub = await registration.pushManager.getSubscription();
  state.textContent = word(sub ? "on" : "off");
  on.hidden = Boolean(sub);
  off.hidden = !sub;
}

async function main() {
  if (!box.dataset.key) return;
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    state.textContent = word("unsupported");
    return;
  }
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  await show(registration);
  on.addEventListener("click", async () => {
    if ((await Notification.requestPermission()) !== "granted") {
      state.textContent = word("denied");
      return;
    }
    const sub = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(box.dataset.key),
    });
    await api(box.dataset.api, { method: "POST", body: sub.toJSON() });
    await show(registration);
  });
  off.addEventListener("click", async () => {
    const sub = await registration.pushManager.getSubscription();
    if (sub) {
      await api(box.dataset.api, { method: "DELETE", body: { endpoint: sub.endpoint } });
      await sub.unsubscribe();
    }
    await show(registration);
  });
}

main().catch((error) => {
  console.warn("push setup failed", error);
  state.textContent = word("unsupported");
});
