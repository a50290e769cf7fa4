/* The dispatcher board: queues of hazards (untriaged, overdue, unassigned, in work), a map
   coloured by severity with on-duty responders moving live, triage and dispatch in place.

   A hazard is in exactly one queue (the rule of govern/office/selectors/board.py queue_of): an
   overdue accepted/in-progress task → overdue; submitted → untriaged; triaged/reopened with no
   live task → unassigned; else in work. Live tasks come with the page and from task.updated /
   task.overdue events on the dispatch topic; each card says who holds the hazard and until when.

   Data: #board-hazards, #board-volunteers (json_script), live events over /ws/live/ (dispatch
   topic). Every handler applies state (idempotent): a replayed event changes nothing twice.
   The lists are the board; the map is an extra that may fail (no tiles, no Leaflet).
   Dispatch calls GET /api/v1/hazards/{id}/candidates/ and POST /api/v1/hazards/{id}/dispatch/
   (task dispatch, issue 6); a server without them answers 404 and the card says so. */
(function () {
  "use strict";

  var root = document.getElementById("board");
  if (!root) return;
  var msg = root.dataset;
  var COLOURS = { low: "#2e7d32", medium: "#f9a825", high: "#ef6c00", critical: "#c62828" };
  var QUEUES = {
    submitted: "untriaged", triaged: "unassigned", reopened: "unassigned",
    dispatched: "in_work", in_progress: "in_work"
  };
  var QUEUE_NAMES = ["untriaged", "overdue", "unassigned", "in_work"];
  var LIVE_TASK = { offered: true, accepted: true, in_progress: true };

  /* Map tooltips get an element with text, never a string (Leaflet would parse it as HTML). */
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span;
  }

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  var statusLabels = readJSON("status-labels") || {};
  var taskLabels = readJSON("task-labels") || {};
  var severityLabels = {};
  var severityTemplate = document.getElementById("severity-options");
  Array.prototype.forEach.call(severityTemplate.content.querySelectorAll("option"), function (o) {
    severityLabels[o.value] = o.textContent;
  });
  var csrfInput = document.querySelector("#of-csrf input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";

  var hazards = {};     // id -> {data, card, marker}
  var statusOf = {};    // id -> last status applied (also for hazards beyond the rendered lists)
  var tasksOf = {};     // hazard id -> {task id -> task} of its live tasks
  var queueOf = {};     // hazard id -> the queue it is counted in
  var volunteers = {};  // id -> {data, marker, item}
  var counts = {};
  QUEUE_NAMES.forEach(function (q) {
    counts[q] = Number(document.getElementById("count-" + q).textContent) || 0;
  });

  function queueFor(id) {
    var status = statusOf[id];
    if (!QUEUES[status]) return null;
    var tasks = tasksOf[id] || {};
    var ids = Object.keys(tasks);
    var overdue = ids.some(function (k) { return tasks[k].overdue && tasks[k].status !== "offered"; });
    if (overdue) return "overdue";
    if (QUEUES[status] === "unassigned" && ids.length) return "in_work";
    return QUEUES[status];
  }

  // --- map (optional) -----------------------------------------------------------------------
  var map = null;
  var mapElement = document.getElementById("office-map");
  var note = document.getElementById("map-note");
  if (window.HazardBasemap && window.L) {
    try {
      map = window.HazardBasemap.create(mapElement, { onTileError: function () { note.textContent = msg.msgTiles; } });
    } catch (e) { map = null; }
  }
  if (!map) { mapElement.hidden = true; }

  function hazardMarker(h) {
    if (!map || h.latitude == null) return null;
    var marker = window.L.circleMarker([h.latitude, h.longitude], {
      radius: 9, color: "#fff", weight: 2, fillColor: COLOURS[h.severity] || "#0b5cad", fillOpacity: 0.95
    }).addTo(map);
    marker.bindTooltip(textNode((h.icon ? h.icon + " " : "") + (h.category_name || h.category) + " · " + (h.tracking_code || "")));
    marker.on("click", function () {
      var entry = hazards[h.id];
      if (entry && entry.card) {
        entry.card.scrollIntoView({ behavior: "smooth", block: "center" });
        entry.card.classList.add("of-flash");
        setTimeout(function () { entry.card.classList.remove("of-flash"); }, 1500);
      }
    });
    return marker;
  }

  // --- cards --------------------------------------------------------------------------------
  function text(card, field, value) {
    var node = card.querySelector("[data-f=" + field + "]");
    if (node) node.textContent = value == null ? "" : value;
    return node;
  }

  function localTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function button(label, className, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function say(card, line, isError) {
    var node = card.querySelector(".of-msg");
    node.textContent = line || "";
    node.classList.toggle("error", !!isError);
  }

  function fillCard(card, h) {
    card.dataset.hazardId = h.id;
    card.dataset.status = h.status;
    card.dataset.code = h.tracking_code || "";
    card.dataset.severity = h.severity || "";
    card.dataset.created = h.created_at || "";
    card.querySelector("[data-f=link]").href = "/office/hazards/" + h.id + "/";
    card.querySelector("[data-f=premises-link]").href = "/office/hazards/" + h.id + "/#premises";
    card.className = "card of-card sev-border-" + h.severity;
    text(card, "category", (h.icon ? h.icon + " " : "") + (h.category_name || h.category || ""));
    var sev = text(card, "severity", severityLabels[h.severity] || h.severity);
    sev.className = "sev sev-" + h.severity;
    text(card, "status", statusLabels[h.status] || h.status);
    text(card, "code", h.tracking_code);
    text(card, "place", [h.community_name, h.grid_name].filter(Boolean).join(" · "));
    var t = text(card, "time", localTime(h.created_at));
    t.setAttribute("datetime", h.created_at || "");
    text(card, "description", h.description || "");
    var address = text(card, "address", h.address ? "📍 " + h.address : "");
    address.hidden = !h.address;
    card.querySelector("[data-f=new]").hidden = !h.new;
    renderTasks(card, h.id);
    var img = card.querySelector(".of-thumb");
    if (h.thumb) { img.src = h.thumb; img.hidden = false; } else { img.hidden = true; }
    renderActions(card, h);
  }

  function renderTasks(card, id) {
    var node = card.querySelector("[data-f=task]");
    var tasks = tasksOf[id] || {};
    var list = Object.keys(tasks).map(function (k) { return tasks[k]; });
    node.textContent = "";
    node.hidden = !list.length;
    node.classList.toggle("of-task-overdue", list.some(function (t) { return t.overdue; }));
    var offers = list.filter(function (t) { return t.status === "offered"; });
    var engaged = list.filter(function (t) { return t.status !== "offered"; })[0];
    var who = function (t) { return t.assignee_name || ("#" + t.assignee); };
    if (engaged) {
      var lead = engaged.overdue ? msg.labelOverdue + " " : "";
      var verb = engaged.status === "in_progress" ? msg.labelWorking : msg.labelAccepted;
      node.textContent = (engaged.overdue ? "⚠ " : "👷 ") + lead + verb + " " + who(engaged) + " · " +
        msg.labelDue + " " + localTime(engaged.due_at);
    } else if (offers.length) {
      node.textContent = "⏳ " + msg.labelOffered + " " + offers.map(function (t) {
        return who(t) + " (" + reachText(t) + ")";
      }).join(", ") + " · " + msg.labelAcceptBy + " " + localTime(offers[0].accept_deadline);
    }
    var shown = engaged || offers[0];
    if (shown) {
      node.dataset.taskStatus = shown.overdue && shown.status !== "offered" ? "overdue" : shown.status;
      node.title = taskLabels[shown.status] || shown.status;
    } else if (window.GovernBoardExpired && window.GovernBoardExpired.note(node, id)) {
      node.title = taskLabels.expired || "";
    }
  }

  // The offer ladder, as the dispatcher reads it: was the card seen; did a push, an SMS go.
  function reachText(t) {
    var channel = function (status, sent, pending, not) {
      if (status === "sent") return sent;
      if (status === "pending" || status === "sending") return pending;
      return status ? not : null;
    };
    return [
      t.seen ? "👁 " + msg.labelSeen : msg.labelUnseen,
      channel(t.push, "📲 " + msg.labelPushSent, msg.labelPushPending, msg.labelPushNot),
      channel(t.sms, "✉ " + msg.labelSmsSent, msg.labelSmsPending, msg.labelSmsNot)
    ].filter(Boolean).join(" · ");
  }

  function renderActions(card, h) {
    var actions = card.querySelector(".of-actions");
    actions.textContent = "";
    card.querySelector(".of-candidates").hidden = true;
    var queue = queueFor(h.id);
    if (queue === "untriaged") {
      var select = document.createElement("select");
      select.className = "of-severity";
      select.setAttribute("aria-label", msg.labelSeverity);
      select.appendChild(severityTemplate.content.cloneNode(true));
      select.value = h.severity;
      actions.appendChild(select);
      actions.appendChild(button(msg.labelAccept, "btn primary of-accept", function () {
        triage(card, { decision: "accept", severity: select.value }, msg.msgAccepted);
      }));
      actions.appendChild(button(msg.labelReject, "btn of-reject", function () {
        ask(card, msg.msgRejectNote, function (value) {
          triage(card, { decision: "reject", note: value }, msg.msgRejected);
        });
      }));
      actions.appendChild(button(msg.labelDuplicate, "btn of-duplicate", function () {
        ask(card, msg.msgOriginal, function (value) {
          triage(card, { decision: "duplicate", duplicate_of: value }, msg.msgMerged);
        });
      }));
    } else if (queue === "unassigned") {
      var reoffer = window.GovernBoardExpired && window.GovernBoardExpired.button(h.id, function (assignee, name) {
        dispatch(card, assignee, name);
      });
      if (reoffer) actions.appendChild(reoffer);
      actions.appendChild(button(msg.labelCandidates, "btn primary of-candidates-btn", function () { candidates(card); }));
      actions.appendChild(button(msg.labelBest, "btn of-dispatch-best", function () { dispatch(card, null, ""); }));
    }
  }

  function ask(card, question, then) {
    var holder = card.querySelector(".of-actions");
    var old = holder.querySelector(".of-ask");
    if (old) old.remove();
    var form = document.createElement("form");
    form.className = "of-ask";
    var label = document.createElement("label");
    label.textContent = question;
    var input = document.createElement("input");
    input.type = "text";
    input.required = true;
    input.maxLength = 500;
    label.appendChild(input);
    form.appendChild(label);
    var ok = document.createElement("button");
    ok.type = "submit";
    ok.className = "btn primary";
    ok.textContent = "OK";
    form.appendChild(ok);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (input.value.trim()) { form.remove(); then(input.value.trim()); }
    });
    holder.appendChild(form);
    input.focus();
  }

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var parse = type.indexOf("json") >= 0 ? response.json() : Promise.resolve(null);
      return parse.then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
    });
  }

  function busy(card, on) {
    Array.prototype.forEach.call(card.querySelectorAll("button, select"), function (b) { b.disabled = on; });
  }

  function triage(card, body, done) {
    var id = Number(card.dataset.hazardId);
    busy(card, true);
    say(card, "");
    request("POST", "/api/v1/hazards/" + id + "/triage/", body).then(function (r) {
      busy(card, false);
      if (!r.ok) { say(card, msg.msgFailed + " " + ((r.data && r.data.detail) || r.status), true); return; }
      say(card, done);
      applyStatus(id, r.data.status, r.data);
    }, function () { busy(card, false); say(card, msg.msgOffline, true); });
  }

  function dispatchMissing(r) {
    // A DRF 404 names the hazard in JSON; the URL missing altogether (no task dispatch) is not JSON.
    return r.status === 404 && !(r.data && r.data.detail) || r.status === 405;
  }

  function candidates(card) {
    var id = Number(card.dataset.hazardId);
    var box = card.querySelector(".of-candidates");
    box.hidden = false;
    box.textContent = "…";
    request("GET", "/api/v1/hazards/" + id + "/candidates/").then(function (r) {
      box.textContent = "";
      if (dispatchMissing(r)) { box.hidden = true; say(card, msg.msgDispatchMissing, true); return; }
      if (!r.ok) { box.hidden = true; say(card, msg.msgFailed + " " + ((r.data && r.data.detail) || r.status), true); return; }
      var list = Array.isArray(r.data) ? r.data : (r.data.results || r.data.candidates || []);
      if (!list.length) { box.hidden = true; say(card, msg.msgNoCandidates); return; }
      var ul = document.createElement("ul");
      ul.className = "of-candidate-list";
      list.forEach(function (c) {
        var user = c.user || {};
        var userId = c.user_id || user.id || c.assignee || c.id;
        var name = c.display_name || c.name || c.real_name || user.name || user.display_name || String(userId);
        var li = document.createElement("li");
        var line = document.createElement("span");
        var bits = [name];
        if (c.kind || c.role) bits.push(c.kind || c.role);
        if (c.distance_m != null) bits.push(Math.round(c.distance_m) + " m");
        if (c.eta_s != null) bits.push(Math.max(1, Math.round(c.eta_s / 60)) + " " + msg.labelMinutes);
        line.textContent = bits.join(" · ");
        li.appendChild(line);
        li.appendChild(button(msg.labelDispatch, "btn primary small of-dispatch", function () { dispatch(card, userId, name); }));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }, function () { box.hidden = true; say(card, msg.msgOffline, true); });
  }

  function dispatch(card, assignee, name) {
    var id = Number(card.dataset.hazardId);
    busy(card, true);
    request("POST", "/api/v1/hazards/" + id + "/dispatch/", assignee == null ? {} : { assignee: assignee }).then(function (r) {
      busy(card, false);
      if (dispatchMissing(r)) { say(card, msg.msgDispatchMissing, true); return; }
      if (!r.ok) { say(card, msg.msgFailed + " " + ((r.data && r.data.detail) || r.status), true); return; }
      say(card, msg.msgOffered + " " + (name || ""));
      card.querySelector(".of-candidates").hidden = true;
    }, function () { busy(card, false); say(card, msg.msgOffline, true); });
  }

  // --- queues -------------------------------------------------------------------------------
  function updateEmpty() {
    QUEUE_NAMES.forEach(function (q) {
      var list = document.getElementById("queue-" + q);
      var empty = list.querySelector(".of-empty");
      var hasCards = list.querySelector(".of-card") !== null;
      if (!hasCards && !empty) {
        empty = document.createElement("li");
        empty.className = "of-empty muted";
        empty.textContent = list.dataset.empty;
        list.appendChild(empty);
      } else if (hasCards && empty) {
        empty.remove();
      }
      document.getElementById("count-" + q).textContent = Math.max(0, counts[q]);
    });
  }

  // Each queue is sorted by severity, then age (board_priority.js); `atTop` without it.
  function place(card, queue, atTop) {
    var list = document.getElementById("queue-" + queue);
    if (window.GovernBoardPriority) { window.GovernBoardPriority.place(list, card); return; }
    if (atTop) list.insertBefore(card, list.firstChild); else list.appendChild(card);
  }

  // Critical reports, and reports in the alarm categories (a gas smell) at any severity.
  var alarmBox = document.getElementById("board-alarm");
  var alarmCategories = alarmBox ? (alarmBox.dataset.categories || "").split(" ").filter(Boolean) : [];
  function alarmFor(h) {
    var urgent = h.severity === "critical" || alarmCategories.indexOf(h.category) >= 0;
    if (!urgent || !window.GovernBoardPriority) return;
    var name = h.category_name || h.category || "";
    var sev = severityLabels[h.severity] || h.severity || "";
    window.GovernBoardPriority.alarm(h, "🚨 " + sev + " · " + name + " · " + (h.tracking_code || ""));
  }

  function addHazard(h, atTop) {
    if (hazards[h.id] || !QUEUES[h.status]) return;
    var card = document.getElementById("card-template").content.firstElementChild.cloneNode(true);
    fillCard(card, h);
    hazards[h.id] = { data: h, card: card, marker: hazardMarker(h) };
    place(card, queueOf[h.id] || queueFor(h.id), atTop);
  }

  // Recount and move a hazard after its status or its tasks changed; true when it changed queue.
  function requeue(id) {
    var before = queueOf[id];
    var after = queueFor(id);
    if (before === after) return false;
    if (before) counts[before] -= 1;
    if (after) counts[after] += 1;
    if (after) queueOf[id] = after; else delete queueOf[id];
    return true;
  }

  function removeHazard(id) {
    var entry = hazards[id];
    if (!entry) return;
    if (entry.card) entry.card.remove();
    if (entry.marker && map) map.removeLayer(entry.marker);
    delete hazards[id];
  }

  function applyStatus(id, status, extra) {
    if (statusOf[id] === status) {
      // Same status, graver severity (a sensor reading got worse): recolour, re-sort, alarm.
      var same = hazards[id];
      if (same && extra && extra.severity && extra.severity !== same.data.severity) {
        same.data.severity = extra.severity;
        fillCard(same.card, same.data);
        if (same.marker) same.marker.setStyle({ fillColor: COLOURS[extra.severity] || "#0b5cad" });
        place(same.card, queueOf[id], true);
        alarmFor(same.data);
      }
      return;
    }
    if (!statusOf[id] && extra && extra.from && QUEUES[extra.from]) {
      // First news of a hazard beyond the rendered window: it was counted in its old queue.
      statusOf[id] = extra.from;
      queueOf[id] = queueFor(id);
    }
    statusOf[id] = status;
    if (!QUEUES[status]) delete tasksOf[id];
    var moved = requeue(id);
    var entry = hazards[id];
    if (!QUEUES[status]) { removeHazard(id); updateEmpty(); return; }
    if (entry) {
      entry.data.status = status;
      if (extra && extra.severity) entry.data.severity = extra.severity;
      entry.data.new = false;
      fillCard(entry.card, entry.data);
      if (entry.marker) entry.marker.setStyle({ fillColor: COLOURS[entry.data.severity] || "#0b5cad" });
      if (moved) place(entry.card, queueOf[id], true);
    } else {
      // Not on the board yet (older than the rendered window): fetch it once.
      request("GET", "/api/v1/hazards/" + id + "/").then(function (r) {
        if (r.ok && r.data && statusOf[id] === r.data.status) addHazard(fromApi(r.data), true);
        updateEmpty();
      });
    }
    updateEmpty();
  }

  function fromApi(d) {
    var category = d.category || {};
    return {
      id: d.id, tracking_code: d.tracking_code, status: d.status, severity: d.severity,
      category: category.slug, category_name: category.name, icon: category.icon,
      grid_name: d.grid && d.grid.name, community_name: d.community && d.community.name,
      latitude: d.latitude, longitude: d.longitude, address: d.address, description: d.description,
      thumb: d.photos && d.photos[0] ? d.photos[0].thumb : null, created_at: d.created_at, new: false
    };
  }

  function applyTask(t, extra) {
    var hazard = t.hazard || {};
    var id = hazard.id;
    if (!id) return;
    var tasks = tasksOf[id] || (tasksOf[id] = {});
    if (LIVE_TASK[t.status]) {
      var known = tasks[t.id] || {};
      tasks[t.id] = {
        id: t.id, status: t.status, overdue: !!(t.overdue || (extra && extra.overdue)), assignee: t.assignee,
        assignee_name: known.assignee_name || t.assignee_name, assignee_kind: t.assignee_kind,
        offered_at: t.offered_at, accept_deadline: t.accept_deadline, due_at: t.due_at,
        seen: known.seen, push: known.push, sms: known.sms
      };
      if (!tasks[t.id].assignee_name) fetchAssignee(id, t.id);
    } else {
      delete tasks[t.id];
    }
    if (!statusOf[id]) {
      // Not on the board (yet): count it by the hazard status the event carries, fetch it.
      if (!QUEUES[hazard.status]) return;
      statusOf[id] = hazard.status;
      requeue(id);
      request("GET", "/api/v1/hazards/" + id + "/").then(function (r) {
        if (r.ok && r.data && statusOf[id] === r.data.status) addHazard(fromApi(r.data), true);
        updateEmpty();
      });
      updateEmpty();
      return;
    }
    var moved = requeue(id);
    var entry = hazards[id];
    if (entry) {
      renderTasks(entry.card, id);
      renderActions(entry.card, entry.data);
      if (moved && queueOf[id]) place(entry.card, queueOf[id], true);
    }
    updateEmpty();
  }

  function fetchAssignee(hazardId, taskId) {
    // task.* events name the assignee by id only; the task API has the display name.
    request("GET", "/api/v1/tasks/" + taskId + "/").then(function (r) {
      var task = (tasksOf[hazardId] || {})[taskId];
      if (!r.ok || !task || !r.data || !r.data.assignee) return;
      task.assignee_name = r.data.assignee.display_name;
      var entry = hazards[hazardId];
      if (entry) renderTasks(entry.card, hazardId);
    });
  }

  if (window.GovernBoardExpired) {
    window.GovernBoardExpired.onChange = function (id) {
      var entry = hazards[id];
      if (entry) { renderTasks(entry.card, id); renderActions(entry.card, entry.data); }
    };
  }

  (readJSON("board-hazards") || []).forEach(function (h) {
    statusOf[h.id] = h.status;
    tasksOf[h.id] = {};
    (h.tasks || []).forEach(function (t) { tasksOf[h.id][t.id] = t; });
    queueOf[h.id] = queueFor(h.id);
    addHazard(h, false);
  });
  updateEmpty();

  // --- responders ---------------------------------------------------------------------------
  var volunteerList = document.getElementById("volunteers");

  function upsertVolunteer(v) {
    var entry = volunteers[v.id];
    if (!entry) {
      entry = volunteers[v.id] = { data: v, marker: null, item: volunteerList.querySelector("[data-volunteer-id='" + v.id + "']") };
    }
    Object.keys(v).forEach(function (k) { if (v[k] !== undefined && v[k] !== null) entry.data[k] = v[k]; });
    var d = entry.data;
    if (!entry.item) {
      entry.item = document.createElement("li");
      entry.item.dataset.volunteerId = v.id;
      volunteerList.appendChild(entry.item);
    }
    entry.item.textContent = "🧑‍🚒 " + (d.real_name || "#" + d.id) + " ";
    var where = document.createElement("span");
    where.className = "muted";
    where.textContent = Number(d.latitude).toFixed(4) + ", " + Number(d.longitude).toFixed(4);
    entry.item.appendChild(where);
    if (map) {
      if (!entry.marker) {
        entry.marker = window.L.circleMarker([d.latitude, d.longitude], {
          radius: 6, color: "#0b5cad", weight: 2, fillColor: "#90caf9", fillOpacity: 1
        }).addTo(map);
        // Text, not HTML: Leaflet puts a string tooltip in innerHTML, and the name is the volunteer's own.
        entry.marker.bindTooltip(textNode(d.real_name || ""));
      } else {
        entry.marker.setLatLng([d.latitude, d.longitude]);
      }
    }
    document.getElementById("count-volunteers").textContent = Object.keys(volunteers).length;
  }

  function removeVolunteer(id) {
    var entry = volunteers[id];
    if (!entry) return;
    if (entry.marker && map) map.removeLayer(entry.marker);
    if (entry.item) entry.item.remove();
    delete volunteers[id];
    document.getElementById("count-volunteers").textContent = Object.keys(volunteers).length;
  }

  (readJSON("board-volunteers") || []).forEach(upsertVolunteer);

  // --- live ---------------------------------------------------------------------------------
  if (!window.GovernLive) return;
  window.GovernLive.connect({
    topics: ["dispatch"],
    // The loop queues (to verify, reopen requested) follow the same stream (loop_queues.js).
    onEvent: function (type, data) {
      if (window.GovernLoopQueues) window.GovernLoopQueues.onEvent(type, data);
    },
    handlers: {
      "hazard.created": function (d) {
        if (statusOf[d.id]) return;
        statusOf[d.id] = d.status;
        requeue(d.id);
        addHazard({
          id: d.id, tracking_code: d.tracking_code, status: d.status, severity: d.severity,
          category: d.category, category_name: (document.documentElement.lang || "").indexOf("en") === 0 ? d.category_name_en : d.category_name,
          icon: "", grid_name: "", community_name: "", latitude: d.latitude, longitude: d.longitude,
          address: d.address, description: "", thumb: d.thumb, created_at: d.created_at, new: true
        }, true);
        if (hazards[d.id]) alarmFor(hazards[d.id].data);
        updateEmpty();
        // The event is deliberately small: fill in description, names and icon from the API.
        request("GET", "/api/v1/hazards/" + d.id + "/").then(function (r) {
          var entry = hazards[d.id];
          if (r.ok && entry) {
            var full = fromApi(r.data);
            full.new = true;
            full.status = statusOf[d.id];
            entry.data = full;
            fillCard(entry.card, full);
          }
        });
      },
      "hazard.status_changed": function (d) {
        applyStatus(d.id, d.to || d.status, d);
      },
      // Photos are re-encoded after the report is filed: the card gets its thumbnail now.
      "hazard.photos_ready": function (d) {
        var entry = hazards[d.id];
        if (!entry || !d.thumb) return;
        entry.data.thumb = d.thumb;
        var img = entry.card.querySelector(".of-thumb");
        img.src = d.thumb;
        img.hidden = false;
      },
      "task.updated": function (d) {
        if (window.GovernBoardExpired) window.GovernBoardExpired.track(d); // before the card is redrawn
        applyTask(d);
      },
      "task.overdue": function (d) { applyTask(d, { overdue: true }); },
      "task.reach": function (d) {
        var id = d.hazard && d.hazard.id;
        var task = id && tasksOf[id] && tasksOf[id][d.id];
        if (!task) return;
        task.seen = d.seen; task.push = d.push; task.sms = d.sms;
        if (hazards[id]) renderTasks(hazards[id].card, id);
      },
      "volunteer.duty_changed": function (d) {
        if (d.on_duty && d.latitude != null) upsertVolunteer(d); else if (!d.on_duty) removeVolunteer(d.id);
      },
      "volunteer.position_changed": function (d) {
        if (volunteers[d.id] || d.latitude != null) upsertVolunteer(d);
      }
    }
  });
})();
