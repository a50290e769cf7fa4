/*
 * The premises page keeps its hazard history live: a hazard linked to this premises
 * (`premises.hazard_linked`, on dispatch / the premises' grid / the responsible person's user topic)
 * is prepended; `hazard.status_changed` updates the status of a row already shown.
 * Handlers apply state (replays are harmless): a row is never added twice.
 */
(function () {
  "use strict";
  var counts = document.getElementById("premises-hazard-counts");
  var list = document.getElementById("premises-history");
  if (!counts || !list || !window.GovernLive) return;
  var premisesId = Number(counts.dataset.premisesId);
  var labels = {};
  try { labels = JSON.parse(document.getElementById("premises-status-labels").textContent); } catch (e) { labels = {}; }
  var english = (counts.dataset.lang || "").indexOf("en") === 0;
  var OPEN = { submitted: 1, triaged: 1, dispatched: 1, in_progress: 1, rectified: 1, verified: 1, reopened: 1 };

  function renderCounts() {
    counts.textContent = counts.dataset.msgCounts
      .replace("{open}", counts.dataset.open).replace("{total}", counts.dataset.total);
  }

  function row(hazardId) {
    return list.querySelector('li[data-hazard-id="' + hazardId + '"]');
  }

  function add(data) {
    var h = data.hazard;
    if (Number(data.premises_id) !== premisesId || row(h.id)) return;
    var empty = document.getElementById("premises-history-empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.dataset.hazardId = h.id;
    li.dataset.status = h.status;
    li.className = "pr-new";
    var a = document.createElement("a");
    a.href = list.dataset.officeLinks ? "/office/hazards/" + h.id + "/" : "/track/" + encodeURIComponent(h.tracking_code) + "/";
    a.textContent = h.tracking_code;
    var cat = document.createElement("span");
    cat.textContent = english ? h.category_name_en : h.category_name;
    var st = document.createElement("span");
    st.className = "status";
    st.dataset.role = "status";
    st.textContent = labels[h.status] || h.status;
    var sev = document.createElement("span");
    sev.className = "sev-" + h.severity;
    sev.textContent = h.severity;
    var origin = document.createElement("span");
    origin.className = "muted";
    origin.textContent = (counts.dataset["origin" + data.origin.charAt(0).toUpperCase() + data.origin.slice(1)] || data.origin) +
      " · " + new Date(data.linked_at).toLocaleString();
    [a, cat, st, sev, origin].forEach(function (el) { li.appendChild(el); });
    list.insertBefore(li, list.firstChild);
    counts.dataset.total = Number(counts.dataset.total) + 1;
    if (OPEN[h.status]) counts.dataset.open = Number(counts.dataset.open) + 1;
    renderCounts();
  }

  function statusChanged(data) {
    var li = row(data.id);
    if (!li) return;
    var st = li.querySelector('[data-role="status"]');
    if (st) st.textContent = labels[data.status] || data.status;
    var was = li.dataset.status;
    li.dataset.status = data.status;
    if (was && OPEN[was] && !OPEN[data.status]) { counts.dataset.open = Math.max(0, Number(counts.dataset.open) - 1); renderCounts(); }
    else if (was && !OPEN[was] && OPEN[data.status]) { counts.dataset.open = Number(counts.dataset.open) + 1; renderCounts(); }
  }

  GovernLive.connect({
    handlers: {
      "premises.hazard_linked": add,
      "hazard.status_changed": statusChanged,
    },
  });
})();
