/* The grid worker's queue, live on the worker's grid topics (grid:<id>, joined by default): a
   report or a task of the grids changing reloads the server-rendered page, unless a field is
   being filled in (then it reloads once the field is left). */
(function () {
  "use strict";

  if (!document.getElementById("grid-queue") || !window.GovernLive) return;
  var waiting = false;

  function reload() {
    var field = document.activeElement;
    var typing = field && (field.tagName === "INPUT" || field.tagName === "TEXTAREA") && field.value;
    if (!typing) { window.location.reload(); return; }
    if (waiting) return;
    waiting = true;
    field.addEventListener("blur", function () { window.location.reload(); }, { once: true });
  }

  window.GovernLive.connect({
    onEvent: function (type) {
      if (type.indexOf("hazard.") === 0 || type.indexOf("task.") === 0) reload();
    }
  });
})();
