/* Merchant check page: accept a code through the API, typed or scanned from the customer's QR code
 * with the camera. Scanning uses the browser's BarcodeDetector where it has one (Chrome on
 * Android) and otherwise reads camera frames with jsQR (static/vendor/jsqr, loaded on the first
 * scan: iPhones, desktop browsers). Typing the code always works; without this script the form
 * posts to the page. */
import { api, errorMessage } from "../govern/http.js";
import { formatTime, labels } from "./common.js";

const L = labels();
const form = document.getElementById("use-form");
const input = document.getElementById("code");
const result = document.getElementById("use-result");
const button = document.getElementById("use-button");
const SCAN_FOR_MS = 60000;  // never leave the camera on
let busy = false;

function show(cls, title, line) {
  result.className = `rw-use-result ${cls}`;
  result.textContent = "";
  const strong = document.createElement("strong");
  strong.textContent = title;
  result.appendChild(strong);
  if (line) {
    const div = document.createElement("div");
    div.textContent = line;
    result.appendChild(div);
  }
}

async function use(code) {
  if (busy || !code.trim()) return;
  busy = true;
  button.disabled = true;
  show("", L.text.working || "…");
  try {
    const body = await api("/api/v1/redemptions/use/", { method: "POST", body: { code } });
    show("ok", `✅ ${L.text.accepted}: ${body.coupon.title}`, `${body.display_code} · ${L.text.usedAt} ${formatTime(body.used_at)}`);
    input.value = "";
  } catch (error) {
    show("error", `⛔ ${errorMessage(error)}`);
  } finally {
    busy = false;
    button.disabled = false;
    input.focus();
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  use(input.value);
});

/* --- QR scanning ---------------------------------------------------------------------------- */

const scanButton = document.getElementById("scan-button");
const scanner = document.getElementById("scanner");
const video = document.getElementById("scan-video");
const scanNote = document.getElementById("scan-note");
let stream = null;
let deadline = 0;
let jsqr = null;

// A reader of one video frame: the browser's detector, else jsQR over the frame's pixels.
async function frameReader() {
  if ("BarcodeDetector" in window) {
    try {
      const formats = window.BarcodeDetector.getSupportedFormats ? await window.BarcodeDetector.getSupportedFormats() : ["qr_code"];
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        scanner.dataset.reader = "native";
        return async () => {
          const codes = await detector.detect(video);
          return codes.length ? codes[0].rawValue : "";
        };
      }
    } catch (_err) { /* fall back to jsQR */ }
  }
  if (!jsqr) jsqr = await loadJsQR();
  scanner.dataset.reader = "jsqr";
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async () => {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return "";
    // Phones give large frames; a QR code held up to the camera reads fine at 640 px wide.
    const scale = Math.min(1, 640 / width);
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = jsqr(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
    return found ? found.data : "";
  };
}

function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = scanner.dataset.decoderUrl;
    script.onload = () => (window.jsQR ? resolve(window.jsQR) : reject(new Error("jsQR")));
    script.onerror = reject;
    document.head.appendChild(script);
  });
}

function stopScan() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  scanner.hidden = true;
  scanButton.hidden = false;
}

async function scanLoop(read) {
  while (stream) {
    if (Date.now() > deadline) { stopScan(); return; }
    let value = "";
    try { value = await read(); } catch (_err) { value = ""; }
    if (value && stream) {
      input.value = value;
      stopScan();
      use(value);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function startScan() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    video.srcObject = stream;
    scanner.hidden = false;
    scanButton.hidden = true;
    if (scanNote) scanNote.textContent = scanner.dataset.msgScanning || "";
    deadline = Date.now() + SCAN_FOR_MS;
    await video.play();
    scanLoop(await frameReader());
  } catch (_err) {
    stopScan();
    show("error", L.text.cameraFailed || "");
  }
}

if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  scanButton.hidden = false;
  scanButton.addEventListener("click", startScan);
  document.getElementById("scan-stop").addEventListener("click", stopScan);
}

window.GovernMerchant = { use, stopScan };
