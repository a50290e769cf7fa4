// Dispatcher's approval list: approve/reject in place; new applications and minutes appear live.
import { api, connectLive, errorMessage, fetchHtml, labels, showError } from "./common.js";
import { setupRecords } from "./records.js";

const L = labels();
const list = document.getElementById("applications");

// The badge counts every pending application (the list may show only the oldest page of them).
function updateCount(delta) {
  const badge = document.getElementById("application-count");
  const total = Math.max(0, (Number(badge.textContent) || 0) + delta);
  badge.textContent = String(total);
  document.getElementById("applications-empty").hidden = list.querySelectorAll("[data-volunteer-id]").length > 0;
}

function wire(card) {
  for (const form of card.querySelectorAll("form[data-decision]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const decision = form.dataset.decision;
      const reason = form.querySelector("input[name=reason]")?.value.trim() || "";
      const errorBox = card.querySelector("[data-error]");
      if (decision === "reject" && !reason) { showError(errorBox, L.text.reason_required); return; }
      for (const button of card.querySelectorAll("button")) button.disabled = true;
      try {
        await api(`/api/v1/volunteers/${card.dataset.volunteerId}/${decision}/`, { method: "POST", body: { reason } });
        card.remove();
        updateCount(-1);
      } catch (error) {
        showError(errorBox, errorMessage(error));
        for (const button of card.querySelectorAll("button")) button.disabled = false;
      }
    });
  }
}

async function addApplication(id) {
  if (list.querySelector(`[data-volunteer-id="${id}"]`)) return;
  const html = await fetchHtml(list.dataset.rowUrl.replace(/\/0\/row\/$/, `/${id}/row/`));
  if (!html || list.querySelector(`[data-volunteer-id="${id}"]`)) return;
  list.insertAdjacentHTML("beforeend", html);
  const card = list.lastElementChild;
  card.classList.add("fresh");
  wire(card);
  updateCount(+1);
}

for (const card of list.querySelectorAll("[data-volunteer-id]")) wire(card);
const onRecordEvent = setupRecords();

function onEvent(type, data) {
  if (type === "volunteer.applied" && data.status === "pending") {
    addApplication(data.id);
  } else if (type === "volunteer.status_changed" && data.status !== "pending") {
    // Decided (here or by another dispatcher): leave the queue.
    const card = list.querySelector(`[data-volunteer-id="${data.id}"]`);
    if (card) { card.remove(); updateCount(-1); }
  } else if (onRecordEvent) {
    onRecordEvent(type, data);
  }
}

connectLive(onEvent);
window.GovernVolunteerApprovals = { onEvent };
