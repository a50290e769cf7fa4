// Review of manual service minutes in place (approvals page and team page).
import { api, connectLive, errorMessage, fetchHtml, labels, showError } from "./common.js";

const L = labels();

function updateCount(container, delta) {
  const badge = document.getElementById("record-count");
  if (badge) badge.textContent = String(Math.max(0, (Number(badge.textContent) || 0) + delta));
  const empty = document.getElementById("records-empty");
  if (empty) empty.hidden = container.querySelectorAll("[data-record-id]").length > 0;
}

export function wireRecord(container, card) {
  for (const form of card.querySelectorAll("form[data-review]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const decision = form.dataset.review;
      const reason = form.querySelector("input[name=reason]")?.value.trim() || "";
      const errorBox = card.querySelector("[data-error]");
      if (decision === "reject" && !reason) { showError(errorBox, L.text.reason_required); return; }
      for (const button of card.querySelectorAll("button")) button.disabled = true;
      try {
        await api(`/api/v1/volunteers/service-records/${card.dataset.recordId}/${decision}/`, {
          method: "POST", body: { reason },
        });
        card.remove();
        updateCount(container, -1);
      } catch (error) {
        showError(errorBox, errorMessage(error));
        for (const button of card.querySelectorAll("button")) button.disabled = false;
      }
    });
  }
}

export function setupRecords() {
  const container = document.getElementById("records");
  if (!container) return null;
  for (const card of container.querySelectorAll("[data-record-id]")) wireRecord(container, card);
  const teamId = container.dataset.teamId ? Number(container.dataset.teamId) : null;

  async function add(id) {
    if (container.querySelector(`[data-record-id="${id}"]`)) return;
    const url = container.dataset.rowUrl.replace(/\/0\/row\/$/, `/${id}/row/`) + `?next=${encodeURIComponent(container.dataset.next || "")}`;
    const html = await fetchHtml(url);
    if (!html || container.querySelector(`[data-record-id="${id}"]`)) return;
    container.insertAdjacentHTML("beforeend", html);
    wireRecord(container, container.lastElementChild);
    updateCount(container, +1);
  }

  return function onRecordEvent(type, data) {
    if (type === "volunteer.service_record_submitted") {
      if (teamId === null || data.team_id === teamId) add(data.id);
    } else if (type === "volunteer.service_record_reviewed") {
      const card = container.querySelector(`[data-record-id="${data.id}"]`);
      if (card) { card.remove(); updateCount(container, -1); }
    }
  };
}

export { connectLive };
