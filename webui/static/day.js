/* Day view: plan in the background with progress, draw the routes, select and edit stops. */
(function () {
  "use strict";
  var lm = window.lastmile;
  var mapEl = document.getElementById("map");
  var colours = JSON.parse(mapEl.dataset.colours || "{}");
  var map = lm.createMap(mapEl, mapEl.dataset.basemap);
  var routeLayers = [];
  var stopMarkers = {};
  var selected = null;

  function showError(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  /* ---------------------------------------------------------------- routes on the map */
  function drawRoutes(doc) {
    var bounds = L.latLngBounds([]);
    var overlays = {};
    var locks = doc.locks || {};
    var groups = {};
    doc.features.forEach(function (f) {
      var p = f.properties;
      if (p.kind === "route") {
        var c = colours[p.vehicle_id] || "#333";
        var line = L.geoJSON(f, { style: { color: c, weight: 4, opacity: 0.85, className: "route-line route-" + p.vehicle_id } });
        line.bindTooltip(lm.esc(p.vehicle_id) + ": " + p.stops + " stops, " + (p.distance_m / 1000).toFixed(1) + " km, " + lm.esc(p.start) + "–" + lm.esc(p.end), { sticky: true });
        groups[p.vehicle_id] = groups[p.vehicle_id] || L.layerGroup();
        groups[p.vehicle_id].addLayer(line);
        routeLayers.push(line);
        bounds.extend(line.getBounds());
      }
    });
    doc.features.forEach(function (f) {
      var p = f.properties;
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (p.kind === "stop") {
        var c = colours[p.vehicle_id] || "#333";
        var m = L.marker(ll, { icon: lm.numberedIcon(p.seq, c, !!locks[p.stop_id]), title: p.stop_id, riseOnHover: true });
        m.bindTooltip(lm.esc(p.vehicle_id) + " #" + p.seq + " · " + lm.esc(p.arrival) + " (slot " + lm.esc(p.window) + ")<br>" + lm.esc(p.address || p.stop_id));
        m.on("click", function () { select(p.stop_id, p.vehicle_id, p.seq); });
        (groups[p.vehicle_id] = groups[p.vehicle_id] || L.layerGroup()).addLayer(m);
        stopMarkers[p.stop_id] = m;
        bounds.extend(ll);
      } else if (p.kind === "depot") {
        L.marker(ll, { icon: L.divIcon({ className: "depot-marker", html: "<span>D</span>", iconSize: [24, 24], iconAnchor: [12, 12] }), title: p.name })
          .bindTooltip("Depot: " + lm.esc(p.name)).addTo(map);
        bounds.extend(ll);
      }
    });
    Object.keys(groups).forEach(function (v) {
      groups[v].addTo(map);
      overlays['<span class="swatch" style="background:' + lm.esc(colours[v] || "#333") + '"></span>' + lm.esc(v)] = groups[v];
    });
    if (Object.keys(overlays).length) { L.control.layers(null, overlays, { collapsed: window.innerWidth < 700 }).addTo(map); }
    mapEl.dataset.routeLayers = String(routeLayers.length);
    if (bounds.isValid()) { map._fitted = true; map.fitBounds(bounds.pad(0.05), { animate: false }); }
    mapEl.dataset.routes = "drawn";
  }

  function drawOrders(points) {
    var bounds = L.latLngBounds([]);
    points.forEach(function (o) {
      L.circleMarker([o.lat, o.lon], { radius: 4, color: "#555", weight: 1, fillColor: "#f0a030", fillOpacity: 0.9, className: "order-dot" })
        .bindTooltip(lm.esc(o.id) + " · slot " + lm.esc(o.slot)).addTo(map);
      bounds.extend([o.lat, o.lon]);
    });
    if (bounds.isValid()) { map._fitted = true; map.fitBounds(bounds.pad(0.05), { animate: false }); }
  }

  if (mapEl.dataset.routes) {
    lm.getJSON(mapEl.dataset.routes).then(drawRoutes).catch(function (err) {
      lm.showMapNote(mapEl, "The routes could not be loaded: " + err.message);
      mapEl.dataset.routes = "failed";
    });
  } else {
    drawOrders(JSON.parse(mapEl.dataset.orders || "[]"));
  }

  /* ---------------------------------------------------------------- background solve */
  var progressBox = document.getElementById("progress");
  var progressBar = document.getElementById("progress-bar");
  var progressText = document.getElementById("progress-text");
  var actionError = document.getElementById("action-error");

  var stopButton = null;

  function showStop(url, job) {  /* a running solve can be stopped early, keeping its best plan */
    if (!stopButton) {
      stopButton = document.createElement("button");
      stopButton.type = "button";
      stopButton.id = "stop-button";
      stopButton.textContent = "Stop and keep the best plan";
      progressBox.appendChild(stopButton);
    }
    stopButton.hidden = !(job.kind === "plan" || job.kind === "re-optimize") || !(job.state === "queued" || job.state === "running");
    stopButton.onclick = function () {
      stopButton.disabled = true;
      stopButton.textContent = "Stopping…";
      lm.postJSON(url + "/stop", {}).then(function (r) {
        if (!r.ok) { stopButton.disabled = false; showError(actionError, r.data.error || "the solve could not be stopped"); }
      }).catch(function (err) { stopButton.disabled = false; showError(actionError, "the server could not be reached: " + err.message); });
    };
  }

  function poll(url) {
    progressBox.hidden = false;
    lm.getJSON(url).then(function (job) {
      showStop(url, job);
      progressBar.value = job.fraction;
      var text = job.kind + ": " + job.stage + " · " + job.elapsed_s.toFixed(0) + " of about " + job.time_limit_s + " s";
      if (job.best_cost !== null) { text += " · best cost so far " + Math.round(job.best_cost).toLocaleString(); }
      progressText.textContent = text;
      if (job.state === "done" || (job.state === "stopped" && job.url)) {
        progressText.textContent = "Plan ready, loading…";
        window.location.assign(job.url || window.location.pathname);
      } else if (job.state === "stopped") {
        progressBox.hidden = true;
        setBusy(false);
        showError(actionError, "The solve was stopped before it started; no new plan was made.");
      } else if (job.state === "failed") {
        progressBox.hidden = true;
        setBusy(false);
        showError(actionError, job.message);
      } else {
        setTimeout(function () { poll(url); }, 500);
      }
    }).catch(function (err) {
      progressBox.hidden = true;
      setBusy(false);
      showError(actionError, err.message);
    });
  }

  function setBusy(busy) {
    document.querySelectorAll("#plan-button, #reoptimize-button").forEach(function (b) { b.disabled = busy; });
  }

  function start(url) {
    showError(actionError, "");
    setBusy(true);
    var limit = document.getElementById("time-limit");
    lm.postJSON(url, { time_limit: limit ? limit.value : null }).then(function (r) {
      if (!r.ok) { setBusy(false); showError(actionError, r.data.error || "the solve could not start"); return; }
      poll(r.data.poll);
    }).catch(function (err) { setBusy(false); showError(actionError, "the server could not be reached: " + err.message); });
  }

  var planForm = document.getElementById("plan-form");
  if (planForm) {
    planForm.addEventListener("submit", function (ev) { ev.preventDefault(); start(planForm.dataset.url); });
  }
  var reopt = document.getElementById("reoptimize-button");
  if (reopt) { reopt.addEventListener("click", function () { start(reopt.dataset.url); }); }
  if (progressBox && progressBox.dataset.running) {
    setBusy(true);
    poll(progressBox.dataset.poll.replace("JOB", progressBox.dataset.running));
  }

  /* ---------------------------------------------------------------- selecting and editing stops */
  var editbar = document.getElementById("editbar");

  function select(stopId, vehicle, seq) {
    selected = stopId;
    document.querySelectorAll(".stop-row.selected").forEach(function (r) { r.classList.remove("selected"); });
    document.querySelectorAll('.stop-row[data-stop-id="' + CSS.escape(stopId) + '"]').forEach(function (r) { r.classList.add("selected"); });
    if (stopMarkers[stopId]) { stopMarkers[stopId].openTooltip(); }
    if (!editbar) { return; }
    editbar.hidden = false;
    document.getElementById("edit-stop").textContent = stopId + (vehicle ? " on " + vehicle + ", stop " + seq : " (unserved)");
    if (vehicle) { document.getElementById("edit-vehicle").value = vehicle; }
    document.getElementById("edit-position").value = "";
    showError(document.getElementById("edit-error"), "");
  }

  document.querySelectorAll(".stop-row").forEach(function (row) {
    function pick() { select(row.dataset.stopId, row.dataset.vehicle, row.dataset.seq); }
    row.addEventListener("click", pick);
    row.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { pick(); } });
  });

  if (editbar) {
    editbar.querySelectorAll("button[data-action]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var errEl = document.getElementById("edit-error");
        if (!selected) { showError(errEl, "Choose a stop first: click it in a stop list or on the map."); return; }
        var body = { action: btn.dataset.action, stop_id: selected,
                     vehicle_id: document.getElementById("edit-vehicle").value,
                     position: document.getElementById("edit-position").value };
        if (btn.dataset.action === "lock") {
          var row = document.querySelector('.stop-row[data-stop-id="' + CSS.escape(selected) + '"]');
          // Locking keeps the stop where it is unless the dispatcher picked another vehicle.
          if (row && row.dataset.vehicle === body.vehicle_id) { body.position = ""; }
        }
        editbar.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        lm.postJSON(editbar.dataset.url, body).then(function (r) {
          if (!r.ok) {
            editbar.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
            showError(errEl, r.data.error || "the edit failed");
            return;
          }
          window.location.assign(r.data.url);
        }).catch(function (err) {
          editbar.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
          showError(errEl, "the server could not be reached: " + err.message);
        });
      });
    });
    document.getElementById("edit-close").addEventListener("click", function () { editbar.hidden = true; });
  }
})();
