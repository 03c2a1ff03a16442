"""A basemap drawn from the street data itself, for maps that have no tile server to reach.

Each road class becomes one GeoJSON ``MultiLineString`` layer, simplified (Douglas-Peucker,
``tolerance_m``) and rounded to 5 decimals (about 1 m) to keep the download small. The page
draws the major classes at every zoom and the minor ones only when zoomed in. A user's
``.osm.pbf`` city also gives water and building layers (``MultiPolygon``). The embedded
Gothenburg extract holds only ways tagged ``highway=*``, so its basemap shows streets only.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass

import numpy as np

from geo.network import ODBL_NOTICE

# Road classes as the map draws them, from the most to the least prominent.
ROAD_CLASSES: dict[str, tuple[str, ...]] = {
    "major": ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"),
    "secondary": ("secondary", "secondary_link", "tertiary", "tertiary_link"),
    "street": ("residential", "unclassified", "living_street", "road", "pedestrian"),
    "minor": ("service", "track"),
    "path": ("footway", "path", "cycleway", "steps", "bridleway"),
}
# Smallest zoom at which each class is drawn (Leaflet zoom levels).
MIN_ZOOM: dict[str, int] = {"major": 0, "secondary": 0, "street": 11, "minor": 14, "path": 15}

# Areas as the map draws them, back to front, with the smallest zoom that shows them.
AREA_MIN_ZOOM: dict[str, int] = {"water": 0, "building": 15}

BASEMAP_NOTE = (
    "Basemap drawn from the scenario's OpenStreetMap data: streets, and water and buildings where "
    "the extract has them (the embedded Gothenburg extract has streets only)."
)
_DEGREES_PER_METRE = 1.0 / 111_320.0


@dataclass(frozen=True)
class Basemap:
    """The basemap of one network source: the GeoJSON document and its gzip-compressed bytes."""

    geojson: dict
    body: bytes  # JSON text, UTF-8
    gzipped: bytes

    @property
    def bbox(self) -> list[float]:
        return self.geojson["bbox"]


def _class_of(highway: str | None) -> str | None:
    for name, members in ROAD_CLASSES.items():
        if highway in members:
            return name
    return None


def _simplify(coords: np.ndarray, tolerance_deg: float) -> list[list[float]]:
    from shapely.geometry import LineString

    if len(coords) > 2:
        coords = np.asarray(LineString(coords).simplify(tolerance_deg, preserve_topology=False).coords)
    return np.round(coords, 5).tolist()


def _area_features(areas: dict[str, list[list[np.ndarray]]], tolerance_deg: float) -> list[dict]:
    from shapely.geometry import Polygon

    features = []
    for name, min_zoom in AREA_MIN_ZOOM.items():
        polygons = []
        for rings in areas.get(name, []):
            shape = Polygon(rings[0], rings[1:]).simplify(tolerance_deg, preserve_topology=True)
            if shape.is_empty or shape.geom_type != "Polygon":
                continue
            polygons.append([np.round(np.asarray(r.coords), 5).tolist() for r in (shape.exterior, *shape.interiors)])
        if polygons:
            features.append({
                "type": "Feature",
                "properties": {"area_class": name, "min_zoom": min_zoom, "areas": len(polygons)},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            })
    return features


def build_basemap(way_set, areas: dict[str, list[list[np.ndarray]]] | None = None, *, tolerance_m: float = 4.0) -> Basemap:
    """The basemap of a :class:`geo.ways.WaySet` and optional water/building polygons (see the module docstring)."""
    lines: dict[str, list[list[list[float]]]] = {name: [] for name in ROAD_CLASSES}
    lo = np.array([np.inf, np.inf])
    hi = -lo
    tolerance_deg = tolerance_m * _DEGREES_PER_METRE
    for way in way_set.ways:
        cls = _class_of(way.tags.get("highway"))
        if cls is None or way.tags.get("area") == "yes" or len(way.coords) < 2:
            continue
        lines[cls].append(_simplify(way.coords, tolerance_deg))
        lo = np.minimum(lo, way.coords.min(axis=0))
        hi = np.maximum(hi, way.coords.max(axis=0))
    features = [
        {
            "type": "Feature",
            "properties": {"road_class": name, "min_zoom": MIN_ZOOM[name], "ways": len(parts)},
            "geometry": {"type": "MultiLineString", "coordinates": parts},
        }
        for name, parts in lines.items()
        if parts
    ]
    area_features = _area_features(areas or {}, tolerance_deg)
    drawn = [{"building": "buildings"}.get(f["properties"]["area_class"], f["properties"]["area_class"]) for f in area_features]
    doc = {
        "type": "FeatureCollection",
        "bbox": [round(float(x), 5) for x in (*lo, *hi)] if np.isfinite(lo).all() else [],
        "attribution": way_set.notice or ODBL_NOTICE,
        "note": ("streets, " + " and ".join(drawn)) if drawn else "streets only: the extract has no buildings or water",
        "features": area_features + features,
    }
    body = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    return Basemap(geojson=doc, body=body, gzipped=gzip.compress(body, compresslevel=6))


_CACHE: dict[str, Basemap] = {}
_CACHE_LOCK = threading.Lock()


def read_map_data(network_source: str):
    """``(ways, areas)`` of a network source: the embedded city, a ``*.ways.json.gz`` file or an
    ``.osm.pbf`` (only a pbf has areas: water and buildings)."""
    from geo.network import resolve_source
    from geo.ways import read_ways

    _name, path = resolve_source(network_source)
    if path.name.endswith(".pbf"):
        from geo.pbf import read_areas, read_pbf

        return read_pbf(path)[0], read_areas(path)
    return read_ways(path), {}


def basemap_for(network_source: str) -> Basemap:
    """The basemap of a scenario's network source (embedded city name or file), built once per process."""
    with _CACHE_LOCK:
        if network_source not in _CACHE:
            _CACHE[network_source] = build_basemap(*read_map_data(network_source))
        return _CACHE[network_source]


def basemap_response(bm: Basemap, accept_encoding: str, *, vary: str = "Accept-Encoding"):
    """The basemap as a GeoJSON response, gzipped when the client accepts it; cached privately
    for an hour (the dispatcher's map and the driver's page serve it the same way)."""
    from flask import Response

    gzipped = "gzip" in (accept_encoding or "")
    resp = Response(bm.gzipped if gzipped else bm.body, mimetype="application/geo+json")
    if gzipped:
        resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Cache-Control"] = "private, max-age=3600"
    resp.headers["Vary"] = vary
    return resp
