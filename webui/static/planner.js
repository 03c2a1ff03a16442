/* Planner view: pickup points on the street basemap; click one to draw its walking catchments. */
(function () {
  "use strict";
  var lm = window.lastmile;
  var mapEl = document.getElementById("map");
  var map = lm.createMap(mapEl, mapEl.dataset.basemap);
  var points = JSON.parse(mapEl.dataset.points || "[]");
  var markers = {};
  var shown = {};
  var bounds = L.latLngBounds([]);
  var RADIUS_STYLE = [{ color: "#2e8b57", fillOpacity: 0.25 }, { color: "#4a78b0", fillOpacity: 0.12 }];

  points.forEach(function (p) {
    var m = L.circleMarker([p.lat, p.lon], { radius: p.active ? 8 : 4, weight: p.active ? 2 : 1, color: "#fff",
                                             fillColor: p.active ? "#2e8b57" : "#8a8f98", fillOpacity: p.active ? 1 : 0.8,
                                             className: "pickup-point" + (p.active ? " active" : "") });
    m.bindTooltip(lm.esc(p.name) + " (" + lm.esc(p.kind) + ", " + (p.active ? "active" : "inactive") + ", " + lm.esc(p.capacity) + " parcels/day)");
    m.on("click", function () { toggle(p.id); });
    m.addTo(map);
    markers[p.id] = m;
    bounds.extend([p.lat, p.lon]);
  });
  points.forEach(function (p) { if (p.active) { markers[p.id].bringToFront(); } });
  if (bounds.isValid()) { map._fitted = true; map.fitBounds(bounds.pad(0.1), { animate: false }); }

  function toggle(id) {
    document.querySelectorAll(".point-row").forEach(function (r) { r.classList.toggle("selected", r.dataset.pointId === id); });
    if (shown[id]) { map.removeLayer(shown[id]); delete shown[id]; count(); return; }
    lm.getJSON(mapEl.dataset.catchment.replace("POINT", encodeURIComponent(id))).then(function (doc) {
      var n = doc.features.length;
      var layer = L.geoJSON(doc, {
        style: function (f) {
          var k = doc.features.indexOf(f);
          var s = RADIUS_STYLE[Math.min(n - 1 - k, RADIUS_STYLE.length - 1)] || RADIUS_STYLE[0];
          return { color: s.color, weight: 1.5, fillOpacity: s.fillOpacity, className: "catchment" };
        },
        onEachFeature: function (f, l) { l.bindTooltip(lm.esc(id) + ": within " + f.properties.radius_m + " m walk"); }
      }).addTo(map);
      layer.bringToBack();
      shown[id] = layer;
      map.fitBounds(layer.getBounds().pad(0.3), { animate: false });
      count();
    }).catch(function (err) { lm.showMapNote(mapEl, "The catchment of " + id + " could not be drawn: " + err.message); });
  }

  function count() { mapEl.dataset.catchments = String(Object.keys(shown).length); }

  document.querySelectorAll(".point-row").forEach(function (row) {
    row.addEventListener("click", function () { toggle(row.dataset.pointId); });
  });

  /* The last what-if: opened candidates blue, closed points red, catchments of the opened ones. */
  var result = document.getElementById("whatif-result");
  if (result) {
    JSON.parse(result.dataset.add || "[]").forEach(function (id) {
      if (markers[id]) { markers[id].setStyle({ fillColor: "#1f5fa8", radius: 8, fillOpacity: 1, weight: 2 }).bringToFront(); }
    });
    JSON.parse(result.dataset.remove || "[]").forEach(function (id) {
      if (markers[id]) { markers[id].setStyle({ fillColor: "#c0392b", radius: 8, fillOpacity: 1, weight: 2 }).bringToFront(); }
    });
  }

  /* Running a what-if in the background, with progress. */
  var form = document.getElementById("whatif-form");
  if (form) {
    var box = document.getElementById("whatif-progress");
    var bar = document.getElementById("whatif-bar");
    var text = document.getElementById("whatif-text");
    var err = document.getElementById("whatif-error");
    var button = document.getElementById("whatif-run");
    var fail = function (message) { box.hidden = true; button.disabled = false; err.textContent = message; err.hidden = false; };
    var poll = function (url) {
      box.hidden = false;
      lm.getJSON(url).then(function (job) {
        bar.value = job.fraction;
        text.textContent = "what-if: " + job.stage + " · " + job.elapsed_s.toFixed(0) + " s";
        if (job.state === "done") { text.textContent = "Done, loading…"; window.location.assign(job.url); }
        else if (job.state === "failed") { fail(job.message); }
        else { setTimeout(function () { poll(url); }, 700); }
      }).catch(function (e) { fail(e.message); });
    };
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      err.hidden = true;
      button.disabled = true;
      var picked = function (id) { return Array.prototype.map.call(document.getElementById(id).selectedOptions, function (o) { return o.value; }); };
      var body = { add: picked("whatif-add"), remove: picked("whatif-remove"), days: form.elements.days.value,
                   start: form.elements.start.value, orders_per_day: form.elements.orders_per_day.value };
      lm.postJSON(form.dataset.url, body).then(function (r) {
        if (!r.ok) { fail(r.data.error || "the what-if could not start"); return; }
        poll(r.data.poll);
      }).catch(function (e) { fail("the server could not be reached: " + e.message); });
    });
    if (form.dataset.running) { button.disabled = true; poll(form.dataset.poll.replace("JOB", form.dataset.running)); }
  }
})();
