/*
 * "My inspections": when the office assigns premises to me or takes them back (campaign.assigned,
 * campaign.unassigned on my user topic), reload the list (it is short and server-rendered).
 */
(function () {
  "use strict";
  if (!window.GovernLive) return;
  var timer = null;
  function reloadSoon() {
    if (timer) return;
    timer = setTimeout(function () { window.location.reload(); }, 400);
  }
  window.GovernLive.connect({
    handlers: {
      "campaign.assigned": reloadSoon,
      "campaign.unassigned": reloadSoon,
    },
  });
})();
