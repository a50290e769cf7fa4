/* Wallet: live balance, history and coupon statuses. The page is complete without this script. */
import * as R from "./common.js";

(function () {
  "use strict";
  var L = R.labels();
  var balanceEl = document.getElementById("balance");
  var historyBody = document.getElementById("history-body");

  function setBalance(value) {
    if (!balanceEl || typeof value !== "number") return;
    balanceEl.textContent = String(value);
    balanceEl.dataset.balance = String(value);
  }

  function addEntry(data) {
    if (!historyBody || !data.entry_id) return;
    if (historyBody.querySelector('tr[data-entry-id="' + data.entry_id + '"]')) return; // replayed
    var empty = document.getElementById("history-empty");
    if (empty) empty.remove();
    var tr = document.createElement("tr");
    tr.dataset.entryId = String(data.entry_id);
    tr.className = "rw-new";
    var when = document.createElement("td");
    when.className = "muted";
    when.textContent = R.formatTime(data.created_at).slice(5);
    var what = document.createElement("td");
    var kind = document.createElement("span");
    kind.className = "rw-kind kind-" + data.kind;
    kind.textContent = L.kind[data.kind] || data.kind;
    what.appendChild(kind);
    what.appendChild(document.createTextNode(" " + (data.reason || "")));
    var amount = document.createElement("td");
    amount.className = "num " + (data.amount > 0 ? "plus" : "minus");
    amount.textContent = (data.amount > 0 ? "+" : "") + data.amount;
    var after = document.createElement("td");
    after.className = "num";
    after.textContent = String(data.balance_after);
    [when, what, amount, after].forEach(function (td) { tr.appendChild(td); });
    // Newest first: keep the table ordered by entry id even when events arrive out of order.
    var rows = historyBody.querySelectorAll("tr[data-entry-id]");
    for (var i = 0; i < rows.length; i++) {
      if (Number(rows[i].dataset.entryId) < data.entry_id) {
        historyBody.insertBefore(tr, rows[i]);
        return;
      }
    }
    historyBody.appendChild(tr);
  }

  function updateRedemption(data) {
    var item = document.getElementById("redemption-" + data.id);
    if (!item) {
      var notice = document.getElementById("wallet-notice");
      if (notice) notice.hidden = false;
      return;
    }
    item.dataset.status = data.status;
    item.className = item.className.replace(/\bstatus-\w+/, "status-" + data.status);
    var status = item.querySelector('[data-role="status"]');
    if (status) status.textContent = L.status[data.status] || data.status;
    if (data.status !== "issued") {
      var block = item.querySelector('[data-role="code-block"]');
      if (block) {
        var done = document.createElement("div");
        done.className = "muted rw-code-done";
        done.textContent = data.code.replace(/(.{4})(?!$)/g, "$1-") + (data.used_at ? " · " + L.text.usedAt + " " + R.formatTime(data.used_at) : "");
        block.replaceWith(done);
      }
    }
  }

  function onEvent(type, data) {
    if (type === "points.changed") {
      setBalance(data.balance);
      addEntry(data);
    } else if (type === "redemption.updated") {
      updateRedemption(data);
    }
  }

  window.GovernRewardsWallet = { onEvent: onEvent };
  R.attachLive(onEvent);
})();
