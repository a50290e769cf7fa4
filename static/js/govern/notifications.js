// The inbox page: a live event of a notified type (data-types: the events govern.notify turns into
// notifications) reloads the list from the API and updates the badge, without reloading the page.
// The rows are written in the event's own transaction, so they are there when the event arrives.
import { api } from "./http.js";

const list = document.getElementById("inbox");
const badge = document.getElementById("inbox-unread");

function word(key) {
  const node = document.getElementById("notify-text").content.querySelector(`[data-key="${key}"]`);
  return node ? node.textContent : "";
}

function setBadge(count) {
  for (const el of [badge, document.getElementById("topbar-unread")]) {
    if (!el) continue;
    el.textContent = String(count);
    el.dataset.count = String(count);
    el.hidden = count === 0;
  }
}

function item(n) {
  const li = document.createElement("li");
  li.className = `notify-item severity-${n.severity}` + (n.read_at ? "" : " unread");
  li.dataset.id = String(n.id);
  const form = document.createElement("form");
  form.method = "post";
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  form.innerHTML = `${csrf ? csrf.outerHTML : ""}<input type="hidden" name="id">`;
  form.querySelector("input[name=id]").value = String(n.id);
  const open = document.createElement("button");
  open.type = "submit";
  open.name = "open";
  open.value = "1";
  open.className = "notify-open";
  const title = document.createElement("strong");
  title.className = "notify-title";
  title.textContent = n.title;
  open.append(title);
  if (n.body) {
    const body = document.createElement("span");
    body.className = "notify-body";
    body.textContent = n.body;
    open.append(body);
  }
  const time = document.createElement("time");
  time.className = "muted";
  time.dateTime = n.created_at;
  time.textContent = new Date(n.created_at).toLocaleString(document.documentElement.lang, {
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  open.append(time);
  form.append(open);
  if (!n.read_at) {
    const mark = document.createElement("button");
    mark.type = "submit";
    mark.className = "linkish notify-mark";
    mark.textContent = word("mark_read");
    form.append(mark);
  }
  li.append(form);
  return li;
}

async function refresh() {
  try {
    const data = await api(list.dataset.api);
    setBadge(data.unread);
    list.replaceChildren(...data.results.map(item));
    if (!data.results.length) {
      const li = document.createElement("li");
      li.className = "notify-empty muted";
      li.textContent = word("empty");
      list.append(li);
    }
  } catch (error) {
    console.warn("inbox refresh failed", error);
  }
}

let timer = null;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 250); // one request for a burst of events
}

if (window.GovernLive) {
  const handlers = {};
  for (const type of (list.dataset.types || "").split(",")) if (type) handlers[type] = soon;
  window.GovernLive.connect({ handlers });
}
