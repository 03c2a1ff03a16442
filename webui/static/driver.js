/* The driver's page: the day's stops, one tap per event, an outbox kept in localStorage.
 *
 * The token arrives once as ?token= in the dispatcher's link; it is kept in localStorage and
 * removed from the address bar. Every tap makes an event with its own id (crypto.randomUUID())
 * and appends it to the queue; the queue is sent in order, one event at a time, whenever the
 * phone is online (on load, after a tap, on the window's "online" event and every few seconds).
 * A network error or a 5xx keeps the event queued, and so does a 401 (a revoked link) until a
 * new link is opened on the phone; a resend of a recorded id is answered
 * "200 duplicate" and is harmless. An event the server refuses (4xx) can never succeed: it is
 * dropped from the queue and its reason shown. */
(function () {
  "use strict";
  var root = document.getElementById("driver");
  if (!root) { return; }
  var lm = window.lastmile;
  var TOKEN_KEY = "lastmile.driver.token";
  var QUEUE_KEY = "lastmile.driver.queue";
  var DAY_KEY = "lastmile.driver.day";
  var DEPARTED_KEY = "lastmile.driver.departed";
  var RETRY_MS = 4000;
  var REASONS = { not_home: "not at home", refused: "refused", address_problem: "address problem",
                  damaged: "damaged", no_access: "no access", other: "other" };

  var statusEl = document.getElementById("queue-status");
  var messageEl = document.getElementById("driver-message");
  var refusedEl = document.getElementById("refused");
  var listEl = document.getElementById("stops");
  var template = document.getElementById("stop-template");
  var departButton = document.getElementById("depart");
  departButton.addEventListener("click", function () { report(null, "departed", null); });

  /* ---------------------------------------------------------------- storage */
  function load(key, fallback) {
    try { var v = window.localStorage.getItem(key); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(key, value) { window.localStorage.setItem(key, JSON.stringify(value)); }

  function takeToken() {
    var url = new URL(window.location.href);
    var fresh = url.searchParams.get("token");
    if (fresh) {
      if (fresh !== load(TOKEN_KEY, null)) { window.localStorage.removeItem(DAY_KEY); }
      save(TOKEN_KEY, fresh);
      url.searchParams.delete("token");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
    return load(TOKEN_KEY, null);
  }

  var token = takeToken();
  var queue = load(QUEUE_KEY, []).map(function (q) { return q.event ? q : { token: token, event: q }; });  /* [{token, event}], oldest first */
  var day = load(DAY_KEY, null);
  var sending = false;

  function headers(json, withToken) {
    var h = { "Authorization": "Bearer " + (withToken || token), "Accept": "application/json" };
    if (json) { h["Content-Type"] = "application/json"; }
    return h;
  }

  function say(el, text) { el.textContent = text || ""; el.hidden = !text; }

  function showQueue() {
    var n = queue.length;
    statusEl.dataset.count = String(n);
    statusEl.textContent = n === 0 ? "Nothing waiting to send" : n + " waiting to send";
    statusEl.classList.toggle("waiting", n > 0);
  }

  /* ---------------------------------------------------------------- times */
  function isoNow() {  /* local time with its offset, as the API wants it */
    var d = new Date();
    var off = -d.getTimezoneOffset();
    function p(n) { return (n < 10 ? "0" : "") + n; }
    var sign = off >= 0 ? "+" : "-";
    var a = Math.abs(off);
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" +
      p(d.getMinutes()) + ":" + p(d.getSeconds()) + sign + p(Math.floor(a / 60)) + ":" + p(a % 60);
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    /* Pages served over plain http on a LAN have no randomUUID: a v4 UUID from getRandomValues. */
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* ---------------------------------------------------------------- the stops */
  function localStatus(stop) {  /* the server's status, moved on by the events still queued */
    var status = stop.status;
    queue.forEach(function (q) {
      var e = q.event;
      if (e.stop_id !== stop.stop_id) { return; }
      if (e.type === "arrived" && status === "planned") { status = "arrived"; }
      if (e.type === "delivered" || e.type === "failed") { status = e.type; }
    });
    return status;
  }

  function isDone(status) { return status === "delivered" || status === "failed"; }

  function render() {
    listEl.textContent = "";
    if (!day) { return; }
    document.getElementById("driver-title").textContent = day.vehicle_id + " · " + day.date;
    departButton.hidden = departedKnown();
    var next = null;
    day.stops.forEach(function (stop) {
      var status = localStatus(stop);
      if (!next && !isDone(status)) { next = stop; }
      var li = template.content.firstElementChild.cloneNode(true);
      li.dataset.stopId = stop.stop_id;
      li.dataset.status = status;
      li.classList.add("status-" + status);
      li.querySelector(".seq").textContent = "#" + stop.seq;
      li.querySelector(".address").textContent = stop.address || stop.stop_id;
      li.querySelector(".slot").textContent = "slot " + stop.slot;
      li.querySelector(".eta").textContent = stop.eta ? stop.eta.start + "–" + stop.eta.end : (stop.live_eta || "–");
      li.querySelector(".parcels").textContent = stop.parcels + (stop.parcels === 1 ? " parcel" : " parcels") +
        (stop.order_ids && stop.order_ids.length > 1 ? " (" + stop.order_ids.length + " orders)" : "");
      li.querySelector(".instructions").textContent = stop.instructions || "";
      var queued = queue.some(function (q) { return q.event.stop_id === stop.stop_id; });
      li.querySelector(".stop-status").textContent = status + (queued ? " (waiting to send)" : "");
      li.querySelectorAll(".stop-actions button").forEach(function (btn) {
        var type = btn.dataset.type;
        btn.disabled = isDone(status) || (type === "arrived" && status !== "planned");
        btn.addEventListener("click", function () {
          if (type === "failed") { li.querySelector(".fail-box").hidden = false; return; }
          report(stop, type, null);
        });
      });
      li.querySelector(".confirm-fail").addEventListener("click", function () {
        report(stop, "failed", li.querySelector(".reason").value);
      });
      li.querySelector(".cancel-fail").addEventListener("click", function () { li.querySelector(".fail-box").hidden = true; });
      listEl.appendChild(li);
    });
    showNext(next);
  }

  /* ---------------------------------------------------------------- the queue */
  function departedKnown() {
    if (!day) { return false; }
    return !!day.departed || load(DEPARTED_KEY, "") === day.date + "/" + day.vehicle_id ||
      queue.some(function (q) { return q.event.type === "departed" && q.token === token; }) ||
      day.stops.some(function (s) { return s.status !== "planned"; });
  }

  function enqueue(ev) {  /* each event keeps the token it was made under (a new link must not send it as another day's) */
    ev.id = newId();
    queue.push({ token: token, event: ev });
  }

  /* One tap is one report: the API wants the van departed and at the stop before an outcome,
   * so a tap queues what is missing first (a resend of those is refused as already recorded
   * and dropped quietly). */
  function report(stop, type, reason) {
    var at = isoNow();
    if (!departedKnown()) {
      enqueue({ type: "departed", at: at });
      save(DEPARTED_KEY, day.date + "/" + day.vehicle_id);
    }
    if (stop && type !== "arrived" && localStatus(stop) === "planned") { enqueue({ type: "arrived", at: at, stop_id: stop.stop_id }); }
    if (stop) {
      var ev = { type: type, at: at, stop_id: stop.stop_id };
      if (reason) { ev.reason = reason; }
      enqueue(ev);
    }
    save(QUEUE_KEY, queue);
    showQueue();
    render();
    flush();
  }

  function flush() {
    if (sending || !token || queue.length === 0) { return; }
    sending = true;
    var item = queue[0];
    var ev = item.event;
    fetch(root.dataset.eventsUrl, { method: "POST", headers: headers(true, item.token), body: JSON.stringify(ev), credentials: "omit" })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) { return { status: resp.status, data: data }; });
      })
      .then(function (r) {
        sending = false;
        if (r.status === 200 || r.status === 201) {
          drop(ev);
          flush();
          if (queue.length === 0) { refresh(); }
        } else if (r.status === 401 && item.token !== token) {
          /* made under a link that no longer works, and a newer link is open: send it with that one */
          queue = load(QUEUE_KEY, []).map(function (q) { if (q.event.id === ev.id) { q.token = token; } return q; });
          save(QUEUE_KEY, queue);
          flush();
        } else if (r.status === 401) {
          say(messageEl, (r.data.error && r.data.error.message) || "This link is not valid any more; ask your dispatcher for a new one.");
        } else if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
          drop(ev);
          var quiet = r.status === 409 && r.data.error && r.data.error.reason === "already_recorded" &&
            (ev.type === "departed" || ev.type === "arrived");
          if (quiet) { flush(); return; }
          var msg = (r.data.error && r.data.error.message) || ("the server answered " + r.status);
          say(refusedEl, "Not recorded (" + ev.type + " at stop " + ev.stop_id + "): " + msg);
          flush();
        }  /* 5xx, 408, 429: keep it queued; the timer tries again */
      })
      .catch(function () { sending = false; });  /* offline or no answer: kept, retried */
  }

  function drop(ev) {
    queue = load(QUEUE_KEY, []).filter(function (q) { return q.event.id !== ev.id; });
    save(QUEUE_KEY, queue);
    showQueue();
    render();
  }

  /* ---------------------------------------------------------------- the day from the server */
  function refresh() {
    return fetch(root.dataset.dayUrl, { headers: headers(false), credentials: "omit" })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          if (resp.status === 401) {
            root.dataset.state = "refused";
            say(messageEl, (data.error && data.error.message) || "This link is not valid any more; ask your dispatcher for a new one.");
            return;
          }
          if (!resp.ok) { throw new Error((data.error && data.error.message) || ("the server answered " + resp.status)); }
          day = data;
          save(DAY_KEY, day);
          say(messageEl, "");
          root.dataset.state = "ready";
          render();
        });
      })
      .catch(function (err) {
        root.dataset.state = day ? "offline" : "failed";
        if (day) { render(); say(messageEl, "Offline: showing the stops as last loaded. Taps are kept and sent later."); }
        else { say(messageEl, "The stops could not be loaded (" + err.message + "). Check the connection; the page tries again."); }
      });
  }

  /* ---------------------------------------------------------------- the next leg on the map */
  var map = null;
  var legLayer = null;
  var legStop = null;
  var mapEl = document.getElementById("leg-map");

  function makeMap() {
    /* The basemap needs the token: fetch it with the header and hand map.js a blob: URL. */
    var blobUrl = fetch(root.dataset.basemapUrl, { headers: headers(false), credentials: "omit" })
      .then(function (resp) { if (!resp.ok) { throw new Error("the server answered " + resp.status); } return resp.blob(); })
      .then(function (blob) { return URL.createObjectURL(blob); });
    return blobUrl.then(function (url) { map = lm.createMap(mapEl, url); return map; });
  }

  function showNext(stop) {
    var box = document.getElementById("next-leg");
    if (!stop) { box.hidden = true; return; }
    box.hidden = false;
    document.getElementById("next-stop").textContent = "#" + stop.seq + " " + (stop.address || stop.stop_id);
    if (legStop === stop.stop_id) { return; }
    legStop = stop.stop_id;
    mapEl.dataset.leg = "loading";
    var ready = map ? Promise.resolve(map) : makeMap();
    ready.then(function (m) {
      return fetch(root.dataset.legUrl + "?stop=" + encodeURIComponent(stop.stop_id), { headers: headers(false), credentials: "omit" })
        .then(function (resp) { return resp.json().then(function (doc) { if (!resp.ok) { throw new Error(doc.error && doc.error.message); } return doc; }); })
        .then(function (doc) {
          if (legStop !== stop.stop_id) { return; }
          if (legLayer) { m.removeLayer(legLayer); }
          legLayer = L.geoJSON(doc, {
            style: function (f) {
              return f.geometry.type === "LineString" ? { color: "#1f6fd1", weight: 5, opacity: 0.9, className: "leg-line" } : {};
            },
            pointToLayer: function (f, ll) {
              var to = f.properties.kind === "to";
              return L.circleMarker(ll, { radius: to ? 8 : 5, color: "#fff", weight: 2, fillColor: to ? "#1f6fd1" : "#555",
                                          fillOpacity: 1, className: to ? "leg-to" : "leg-from" });
            }
          }).addTo(m);
          m._fitted = true;
          m.fitBounds(legLayer.getBounds().pad(0.2), { animate: false });
          mapEl.dataset.leg = stop.stop_id;
        });
    }).catch(function () { mapEl.dataset.leg = "failed"; legStop = null; });
  }

  /* ---------------------------------------------------------------- start */
  showQueue();
  if (!token) {
    root.dataset.state = "no-token";
    say(messageEl, "Open the driver link your dispatcher gave you (it ends in ?token=...) on this phone.");
    return;
  }
  render();
  refresh().then(flush);
  window.addEventListener("online", flush);
  window.setInterval(function () { flush(); if (root.dataset.state !== "ready" && queue.length === 0) { refresh(); } }, RETRY_MS);
})();
