// The duty switch (templates/volunteers/_duty.html): going on duty shares the browser's position,
// then keeps sending it while the page is open (when moved, and a heartbeat before it goes stale).
import { HttpError, ShownError, api, errorMessage } from "../govern/http.js";

const MOVE_M = 25;
const MIN_INTERVAL_MS = 30000;

function distanceM(lat1, lng1, lat2, lng2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

// Returns {setApproved(bool), setOnDuty(bool)} for the page's live events, or null without a switch.
export function setupDuty() {
  const duty = document.getElementById("duty");
  if (!duty) return null;
  const toggle = document.getElementById("duty-toggle");
  const dutyLabel = document.getElementById("duty-label");
  const errorBox = document.getElementById("duty-error");
  const positionNote = document.getElementById("duty-position");
  const locked = document.getElementById("duty-locked");
  const heartbeatMs = Math.max(30, Number(duty.dataset.heartbeatS) || 240) * 1000;
  const template = document.getElementById("duty-text");
  const T = (key) => template?.content.querySelector(`[data-key="${key}"]`)?.textContent || "";

  let onDuty = duty.dataset.onDuty === "true";
  let busy = false;
  let watchId = null;
  let heartbeat = null;
  let lastSent = { lat: null, lng: null, at: 0 };

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function render() {
    toggle.setAttribute("aria-checked", String(onDuty));
    toggle.classList.toggle("on", onDuty);
    dutyLabel.textContent = onDuty ? T("on_duty") : T("off_duty");
    duty.dataset.onDuty = String(onDuty);
  }

  function currentPosition() {
    return new Promise((resolve, reject) => {
      if (!("geolocation" in navigator)) { reject(new ShownError(T("no_geolocation"))); return; }
      navigator.geolocation.getCurrentPosition(
        (position) => resolve(position.coords),
        (error) => reject(new ShownError(error.code === 1 ? T("geolocation_denied") : T("geolocation_failed"))),
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
      );
    });
  }

  async function sendPosition(coords) {
    await api("/api/v1/volunteers/me/duty/", {
      method: "POST",
      body: { on_duty: true, latitude: coords.latitude, longitude: coords.longitude },
    });
    lastSent = { lat: coords.latitude, lng: coords.longitude, at: Date.now() };
    positionNote.textContent = T("shared_just_now");
  }

  function stopTracking() {
    if (watchId !== null && "geolocation" in navigator) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    clearInterval(heartbeat);
    heartbeat = null;
  }

  function trackingFailed(error) {
    if (error instanceof HttpError && (error.status === 409 || error.status === 404)) {
      onDuty = false;
      stopTracking();
      render();
    }
    showError(errorMessage(error));
  }

  function startTracking() {
    stopTracking();
    if ("geolocation" in navigator) {
      watchId = navigator.geolocation.watchPosition((position) => {
        const c = position.coords;
        const moved = lastSent.lat === null ? Infinity : distanceM(lastSent.lat, lastSent.lng, c.latitude, c.longitude);
        if (moved >= MOVE_M || Date.now() - lastSent.at >= MIN_INTERVAL_MS) sendPosition(c).catch(trackingFailed);
      }, () => {}, { enableHighAccuracy: true, maximumAge: 30000 });
    }
    heartbeat = setInterval(() => { currentPosition().then(sendPosition).catch(trackingFailed); }, heartbeatMs);
  }

  toggle.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    toggle.disabled = true;
    showError("");
    try {
      if (onDuty) {
        await api("/api/v1/volunteers/me/duty/", { method: "POST", body: { on_duty: false } });
        onDuty = false;
        stopTracking();
        positionNote.textContent = "";
      } else {
        dutyLabel.textContent = T("locating");
        const coords = await currentPosition();
        await sendPosition(coords);
        onDuty = true;
        startTracking();
      }
    } catch (error) {
      showError(errorMessage(error));
    } finally {
      busy = false;
      toggle.disabled = duty.dataset.approved !== "true";
      render();
    }
  });

  render();
  if (onDuty) startTracking();

  return {
    setApproved(approved) {
      duty.dataset.approved = String(approved);
      toggle.disabled = !approved;
      locked.hidden = approved;
      if (approved) {
        positionNote.textContent = T("approved_now");
      } else {
        onDuty = false;
        stopTracking();
      }
      render();
    },
    setOnDuty(value) {
      onDuty = Boolean(value);
      if (!onDuty) stopTracking();
      render();
    },
  };
}
