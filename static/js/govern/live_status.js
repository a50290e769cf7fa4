// The live status page: every event the user's connection carries, newest first.
(function () {
  "use strict";
  var tbody = document.getElementById("live-events");
  var stateEl = document.getElementById("live-state");
  var lastEl = document.getElementById("live-last-id");
  var receivedEl = document.getElementById("live-received");
  if (!tbody || !window.GovernLive) return;
  var keep = Number(tbody.getAttribute("data-keep")) || 50;
  var received = 0;

  function cell(text, code) {
    var td = document.createElement("td");
    if (code) {
      var c = document.createElement("code");
      c.textContent = text;
      td.appendChild(c);
    } else {
      td.textContent = text;
    }
    return td;
  }

  function row(msg) {
    var tr = document.createElement("tr");
    tr.className = "live-event fresh";
    tr.setAttribute("data-event-id", String(msg.id));
    tr.appendChild(cell(String(msg.id)));
    var when = cell("");
    var time = document.createElement("time");
    time.dateTime = msg.at;
    time.textContent = new Date(msg.at).toLocaleTimeString();
    when.appendChild(time);
    tr.appendChild(when);
    tr.appendChild(cell(msg.type, true));
    var details;
    if (msg.type === "system.notice") {
      tr.className += " notice notice-" + (msg.data.level || "info");
      details = cell(msg.data.text || "");
    } else {
      var json = JSON.stringify(msg.data);
      details = cell(json.length > 200 ? json.slice(0, 199) + "…" : json, true);
    }
    details.className = "live-data";
    tr.appendChild(details);
    return tr;
  }

  var live = window.GovernLive.connect({
    onEvent: function (type, data, msg) {
      // Replay after load may repeat a row the server rendered: apply, do not duplicate.
      if (tbody.querySelector('tr[data-event-id="' + msg.id + '"]')) return;
      var empty = tbody.querySelector(".live-empty");
      if (empty) empty.remove();
      tbody.insertBefore(row(msg), tbody.firstChild);
      while (tbody.rows.length > keep) tbody.deleteRow(tbody.rows.length - 1);
      received += 1;
      receivedEl.textContent = String(received);
      lastEl.textContent = "#" + msg.id;
    },
    onStatus: function (state) {
      stateEl.setAttribute("data-state", state);
      stateEl.textContent = stateEl.getAttribute("data-label-" + state) || state;
    },
  });
  window.governLiveStatus = live; // for the console: live.lastEventId, live.state
})();
