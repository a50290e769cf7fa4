// My volunteer page: live status, the duty switch (sends the browser's position), hours, records.
import { ApiError, api, connectLive, labels, showError } from "./common.js";

const L = labels();
const T = L.text || {};
const statusBox = document.getElementById("vol-status");
const duty = document.getElementById("duty");
const toggle = document.getElementById("duty-toggle");
const dutyLabel = document.getElementById("duty-label");
const errorBox = document.getElementById("duty-error");
const positionNote = document.getElementById("duty-position");
const locked = document.getElementById("duty-locked");
const userId = Number(statusBox.dataset.userId);
const heartbeatMs = Math.max(30, Number(duty.dataset.heartbeatS) || 240) * 1000;
const MOVE_M = 25;
const MIN_INTERVAL_MS = 30000;

let onDuty = duty.dataset.onDuty === "true";
let busy = false;
let watchId = null;
let heartbeat = null;
let lastSent = { lat: null, lng: null, at: 0 };

function render() {
  toggle.setAttribute("aria-checked", String(onDuty));
  toggle.classList.toggle("on", onDuty);
  dutyLabel.textContent = onDuty ? T.on_duty : T.off_duty;
  duty.dataset.onDuty = String(onDuty);
}

function distanceM(lat1, lng1, lat2, lng2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) { reject(new Error(T.no_geolocation)); return; }
    navigator.geolocation.getCurrentPosition(
      (position) => resolve(position.coords),
      (error) => reject(new Error(error.code === 1 ? T.geolocation_denied : T.geolocation_failed)),
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
  positionNote.textContent = T.shared_just_now;
}

function trackingFailed(error) {
  if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
    onDuty = false;
    stopTracking();
    render();
  }
  showError(errorBox, error.message || T.failed);
}

function stopTracking() {
  if (watchId !== null && "geolocation" in navigator) navigator.geolocation.clearWatch(watchId);
  watchId = null;
  clearInterval(heartbeat);
  heartbeat = null;
}

// While on duty and the page is open: send when moved (or every so often), and a heartbeat well
// before the server considers the position stale.
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
  showError(errorBox, "");
  try {
    if (onDuty) {
      await api("/api/v1/volunteers/me/duty/", { method: "POST", body: { on_duty: false } });
      onDuty = false;
      stopTracking();
      positionNote.textContent = "";
    } else {
      dutyLabel.textContent = T.locating;
      const coords = await currentPosition();
      await sendPosition(coords);
      onDuty = true;
      startTracking();
    }
  } catch (error) {
    showError(errorBox, error.message || T.failed);
  } finally {
    busy = false;
    toggle.disabled = duty.dataset.approved !== "true";
    render();
  }
});

function setStatus(status, reason) {
  statusBox.dataset.status = status;
  const badge = document.getElementById("vol-status-label");
  badge.textContent = (L.status && L.status[status]) || status;
  badge.className = `status status-${status}`;
  const reasonNode = document.getElementById("vol-status-reason");
  reasonNode.textContent = reason || "";
  reasonNode.hidden = !reason;
  for (const node of document.querySelectorAll("[data-show-when]")) node.hidden = node.dataset.showWhen !== status;
  const approved = status === "approved";
  duty.dataset.approved = String(approved);
  toggle.disabled = !approved;
  locked.hidden = approved;
  if (approved) {
    positionNote.textContent = T.approved_now;
  } else {
    onDuty = false;
    stopTracking();
  }
  render();
}

function setMinutes(total) {
  if (typeof total !== "number") return;
  const node = document.getElementById("service-hours");
  node.textContent = String(total);
  node.dataset.minutes = String(total);
}

function upsertRecord(data) {
  let list = document.getElementById("record-list");
  if (!list) {
    list = document.createElement("ul");
    list.id = "record-list";
    list.className = "vol-records";
    const empty = document.getElementById("record-empty");
    if (empty) empty.replaceWith(list);
    else document.getElementById("records").append(list);
  }
  let item = list.querySelector(`[data-record-id="${data.id}"]`);
  if (!item) {
    item = document.createElement("li");
    item.dataset.recordId = String(data.id);
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = data.served_on || "";
    const minutes = document.createElement("strong");
    minutes.textContent = `${data.minutes} min`;
    const badge = document.createElement("span");
    badge.dataset.recordStatus = "";
    item.append(when, " ", minutes, " ", badge);
    list.prepend(item);
  }
  const badge = item.querySelector("[data-record-status]");
  badge.className = `status status-${data.status}`;
  badge.textContent = (L.records && L.records[data.status]) || data.status;
}

function onEvent(type, data) {
  if (data.user_id !== undefined && Number(data.user_id) !== userId) return;
  switch (type) {
    case "volunteer.status_changed":
      setStatus(data.status, data.reason);
      break;
    case "volunteer.duty_changed":
      onDuty = Boolean(data.on_duty);
      if (!onDuty) stopTracking();
      render();
      break;
    case "volunteer.service_recorded":
    case "volunteer.service_record_reviewed":
    case "volunteer.service_record_submitted":
      setMinutes(data.total_minutes);
      upsertRecord(data);
      break;
    default:
      break;
  }
}

render();
if (onDuty) startTracking();
connectLive(onEvent);
window.GovernVolunteerPage = { onEvent };
