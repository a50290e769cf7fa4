/*
 * Keeps the office's campaign pages (and the dashboard's campaign table) live: every
 * `campaign.progress` event (dispatch topic) updates the counters of the campaign's row or panel
 * ([data-campaign-id] with [data-k] cells), the premises row it names, and the findings list
 * (the campaign page's, for its campaign; the dashboard's "latest findings", for every campaign).
 * Handlers apply state (the event carries the totals), so a replayed event is harmless. On the
 * dashboard, static/js/office/dashboard.js's socket calls window.GovernCampaignProgress instead.
 * `campaign.unassigned` resets the rows of premises taken back (the campaign page only).
 */
(function () {
  "use strict";
  if (!window.GovernLive) return;

  var texts = {};
  var template = document.getElementById("campaign-text");
  if (template) {
    Array.prototype.forEach.call(template.content.querySelectorAll("[data-key]"), function (el) {
      texts[el.getAttribute("data-key")] = el.textContent;
    });
  }

  function setText(root, key, value) {
    var el = root.querySelector("[data-k='" + key + "']");
    if (el) el.textContent = String(value);
  }

  function apply(data) {
    var roots = document.querySelectorAll("[data-campaign-id='" + data.campaign + "']");
    Array.prototype.forEach.call(roots, function (root) {
      ["total", "assigned", "in_progress", "done", "findings", "percent"].forEach(function (key) {
        setText(root, key, data[key]);
      });
      if (texts[data.status]) setText(root, "status", texts[data.status]);
      var bar = root.querySelector("[data-k='bar']");
      if (bar) bar.style.width = data.percent + "%";
    });
    var panel = document.getElementById("campaign-progress");
    var thisCampaign = panel && String(panel.getAttribute("data-campaign-id")) === String(data.campaign);
    // The findings list: the campaign page's (its own campaign only) or the dashboard's (all).
    if (!panel || thisCampaign) addFindings(data);
    if (!thisCampaign) return;
    var status = document.getElementById("campaign-status");
    if (status && texts[data.status]) status.textContent = texts[data.status];
    if (data.entry) {
      var row = document.querySelector("#entry-table tr[data-entry-id='" + data.entry.id + "']");
      if (row) {
        var cell = row.querySelector("[data-k='status']");
        if (cell) {
          cell.textContent = texts[data.entry.status] || data.entry.status;
          cell.setAttribute("data-status", data.entry.status);
        }
        setText(row, "findings", data.entry.findings);
        if (data.entry.inspector_name) setText(row, "inspector", data.entry.inspector_name);
        if (data.entry.status !== "pending") {
          var box = row.querySelector("input[type=checkbox]");
          if (box) box.remove();
        }
      }
    }
  }

  function addFindings(data) {
    var list = document.getElementById("finding-list");
    if (!list) return;
    if (data.hazards && data.hazards.length) {
      var empty = document.getElementById("no-findings");
      if (empty) empty.remove();
      data.hazards.forEach(function (hazard) {
        if (list.querySelector("[data-hazard='" + hazard.tracking_code + "']")) return;
        var li = document.createElement("li");
        li.className = "ck-finding";
        li.setAttribute("data-hazard", hazard.tracking_code);
        var code = document.createElement(hazard.id ? "a" : "span");
        code.className = "ck-code";
        code.textContent = hazard.tracking_code;
        if (hazard.id) code.href = "/office/hazards/" + hazard.id + "/";
        var where = document.createElement("span");
        where.textContent = data.entry ? data.entry.premises_name : "";
        var severity = document.createElement("span");
        severity.className = "status";
        severity.textContent = hazard.category + " · " + hazard.severity;
        li.appendChild(code);
        li.appendChild(where);
        li.appendChild(severity);
        if (list.hasAttribute("data-all-campaigns") && data.name) {
          var campaign = document.createElement("span");
          campaign.className = "small muted";
          campaign.textContent = data.name;
          li.appendChild(campaign);
        }
        list.insertBefore(li, list.firstChild);
      });
    }
    var keep = Number(list.getAttribute("data-limit") || 0);
    while (keep && list.children.length > keep) list.removeChild(list.lastElementChild);
  }

  // campaign.unassigned (dispatch topic): the premises taken back are pending again, without an
  // inspector; their row gets its assignment checkbox back and loses its "Take back" button.
  function unassigned(data) {
    var panel = document.getElementById("campaign-progress");
    if (!panel || String(panel.getAttribute("data-campaign-id")) !== String(data.campaign)) return;
    (data.entries || []).forEach(function (id, index) {
      var row = document.querySelector("#entry-table tr[data-entry-id='" + id + "']");
      if (!row) return;
      setText(row, "inspector", "—");
      var cell = row.querySelector("[data-k='status']");
      if (cell) {
        cell.textContent = texts.pending || "pending";
        cell.setAttribute("data-status", "pending");
      }
      var back = row.querySelector("[data-k='take-back']");
      if (back) back.textContent = "";
      var note = row.querySelector("[data-k='taken-back-note']");
      if (note) {
        note.textContent = (texts.taken_back || "taken back") + (data.reason ? ": " + data.reason : "");
        note.hidden = false;
      }
      var first = row.querySelector("td");
      if (first && !first.querySelector("input[type=checkbox]") && data.premises && document.getElementById("assign-form")) {
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = "premises";
        box.value = String(data.premises[index]);
        first.appendChild(box);
      }
    });
  }

  window.GovernCampaignProgress = apply;
  if (document.getElementById("heatmap")) return;  // the dashboard: its own socket calls apply()
  window.GovernLive.connect({
    topics: ["dispatch"],
    handlers: { "campaign.progress": apply, "campaign.unassigned": unassigned },
  });
})();
