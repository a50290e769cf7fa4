/* Merchant check page: accept a code through the API; scan QR codes with the camera where the
 * browser has BarcodeDetector (progressive enhancement: typing always works, no library). */
(function () {
  "use strict";
  var node = document.getElementById("rewards-labels");
  var L = node ? JSON.parse(node.textContent) : { text: {} };
  var form = document.getElementById("use-form");
  var input = document.getElementById("code");
  var result = document.getElementById("use-result");
  var button = document.getElementById("use-button");
  var busy = false;

  function csrf() {
    var i = form.querySelector("input[name=csrfmiddlewaretoken]");
    return i ? i.value : "";
  }

  function pad(n) { return ("0" + n).slice(-2); }
  function when(iso) {
    var d = new Date(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function show(cls, title, line) {
    result.className = "rw-use-result " + cls;
    result.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = title;
    result.appendChild(strong);
    if (line) {
      var div = document.createElement("div");
      div.textContent = line;
      result.appendChild(div);
    }
  }

  function use(code) {
    if (busy || !code.trim()) return;
    busy = true;
    button.disabled = true;
    show("", L.text.working || "…");
    fetch("/api/v1/redemptions/use/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
      body: JSON.stringify({ code: code }),
    })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (res) {
        if (res.status === 200) {
          show("ok", "✅ " + L.text.accepted + ": " + res.body.coupon.title,
               res.body.display_code + " · " + L.text.usedAt + " " + when(res.body.used_at));
          input.value = "";
        } else {
          show("error", "⛔ " + (res.body.detail || res.status));
        }
      })
      .catch(function () { show("error", "⛔ " + (L.text.network || "")); })
      .then(function () { busy = false; button.disabled = false; input.focus(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    use(input.value);
  });

  // --- QR scanning -------------------------------------------------------------------------
  var scanButton = document.getElementById("scan-button");
  var scanner = document.getElementById("scanner");
  var video = document.getElementById("scan-video");
  var stream = null;
  var deadline = 0;

  function stopScan() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    scanner.hidden = true;
  }

  function scanLoop(detector) {
    if (!stream) return;
    if (Date.now() > deadline) { stopScan(); return; } // never leave the camera on
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        input.value = codes[0].rawValue;
        stopScan();
        use(input.value);
      } else {
        setTimeout(function () { scanLoop(detector); }, 250);
      }
    }).catch(function () { setTimeout(function () { scanLoop(detector); }, 500); });
  }

  function startScan() {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        scanner.hidden = false;
        deadline = Date.now() + 60000;
        return video.play();
      })
      .then(function () { scanLoop(detector); })
      .catch(function () { stopScan(); show("error", L.text.cameraFailed || ""); });
  }

  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    var supported = window.BarcodeDetector.getSupportedFormats ? window.BarcodeDetector.getSupportedFormats() : Promise.resolve(["qr_code"]);
    supported.then(function (formats) {
      if (formats.indexOf("qr_code") !== -1) {
        scanButton.hidden = false;
        scanButton.addEventListener("click", startScan);
        document.getElementById("scan-stop").addEventListener("click", stopScan);
      }
    }).catch(function () {});
  }
})();
