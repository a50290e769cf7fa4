/*
 * live.js: the one live client for every govern page. No dependencies, no build step.
 * Load it before your page script:
 *
 *   <script src="{% static 'js/live.js' %}" defer></script>
 *   <script src="{% static 'js/<app>/<page>.js' %}" defer></script>
 *
 * and pass `last_event_id` (govern.live.current_event_id(), read BEFORE the page's data) to the
 * template, which base.html puts on <body data-last-event-id="...">.
 *
 * API (window.GovernLive):
 *
 *   var live = GovernLive.connect({
 *     track: ["K7QX9M"],            // tracking codes to follow (what an anonymous page may join)
 *     topics: ["dispatch"],         // optional subset of the user's topics (default: all allowed)
 *     handlers: {                   // by event type; "*" gets every event
 *       "hazard.created": function (data, msg) { ... },
 *     },
 *     onEvent: function (type, data, msg) { ... },   // every event, after its typed handler
 *     onResync: function (msg) { ... },   // default: reload the page (at most once per 15 s)
 *     onDenied: function (code) { ... },  // 4400/4401/4403; default: reload once, then give up
 *     onStatus: function (state) { ... }, // "connecting" | "open" | "reconnecting" | "closed"
 *     lastEventId: 123,             // default: <body data-last-event-id>; "" or absent = live only
 *     url: "/ws/live/",             // default
 *   });
 *   live.on("task.offered", fn);   // add a handler later (same signature as `handlers`)
 *   live.lastEventId                // the newest event id handled (the resume position)
 *   live.state, live.socket         // for diagnostics
 *   live.reconnectNow()             // e.g. after the page knows the network is back
 *   live.close()                    // stop for good
 *
 * `msg` is the envelope {"id", "type", "data", "at"} (docs/events.md). Handlers must apply
 * state rather than count: an event the page already rendered may be replayed once after load.
 *
 * What it does for you: connects to /ws/live/ with ?last_event_id=<position> so the server
 * replays what happened since the page was rendered; reconnects after any drop with exponential
 * backoff and jitter (0.5 s doubling to 30 s, randomised to 50-100 %), resuming from the last id
 * it handled, at once when the tab becomes visible or the network comes back; drops any event
 * whose id it has already passed; sends a ping every 25 s and treats 10 s of silence after it
 * as a dead connection (a phone in a lift); shows base.html's #live-status "Reconnecting…" pill
 * while it is down; on {"type": "resync"} (the position is older than the server keeps) reloads
 * the page. A handler that throws is logged and does not stop the stream.
 */
(function (global) {
  "use strict";

  var BACKOFF_BASE_MS = 500;
  var BACKOFF_CAP_MS = 30000;
  var STABLE_MS = 5000;          // a connection open this long resets the backoff
  var PING_EVERY_MS = 25000;
  var PONG_TIMEOUT_MS = 10000;
  var RELOAD_GUARD_MS = 15000;
  var DENIED = { 4400: true, 4401: true, 4403: true };

  function parsePosition(value) {
    if (value === null || value === undefined || value === "") return null;
    var n = Number(value);
    return isFinite(n) && n >= 0 && Math.floor(n) === n ? n : null;
  }

  function asList(value) {
    if (!value) return [];
    return (Array.isArray(value) ? value : String(value).split(",")).map(function (s) { return String(s).trim(); }).filter(Boolean);
  }

  // Reload at most once per RELOAD_GUARD_MS for this page, so a page that keeps answering
  // "resync" or "denied" cannot reload forever.
  function guardedReload(reason) {
    var key = "governLive.reload:" + global.location.pathname + global.location.search;
    var now = Date.now();
    var last = 0;
    try { last = Number(global.sessionStorage.getItem(key)) || 0; } catch (e) { /* storage off */ }
    if (now - last < RELOAD_GUARD_MS) {
      if (global.console) console.warn("govern live: not reloading again so soon (" + reason + ")");
      return false;
    }
    try { global.sessionStorage.setItem(key, String(now)); } catch (e) { /* storage off */ }
    global.location.reload();
    return true;
  }

  function LiveConnection(options) {
    this.options = options;
    this.handlers = {};
    var given = options.handlers || {};
    for (var type in given) {
      if (Object.prototype.hasOwnProperty.call(given, type)) this.on(type, given[type]);
    }
    var initial = options.lastEventId !== undefined ? options.lastEventId
      : (global.document.body && global.document.body.getAttribute("data-last-event-id"));
    this.lastEventId = parsePosition(initial);
    if (this.lastEventId === null && global.console) {
      console.info("govern live: the page gave no data-last-event-id; following live events from now on");
    }
    this.state = "connecting";
    this.socket = null;
    this.attempt = 0;
    this.stopped = false;
    this._timers = {};
    this.statusElement = options.statusElement !== undefined ? options.statusElement : global.document.getElementById("live-status");
    var self = this;
    this._onWake = function () {
      if (global.document.visibilityState !== "hidden" && self.state === "reconnecting") self.reconnectNow();
    };
    global.addEventListener("online", this._onWake);
    global.document.addEventListener("visibilitychange", this._onWake);
    if (options.onStatus) {
      try { options.onStatus(this.state); } catch (e) { console.error(e); }
    }
    this._open();
  }

  LiveConnection.prototype.on = function (type, fn) {
    (this.handlers[type] = this.handlers[type] || []).push(fn);
    return this;
  };

  LiveConnection.prototype._url = function () {
    var base = this.options.url || "/ws/live/";
    if (!/^wss?:/.test(base)) {
      base = (global.location.protocol === "https:" ? "wss://" : "ws://") + global.location.host + base;
    }
    var params = [];
    var track = asList(this.options.track);
    var topics = asList(this.options.topics);
    if (track.length) params.push("track=" + encodeURIComponent(track.join(",")));
    if (topics.length) params.push("topics=" + encodeURIComponent(topics.join(",")));
    if (this.lastEventId !== null) params.push("last_event_id=" + this.lastEventId);
    return base + (params.length ? (base.indexOf("?") < 0 ? "?" : "&") + params.join("&") : "");
  };

  LiveConnection.prototype._setState = function (state) {
    if (this.state === state) return;
    this.state = state;
    if (this.statusElement) this.statusElement.hidden = state !== "reconnecting";
    if (this.options.onStatus) {
      try { this.options.onStatus(state); } catch (e) { console.error(e); }
    }
  };

  LiveConnection.prototype._clear = function (name) {
    if (this._timers[name]) {
      clearTimeout(this._timers[name]);
      this._timers[name] = null;
    }
  };

  LiveConnection.prototype._open = function () {
    if (this.stopped) return;
    var self = this;
    var socket;
    try {
      socket = new WebSocket(this._url());
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = function () {
      if (socket !== self.socket) return;
      self._setState("open");
      self._timers.stable = setTimeout(function () { self.attempt = 0; }, STABLE_MS);
      self._schedulePing();
    };
    socket.onmessage = function (e) {
      if (socket !== self.socket) return;
      self._alive();
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      self._handle(msg);
    };
    socket.onclose = function (e) {
      if (socket !== self.socket) return;
      self.socket = null;
      ["stable", "ping", "pong"].forEach(self._clear, self);
      if (self.stopped) return;
      if (DENIED[e.code]) {
        self.stopped = true;
        self._setState("closed");
        if (self.options.onDenied) self.options.onDenied(e.code);
        else guardedReload("closed with " + e.code);
        return;
      }
      self._scheduleReconnect();
    };
    socket.onerror = function () { /* onclose follows and decides */ };
  };

  LiveConnection.prototype._scheduleReconnect = function () {
    var self = this;
    this._setState("reconnecting");
    var ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, this.attempt));
    var delay = ceiling / 2 + Math.random() * ceiling / 2;
    this.attempt += 1;
    this._clear("retry");
    this._timers.retry = setTimeout(function () { self._timers.retry = null; self._open(); }, delay);
  };

  LiveConnection.prototype._schedulePing = function () {
    var self = this;
    this._clear("ping");
    this._timers.ping = setTimeout(function () {
      if (!self.socket || self.socket.readyState !== 1) return;
      try { self.socket.send(JSON.stringify({ type: "ping" })); } catch (e) { /* closing */ }
      self._timers.pong = setTimeout(function () {
        // No answer: the connection is dead even if the browser has not noticed (half-open).
        var dead = self.socket;
        if (dead) {
          self.socket = null;
          try { dead.close(); } catch (e) { /* already closed */ }
          self._scheduleReconnect();
        }
      }, PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  };

  LiveConnection.prototype._alive = function () {
    this._clear("pong");
    this._schedulePing();
  };

  LiveConnection.prototype._handle = function (msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "pong") return;
    if (msg.type === "resync") {
      // The server continues live from its newest id; remember it in case the page stays.
      var head = parsePosition(msg.last_event_id);
      if (head !== null) this.lastEventId = head;
      if (this.options.onResync) {
        try { this.options.onResync(msg); } catch (e) { console.error(e); }
      } else {
        guardedReload("resync");
      }
      return;
    }
    if (typeof msg.id !== "number") return;
    // The server sends ids in increasing order and we resume after the last one, so anything at
    // or below it is a duplicate.
    if (this.lastEventId !== null && msg.id <= this.lastEventId) return;
    this.lastEventId = msg.id;
    var fns = (this.handlers[msg.type] || []).concat(this.handlers["*"] || []);
    for (var i = 0; i < fns.length; i++) {
      try { fns[i](msg.data, msg); } catch (e) { console.error("govern live handler for " + msg.type + " failed", e); }
    }
    if (this.options.onEvent) {
      try { this.options.onEvent(msg.type, msg.data, msg); } catch (e) { console.error(e); }
    }
  };

  LiveConnection.prototype.reconnectNow = function () {
    if (this.stopped) return;
    this._clear("retry");
    this.attempt = 0;
    if (!this.socket) this._open();
  };

  LiveConnection.prototype.close = function () {
    this.stopped = true;
    ["retry", "stable", "ping", "pong"].forEach(this._clear, this);
    global.removeEventListener("online", this._onWake);
    global.document.removeEventListener("visibilitychange", this._onWake);
    var socket = this.socket;
    this.socket = null;
    if (socket) {
      try { socket.close(1000); } catch (e) { /* already closed */ }
    }
    this._setState("closed");
  };

  var GovernLive = {
    connections: [],
    connect: function (options) {
      var connection = new LiveConnection(options || {});
      GovernLive.connections.push(connection);
      return connection;
    },
  };
  global.GovernLive = GovernLive;
})(window);
