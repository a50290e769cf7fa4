/* The back office's hazard page, live: an event about this hazard (its status, a task of it,
   its photos, the reporter's answer) reloads the server-rendered page, unless someone is
   typing into one of its forms (then it reloads once the field is left). */
(function () {
  "use strict";

  var root = document.getElementById("hazard-page");
  if (!root || !window.GovernLive) return;
  var id = Number(root.dataset.hazardId);
  var waiting = false;

  function typing() {
    var field = document.activeElement;
    return field && (field.tagName === "INPUT" || field.tagName === "TEXTAREA") && field.value;
  }

  function reload() {
    if (!typing()) { window.location.reload(); return; }
    if (waiting) return;
    waiting = true;
    document.activeElement.addEventListener("blur", function () { window.location.reload(); }, { once: true });
  }

  window.GovernLive.connect({
    topics: ["dispatch"],
    onEvent: function (type, data) {
      data = data || {};
      var hazardId = data.hazard && typeof data.hazard === "object" ? data.hazard.id : data.id;
      if (type.indexOf("task.") === 0 && !(data.hazard && data.hazard.id === id)) return;
      if (hazardId === id) reload();
    }
  });
})();
