"""Public-transport stops (pickup-point candidates) from OSM platforms.

OSM platforms are often named by their *platform code* (``"A"``, ``"B"``, ``"24"``) rather than
the stop name, as in the Gothenburg data. Platforms are therefore grouped into stops spatially:
platforms within :data:`CLUSTER_RADIUS_M` of each other (transitively) form one stop, placed at
the mean of their centroids. A stop is named after the most common real stop name among its
platforms, or else after the nearest named street. Repeated names get `` (2)``, `` (3)``...
in a deterministic order, and ids are slugs of the names (``"Vasaplatsen (2)"`` ->
``"vasaplatsen-2"``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.geodesy import LocalProjection
from geo.osm_rules import is_platform
from geo.ways import Way

CLUSTER_RADIUS_M = 120.0
"""Platforms closer than this (metres, chained) belong to the same stop."""

_PLATFORM_CODE = re.compile(r"^\s*[A-Za-z]?\d{0,3}[A-Za-z]?\s*$")


@dataclass(frozen=True)
class TransitStop:
    """A public-transport stop: stable slug ``id``, display ``name``, position in degrees."""

    id: str
    name: str
    lat: float
    lon: float


def slugify(text: str) -> str:
    """ASCII lowercase slug: ``"Järntorget (2)"`` -> ``"jarntorget-2"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "stop"


def is_stop_name(name: str | None) -> bool:
    """True for a real stop name, False for empty values and platform codes like ``A`` or ``24``."""
    return bool(name) and not _PLATFORM_CODE.match(name)


@dataclass(frozen=True)
class Platforms:
    """Platform centroids (degrees) with their OSM names ("" when unnamed)."""

    names: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


def platforms_from_ways(ways: Sequence[Way]) -> Platforms:
    """One point per platform way: the mean of its distinct vertices."""
    names, lons, lats = [], [], []
    for way in ways:
        if is_platform(way.tags):
            pts = np.unique(way.coords, axis=0)
            names.append(way.tags.get("name", ""))
            lons.append(float(pts[:, 0].mean()))
            lats.append(float(pts[:, 1].mean()))
    return Platforms(np.array(names, dtype=str), np.array(lons, dtype=float), np.array(lats, dtype=float))


def street_names_from_ways(ways: Sequence[Way]) -> tuple[np.ndarray, np.ndarray]:
    """``(lonlat (k, 2), names (k,))`` of every vertex of named non-platform ways."""
    coords, names = [], []
    for way in ways:
        name = way.tags.get("name")
        if name and not is_platform(way.tags):
            coords.append(way.coords)
            names.extend([name] * len(way.coords))
    if not coords:
        return np.zeros((0, 2)), np.array([], dtype=str)
    return np.concatenate(coords), np.array(names, dtype=str)


def cluster_stops(
    platforms: Platforms,
    street_lonlat: np.ndarray,
    street_names: np.ndarray,
    radius_m: float = CLUSTER_RADIUS_M,
) -> list[TransitStop]:
    """Group platforms into named stops (see module docstring), sorted by id."""
    n = len(platforms.lon)
    if n == 0:
        return []
    proj = LocalProjection(float(platforms.lon.mean()), float(platforms.lat.mean()))
    xy = proj.to_xy(platforms.lon, platforms.lat)
    pairs = cKDTree(xy).query_pairs(radius_m, output_type="ndarray")
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    street_tree = cKDTree(proj.to_xy(street_lonlat[:, 0], street_lonlat[:, 1])) if len(street_names) else None

    raw = []
    for label in range(labels.max() + 1):
        members = np.flatnonzero(labels == label)
        lon = float(platforms.lon[members].mean())
        lat = float(platforms.lat[members].mean())
        real = Counter(str(nm) for nm in platforms.names[members] if is_stop_name(str(nm)))
        if real:
            name = min(real.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        elif street_tree is not None:
            _, idx = street_tree.query(proj.to_xy([lon], [lat])[0])
            name = str(street_names[idx])
        else:
            name = f"Stop {lat:.4f} {lon:.4f}"
        raw.append((name, lat, lon))

    raw.sort(key=lambda r: (r[0], -r[1], r[2]))
    seen: Counter[str] = Counter()
    stops = []
    for name, lat, lon in raw:
        seen[name] += 1
        label = name if seen[name] == 1 else f"{name} ({seen[name]})"
        stops.append(TransitStop(id=slugify(label), name=label, lat=round(lat, 6), lon=round(lon, 6)))
    return sorted(stops, key=lambda s: s.id)


def stops_from_ways(ways: Sequence[Way], radius_m: float = CLUSTER_RADIUS_M) -> list[TransitStop]:
    """Transit stops from the platform ways among ``ways``, named as described above."""
    lonlat, names = street_names_from_ways(ways)
    return cluster_stops(platforms_from_ways(ways), lonlat, names, radius_m)
