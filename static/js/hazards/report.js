/* The report form, enhanced: photo previews with client-side downscaling (the server never relies
   on it), geolocation with a draggable map pin and manual coordinates as fallbacks, and submission
   to the API with inline errors. Without JavaScript the same form posts to /report/. */
import { HttpError, send, text } from "../govern/http.js";

(function () {
  "use strict";

  var form = document.getElementById("report-form");
  if (!form) return;
  var msg = form.dataset;
  var maxPhotos = parseInt(msg.maxPhotos, 10) || 6;
  var cameraInput = document.getElementById("photo-camera");
  var galleryInput = document.getElementById("photo-gallery");
  var previews = document.getElementById("photo-previews");
  var latInput = document.getElementById("latitude");
  var lngInput = document.getElementById("longitude");
  var statusLine = document.getElementById("locate-status");
  var manual = document.getElementById("manual-coords");
  var submitButton = document.getElementById("submit-btn");
  var formError = document.getElementById("form-error");
  var photos = []; // {file, url}
  var map = null;
  var marker = null;

  // ---- photos ---------------------------------------------------------------------------
  var DOWNSCALE_EDGE = 2560;
  var DOWNSCALE_ABOVE_BYTES = 1.5 * 1024 * 1024;

  function addFiles(fileList) {
    setError("photos", "");
    Array.prototype.forEach.call(fileList, function (file) {
      if (photos.length >= maxPhotos) { setError("photos", msg.msgTooMany); return; }
      photos.push({ file: file, url: URL.createObjectURL(file) });
    });
    renderPreviews();
  }

  function renderPreviews() {
    previews.textContent = "";
    photos.forEach(function (photo, index) {
      var li = document.createElement("li");
      var img = document.createElement("img");
      img.src = photo.url;
      img.alt = photo.file.name;
      img.addEventListener("error", function () { img.replaceWith(document.createTextNode(photo.file.name)); });
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "hz-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", msg.msgRemove + " " + (index + 1));
      remove.addEventListener("click", function () {
        URL.revokeObjectURL(photo.url);
        photos.splice(index, 1);
        renderPreviews();
      });
      li.appendChild(img);
      li.appendChild(remove);
      previews.appendChild(li);
    });
  }

  [cameraInput, galleryInput].forEach(function (input) {
    input.addEventListener("change", function () {
      addFiles(input.files);
      input.value = ""; // the JS path keeps its own list; allow picking the same file again
    });
  });

  /* Downscale big JPEG/PNG/WebP photos in the browser to save the resident's data. HEIC and
     anything the browser cannot decode is sent as it is; the server decodes everything itself. */
  function prepare(file) {
    var decodable = /^image\/(jpeg|png|webp)$/.test(file.type);
    if (!decodable || file.size < DOWNSCALE_ABOVE_BYTES || typeof createImageBitmap !== "function") {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, DOWNSCALE_EDGE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]+$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg" }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  // ---- location -------------------------------------------------------------------------
  function setPoint(lat, lng, fromMap) {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    setError("location", "");
    suggestPremises(lat, lng);
    if (map) {
      if (!marker) {
        marker = window.L.marker([lat, lng], { draggable: true, autoPan: true, alt: msg.msgPinAlt, title: msg.msgPinAlt }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          setPoint(p.lat, p.lng, true);
        });
      } else {
        marker.setLatLng([lat, lng]);
      }
      if (!fromMap) map.setView([lat, lng], Math.max(map.getZoom(), pinZoom()));
    }
  }

  /* The registered premises near the pin, for the reporter to name one (a hint the grid worker
     checks). Asked once the pin rests; an answer for an older pin is dropped. */
  var premisesBox = document.getElementById("premises-suggest");
  var premisesSelect = document.getElementById("id_premises");
  var premisesTimer = null, premisesAsked = 0;

  function suggestPremises(lat, lng) {
    if (!premisesBox || !msg.nearbyApi) return;
    clearTimeout(premisesTimer);
    premisesTimer = setTimeout(function () {
      var asked = ++premisesAsked;
      var url = msg.nearbyApi + "?latitude=" + lat.toFixed(6) + "&longitude=" + lng.toFixed(6);
      send(url).then(function (response) {
        return response.ok ? response.json() : [];
      }).then(function (rows) {
        if (asked !== premisesAsked) return;
        var keep = premisesSelect.value;
        while (premisesSelect.options.length > 1) premisesSelect.remove(1);
        (rows || []).forEach(function (row) {
          var option = document.createElement("option");
          option.value = String(row.id);
          option.textContent = row.name + " · " + row.type.name + " · " + row.distance_m + " m";
          premisesSelect.appendChild(option);
        });
        premisesSelect.value = keep && premisesSelect.querySelector('option[value="' + keep + '"]') ? keep : "";
        premisesBox.hidden = !(rows && rows.length);
      }).catch(function () { /* no suggestion: the report does not need one */ });
    }, 400);
  }

  /* Close to the pin with a background to read; without one, far enough out that the grid
     outlines around the pin (the only landmarks left) stay in view. */
  function offline() { return document.getElementById("report-map").classList.contains("hz-map-offline"); }
  function pinZoom() { return offline() ? 14.5 : 17; }

  function locate() {
    if (!("geolocation" in navigator)) {
      statusLine.textContent = msg.msgGeoUnsupported;
      manual.open = true;
      return;
    }
    statusLine.textContent = msg.msgLocating;
    navigator.geolocation.getCurrentPosition(function (position) {
      var c = position.coords;
      setPoint(c.latitude, c.longitude, false);
      statusLine.textContent = msg.msgLocated.replace("%s", Math.round(c.accuracy || 0));
    }, function () {
      statusLine.textContent = msg.msgGeoDenied;
      manual.open = true;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function manualChanged() {
    var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
    if (isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180 && map) setPoint(lat, lng, false);
  }

  document.getElementById("locate-btn").addEventListener("click", locate);
  latInput.addEventListener("change", manualChanged);
  lngInput.addEventListener("change", manualChanged);

  if (window.HazardBasemap) {
    var mapElement = document.getElementById("report-map");
    mapElement.dataset.tileUrl = msg.tileUrl || "";
    mapElement.dataset.tileAttribution = msg.tileAttribution || "";
    map = window.HazardBasemap.create(mapElement, {
      offlineHint: msg.msgTiles,
      onTileError: function () {
        if (!statusLine.textContent || statusLine.textContent === msg.msgLocating) statusLine.textContent = msg.msgTiles;
        if (marker && map.getZoom() > pinZoom()) map.setView(marker.getLatLng(), pinZoom());
      }
    });
    if (map) {
      map.on("click", function (event) {
        setPoint(event.latlng.lat, event.latlng.lng, true);
        statusLine.textContent = msg.msgPin;
      });
    }
  } else {
    document.getElementById("report-map").hidden = true;
    manual.open = true;
  }
  if (latInput.value && lngInput.value) manualChanged();
  else locate();

  // ---- submit ---------------------------------------------------------------------------
  function setError(field, text) {
    var node = form.querySelector('[data-error-for="' + field + '"]');
    if (node) node.textContent = text || "";
  }

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll("[data-error-for]"), function (n) { n.textContent = ""; });
    formError.textContent = "";
  }

  function showErrors(body) {
    var errors = (body && body.errors) || {};
    var shown = false;
    Object.keys(errors).forEach(function (field) {
      var key = (field === "latitude" || field === "longitude") ? "location" : field;
      if (form.querySelector('[data-error-for="' + key + '"]')) { setError(key, errors[field].join(" ")); shown = true; }
    });
    formError.textContent = (body && body.detail) || msg.msgFailed;
    if (errors.latitude || errors.longitude) manual.open = true;
    return shown;
  }

  function storeHints(code, duplicates) {
    try { sessionStorage.setItem("hazard-hints:" + code, JSON.stringify(duplicates || [])); } catch (e) { /* private mode */ }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    if (!photos.length) { setError("photos", msg.msgNoPhoto); formError.textContent = msg.msgNoPhoto; return; }
    if (!latInput.value || !lngInput.value) {
      setError("location", msg.msgNoLocation); formError.textContent = msg.msgNoLocation; manual.open = true; return;
    }
    submitButton.disabled = true;
    var label = submitButton.textContent;
    submitButton.textContent = msg.msgSending;
    Promise.all(photos.map(function (p) { return prepare(p.file); })).then(function (files) {
      var data = new FormData();
      ["category", "description", "latitude", "longitude", "address", "contact_phone"].forEach(function (name) {
        var field = form.elements[name];
        if (field) data.append(name, field.value);
      });
      if (form.elements.contact_consent && form.elements.contact_consent.checked) data.append("contact_consent", "true");
      if (form.elements.sms_updates && form.elements.sms_updates.checked) data.append("sms_updates", "true");
      if (premisesSelect && premisesSelect.value && !premisesBox.hidden) data.append("premises", premisesSelect.value);
      files.forEach(function (file) { data.append("photos", file, file.name); });
      return send(msg.api, { method: "POST", body: data });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 201 && body.tracking_code) {
          storeHints(body.tracking_code, body.duplicates);
          window.location.assign(body.tracking_url + "?new=1");
          return;
        }
        showErrors(body);
        submitButton.disabled = false;
        submitButton.textContent = label;
      });
    }).catch(function (error) {
      // No answer at all: say so in the page's language (never the browser's "Failed to fetch").
      formError.textContent = error instanceof HttpError && error.status === 0 ? text("offline") : msg.msgFailed;
      submitButton.disabled = false;
      submitButton.textContent = label;
    });
  });
})();
