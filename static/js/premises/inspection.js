/*
 * The inspector's checklist page (templates/premises/inspection.html), on a phone.
 * Ticking pass or n.a. saves the item at once; ticking fail opens the note and the camera input,
 * and "Save" sends them (multipart) to POST /api/v1/inspections/<id>/results/. Without this
 * script every item form still posts to the page itself. Submitting is a plain form post: the
 * page comes back with the findings and their tracking codes.
 *
 * Live: if the office takes the premises back while this page is open (campaign.unassigned on
 * my user topic, naming this page's entry), the unfinished checklist is gone on the server; the
 * page says so and locks every control instead of letting the inspector tick on into errors.
 */
import { api, errorMessage } from "../govern/http.js";

(function () {
  "use strict";

  var list = document.getElementById("checklist");
  if (!list) return;
  var inspectionId = list.getAttribute("data-inspection-id");
  var counter = document.getElementById("checked-count");
  var texts = {};
  var template = document.getElementById("ck-text");
  if (template) {
    Array.prototype.forEach.call(template.content.querySelectorAll("[data-key]"), function (el) {
      texts[el.getAttribute("data-key")] = el.textContent;
    });
  }

  function updateCount(lines) {
    if (!counter) return;
    var checked = lines.filter(function (line) { return line.result; }).length;
    counter.setAttribute("data-checked", String(checked));
    counter.textContent = (texts.checked || "{checked} / {total}")
      .replace("{checked}", String(checked)).replace("{total}", String(lines.length));
  }

  function showError(form, message) {
    var error = form.querySelector(".ck-error");
    if (!error) return;
    error.textContent = message || "";
    error.hidden = !message;
  }

  var takenBack = false;

  function lockTakenBack() {
    takenBack = true;
    var banner = document.getElementById("taken-back");
    if (banner) banner.hidden = false;
    var controls = document.querySelectorAll("#checklist input, #checklist textarea, #checklist button, #submit-form button");
    Array.prototype.forEach.call(controls, function (el) { el.disabled = true; });
  }

  if (window.GovernLive && document.getElementById("taken-back")) {
    var entryId = String(list.getAttribute("data-entry-id"));
    window.GovernLive.connect({
      handlers: {
        "campaign.unassigned": function (data) {
          var entries = (data && data.entries) || [];
          for (var i = 0; i < entries.length; i++) {
            if (String(entries[i]) === entryId) { lockTakenBack(); return; }
          }
        },
      },
    });
  }

  function save(form) {
    if (takenBack) return;
    var item = form.closest(".ck-item");
    var checked = form.querySelector("input[name=outcome]:checked");
    if (!checked) return;
    var data = new FormData(form);
    data.delete("csrfmiddlewaretoken");
    if (checked.value !== "fail") {
      data.delete("photo");
      data.delete("note");
    } else {
      var file = form.querySelector("input[type=file]");
      if (file && file.files.length === 0) data.delete("photo");
      if (item.getAttribute("data-photo-required") === "1" && (!file || file.files.length === 0) && !form.querySelector(".ck-thumb")) {
        showError(form, texts.photo_required);
        return;
      }
    }
    var saved = form.querySelector(".ck-saved");
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    showError(form, "");
    if (saved) saved.textContent = "…";
    api("/api/v1/inspections/" + inspectionId + "/results/", { method: "POST", body: data }).then(function (body) {
      item.setAttribute("data-outcome", checked.value);
      if (saved) saved.textContent = texts.saved || "✓";
      updateCount(body.lines || []);
      var line = (body.lines || []).filter(function (l) { return String(l.item.id) === item.getAttribute("data-item-id"); })[0];
      var thumb = form.querySelector(".ck-thumb");
      if (line && line.result && line.result.thumb) {
        if (!thumb) {
          thumb = document.createElement("img");
          thumb.className = "ck-thumb";
          thumb.alt = "";
          var fileLabel = form.querySelector("input[type=file]").closest("label");
          fileLabel.parentNode.insertBefore(thumb, fileLabel);
        }
        thumb.src = line.result.thumb;
      } else if (thumb) {
        thumb.remove();
      }
      var file = form.querySelector("input[type=file]");
      if (file) file.value = "";
    }).catch(function (error) {
      if (saved) saved.textContent = "";
      showError(form, errorMessage(error));
    }).then(function () {
      if (takenBack) return;
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    });
  }

  Array.prototype.forEach.call(list.querySelectorAll("form.ck-form"), function (form) {
    var failPanel = form.querySelector("div.ck-fail");
    form.addEventListener("change", function (event) {
      if (event.target.name !== "outcome") return;
      var failing = event.target.value === "fail";
      if (failPanel) failPanel.hidden = !failing;
      if (failing) {
        form.closest(".ck-item").setAttribute("data-outcome", "");
        var note = form.querySelector("textarea");
        if (note) note.focus();
      } else {
        save(form);
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save(form);
    });
  });
})();
