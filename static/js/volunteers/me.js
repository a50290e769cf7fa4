// My volunteer page: live status, the duty switch (./duty.js), hours, records.
import { connectLive, labels } from "./common.js";
import { setupDuty } from "./duty.js";

const L = labels();
const T = L.text || {};
const statusBox = document.getElementById("vol-status");
const userId = Number(statusBox.dataset.userId);
const duty = setupDuty();

function setStatus(status, reason) {
  statusBox.dataset.status = status;
  const badge = document.getElementById("vol-status-label");
  badge.textContent = (L.status && L.status[status]) || status;
  badge.className = `status status-${status}`;
  const reasonNode = document.getElementById("vol-status-reason");
  reasonNode.textContent = reason || "";
  reasonNode.hidden = !reason;
  for (const node of document.querySelectorAll("[data-show-when]")) node.hidden = node.dataset.showWhen !== status;
  if (duty) duty.setApproved(status === "approved");
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
    minutes.textContent = `${data.minutes} ${T.minutes || ""}`.trim();
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
      if (duty) duty.setOnDuty(data.on_duty);
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

connectLive(onEvent);
window.GovernVolunteerPage = { onEvent };
