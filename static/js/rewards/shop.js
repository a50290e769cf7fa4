/* Shop: redeem through the API with an Idempotency-Key made when the person confirms.
 * A retry after a lost response reuses that key, so it can never buy twice; a finished
 * attempt (success or refusal) forgets it, so the next confirmation is a new purchase.
 * Without this script the form posts to the page with a key rendered into it. */
import { HttpError, api } from "../govern/http.js";
import * as R from "./common.js";

(function () {
  "use strict";
  var L = R.labels();
  var balanceEl = document.getElementById("balance");

  function refreshBalance() {
    api("/api/v1/points/?page_size=1").then(function (body) { setBalance(body.balance); }, function () {});
  }

  function setBalance(value) {
    if (balanceEl && typeof value === "number") {
      balanceEl.textContent = String(value);
      balanceEl.dataset.balance = String(value);
    }
  }

  function show(result, cls, nodes) {
    result.className = "rw-result " + cls;
    result.textContent = "";
    nodes.forEach(function (n) { result.appendChild(typeof n === "string" ? document.createTextNode(n) : n); });
  }

  function redeem(form, attempt) {
    var card = form.closest(".rw-coupon");
    var couponId = form.dataset.couponId;
    var result = form.querySelector('[data-role="result"]');
    var yes = form.querySelector('[data-role="confirm-yes"]');
    if (!form.dataset.pendingKey) form.dataset.pendingKey = R.newKey();
    yes.disabled = true;
    show(result, "", [L.text.working]);
    api("/api/v1/coupons/" + couponId + "/redeem/", { method: "POST", headers: { "Idempotency-Key": form.dataset.pendingKey } })
      .then(function (body) { return { ok: true, body: body }; }, function (error) {
        // A refusal is definitive; no answer (or a proxy's 5xx) is retried below with the same key.
        if (error instanceof HttpError && error.status > 0 && error.status < 500) return { ok: false, message: error.message };
        throw error;
      })
      .then(function (res) {
        delete form.dataset.pendingKey; // a definitive answer: the next confirmation is a new purchase
        yes.disabled = false;
        form.querySelector('[data-role="confirm"]').hidden = true;
        if (res.ok) {
          var code = document.createElement("strong");
          code.className = "rw-code";
          code.dataset.role = "new-code";
          code.textContent = res.body.display_code;
          var link = document.createElement("a");
          link.href = "/wallet/?new=" + res.body.id + "#redemption-" + res.body.id;
          link.className = "btn primary block";
          link.dataset.role = "to-wallet";
          link.textContent = L.text.toWallet;
          show(result, "ok", [L.text.redeemed + " ", code, link]);
          refreshBalance();  // the stored balance, not arithmetic: a live points.changed may already be in
          refreshCoupon(card, couponId);
        } else {
          show(result, "error", [res.message]);
        }
      })
      .catch(function () {
        yes.disabled = false;
        if (attempt < 2) {
          setTimeout(function () { redeem(form, attempt + 1); }, 1000 * (attempt + 1));
        } else {
          show(result, "error", [L.text.network]); // the key is kept: tapping again retries safely
        }
      });
  }

  function refreshCoupon(card, couponId) {
    api("/api/v1/coupons/" + couponId + "/")
      .then(function (c) {
        var stock = card.querySelector('[data-role="stock"]');
        if (stock) stock.textContent = R.fill(L.text.left, { left: c.stock_remaining, total: c.stock_total });
      })
      .catch(function () {});
  }

  document.querySelectorAll(".rw-redeem-form").forEach(function (form) {
    var confirm = form.querySelector('[data-role="confirm"]');
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      confirm.hidden = false;
      form.querySelector('[data-role="confirm-yes"]').focus();
    });
    form.querySelector('[data-role="confirm-yes"]').addEventListener("click", function () { redeem(form, 0); });
    form.querySelector('[data-role="confirm-no"]').addEventListener("click", function () { confirm.hidden = true; });
  });

  R.attachLive(function (type, data) {
    if (type === "points.changed") setBalance(data.balance);
  });
})();
