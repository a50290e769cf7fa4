// The unread badge in the top bar: one small request after the page has loaded (no query on the
// server's page render), and the live stream keeps the inbox page's own badge up to date.
const badge = document.getElementById("topbar-unread");
if (badge) {
  fetch(badge.dataset.api + "?limit=1", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((data) => {
      if (!data) return;
      badge.textContent = String(data.unread);
      badge.dataset.count = String(data.unread);
      badge.hidden = data.unread === 0;
    })
    .catch(() => {});
}
