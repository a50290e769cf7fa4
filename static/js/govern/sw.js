// The service worker (served at /sw.js): shows a Web Push message as a system notification and
// opens its page when tapped. The payload is {id, kind, title, body, url} (govern.notify.channels.push).
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { title: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "", {
      body: data.body || "",
      tag: data.id ? `n${data.id}` : undefined,
      data: { url: data.url || "/me/notifications/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const win of windows) {
        if (win.url === url && "focus" in win) return win.focus();
      }
      return self.clients.openWindow(url);
    }),
  );
});
