"""GeoJSON dict builders (RFC 7946: WGS84, ``[lon, lat]`` order, coordinates rounded to 6 decimals).

Positions are always given **longitude first**, as GeoJSON stores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

COORD_DECIMALS = 6

Position = Sequence[float]


def round_position(position: Position) -> list[float]:
    """``[lon, lat]`` rounded to 6 decimals (about 0.1 m)."""
    return [round(float(position[0]), COORD_DECIMALS), round(float(position[1]), COORD_DECIMALS)]


def _feature(geometry: dict, properties: Mapping[str, Any] | None, feature_id: Any) -> dict:
    feature: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": dict(properties or {})}
    if feature_id is not None:
        feature["id"] = feature_id
    return feature


def point_feature(lon: float, lat: float, properties: Mapping[str, Any] | None = None, id: Any = None) -> dict:
    """A Point Feature at (``lon``, ``lat``) degrees."""
    return _feature({"type": "Point", "coordinates": round_position((lon, lat))}, properties, id)


def line_feature(coords: Iterable[Position], properties: Mapping[str, Any] | None = None, id: Any = None) -> dict:
    """A LineString Feature through ``[[lon, lat], ...]``."""
    return _feature({"type": "LineString", "coordinates": [round_position(c) for c in coords]}, properties, id)


def polygon_feature(
    rings: Sequence[Iterable[Position]], properties: Mapping[str, Any] | None = None, id: Any = None
) -> dict:
    """A Polygon Feature; ``rings[0]`` is the exterior ring, others are holes (closed on output)."""
    out = []
    for ring in rings:
        pts = [round_position(c) for c in ring]
        if pts and pts[0] != pts[-1]:
            pts.append(pts[0])
        out.append(pts)
    return _feature({"type": "Polygon", "coordinates": out}, properties, id)


def shapely_feature(geom, properties: Mapping[str, Any] | None = None, id: Any = None) -> dict:
    """A Feature from a shapely geometry in lon/lat degrees, coordinates rounded."""
    from shapely.geometry import mapping

    def _round(obj):
        if isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], (int, float)):
                return round_position(obj)
            return [_round(o) for o in obj]
        return obj

    geometry = dict(mapping(geom))
    geometry["coordinates"] = _round(geometry["coordinates"])
    return _feature(geometry, properties, id)


def feature_collection(features: Iterable[dict], **members: Any) -> dict:
    """A FeatureCollection; extra keyword ``members`` (e.g. ``attribution=ODBL_NOTICE``) are added."""
    return {"type": "FeatureCollection", "features": list(features), **members}
