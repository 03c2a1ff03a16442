/* Shared map helpers: a Leaflet map with no tile server, the basemap drawn from the street
 * data as vector layers (canvas), and small utilities for the pages. Nothing leaves the site. */
(function () {
  "use strict";

  var CLASS_STYLE = {
    major: { color: "#c9a063", weight: 3 },
    secondary: { color: "#b5b5b5", weight: 2.2 },
    street: { color: "#cfcfcf", weight: 1.4 },
    minor: { color: "#dedede", weight: 1 },
    path: { color: "#e3e3d5", weight: 0.8, dashArray: "2 3" }
  };
  /* Areas of a user's own OpenStreetMap extract, drawn behind the streets (water furthest back). */
  var AREA_STYLE = {
    water: { color: "#9cc3d5", weight: 0.5, fillColor: "#b5d6e6", fillOpacity: 1 },
    building: { color: "#c9bcb1", weight: 0.5, fillColor: "#ddd3ca", fillOpacity: 1 }
  };
  var BACK_TO_FRONT = ["water", "building"];

  /* Text from orders and scenario files goes into tooltips as HTML: escape it. */
  function esc(text) {
    return String(text === undefined || text === null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  /* POST JSON with the CSRF token in a header; resolves to {ok, status, data}. */
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch",
                 "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().catch(function () { return { error: "the server answered " + resp.status }; })
        .then(function (data) { return { ok: resp.ok, status: resp.status, data: data }; });
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        return resp.json().then(function (data) {
          if (!resp.ok) { throw new Error(data.error || ("the server answered " + resp.status)); }
          return data;
        });
      });
  }

  /* A map in `el` with the street basemap; `onReady(map)` runs once the basemap is drawn. */
  function createMap(el, basemapUrl) {
    var map = L.map(el, { preferCanvas: false, zoomSnap: 0.5, minZoom: 10, maxZoom: 19 });
    map.attributionControl.setPrefix("Leaflet");
    map.setView([57.7089, 11.9746], 12);
    var canvas = L.canvas({ padding: 0.3 });
    var layers = {};
    map.basemapReady = getJSON(basemapUrl).then(function (doc) {
      map.attributionControl.addAttribution("Map data " + (doc.attribution || "(c) OpenStreetMap contributors, ODbL") +
        " · " + (doc.note || "streets"));
      (doc.features || []).forEach(function (f) {
        var area = f.properties.area_class;
        var cls = area || f.properties.road_class;
        var style = area ? (AREA_STYLE[area] || AREA_STYLE.building) : (CLASS_STYLE[cls] || CLASS_STYLE.street);
        var layer = L.geoJSON(f, { renderer: canvas, interactive: false, style: style });
        layers[cls] = { layer: layer, minZoom: f.properties.min_zoom || 0 };
      });
      function refresh() {
        var z = map.getZoom();
        Object.keys(layers).forEach(function (k) {
          var entry = layers[k];
          var want = z >= entry.minZoom;
          if (want && !map.hasLayer(entry.layer)) { entry.layer.addTo(map); entry.layer.bringToBack(); }
          if (!want && map.hasLayer(entry.layer)) { map.removeLayer(entry.layer); }
        });
        // Streets over buildings over water, whatever order the zoom added them in.
        BACK_TO_FRONT.slice().reverse().forEach(function (k) {
          if (layers[k] && map.hasLayer(layers[k].layer)) { layers[k].layer.bringToBack(); }
        });
      }
      map.on("zoomend", refresh);
      refresh();
      if (doc.bbox && doc.bbox.length === 4 && !map._fitted) {
        map.fitBounds([[doc.bbox[1], doc.bbox[0]], [doc.bbox[3], doc.bbox[2]]]);
      }
      el.dataset.basemap = "ready";
      return map;
    }).catch(function (err) {
      el.dataset.basemap = "failed";
      showMapNote(el, "The street basemap could not be loaded: " + err.message);
      return map;
    });
    return map;
  }

  function showMapNote(el, text) {
    var note = document.createElement("div");
    note.className = "map-note";
    note.textContent = text;
    el.appendChild(note);
  }

  function numberedIcon(n, colour, locked) {
    return L.divIcon({
      className: "stop-marker" + (locked ? " locked" : ""),
      html: '<span style="background:' + esc(colour) + '">' + esc(n) + "</span>",
      iconSize: [22, 22],
      iconAnchor: [11, 11]
    });
  }

  window.lastmile = { esc: esc, csrfToken: csrfToken, postJSON: postJSON, getJSON: getJSON, createMap: createMap,
                      numberedIcon: numberedIcon, showMapNote: showMapNote };
})();
