"""Way records and the compact derived street file (``*.ways.json.gz``).

A :class:`Way` is one OSM way: its id, the tags the project uses and its vertex coordinates in
WGS84 degrees (``[lon, lat]`` rows). Polygon areas (``area=yes``) are kept as their closed outer
ring. The derived file is gzip-compressed JSON::

    {"format": "lastmile-ways/1", "notice": "(c) OpenStreetMap contributors, ODbL",
     "provenance": {...}, "tags": ["highway", ...],
     "ways": [[osm_id, {"highway": "residential", ...}, [[lon, lat], ...]], ...]}
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo.osm_rules import KEPT_TAGS

FORMAT = "lastmile-ways/1"
ODBL_NOTICE = "(c) OpenStreetMap contributors, ODbL"
"""Attribution every map, export or copy derived from the street data must display."""

COORD_DECIMALS = 6


@dataclass(frozen=True)
class Way:
    """One street/path: OSM id, kept tags, vertex coordinates ``(k, 2)`` as ``[lon, lat]`` degrees."""

    id: int
    tags: Mapping[str, str]
    coords: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class WaySet:
    """The ways of one source plus its provenance header (kept verbatim in derived files)."""

    ways: list[Way]
    provenance: Mapping[str, Any]
    notice: str = ODBL_NOTICE


def keep_tags(properties: Mapping[str, Any], kept: Iterable[str] = KEPT_TAGS) -> dict[str, str]:
    """The subset of ``properties`` the project uses, values as strings, empty values dropped."""
    out: dict[str, str] = {}
    for key in kept:
        value = properties.get(key)
        if value is not None and value == value and str(value) != "":
            out[key] = str(value)
    return out


def read_ways(path: str | Path) -> WaySet:
    """Read a derived ``*.ways.json(.gz)`` file written by :func:`write_ways`."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        doc = json.load(fh)
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file (format={doc.get('format')!r})")
    ways = [
        Way(int(way_id), tags, np.asarray(coords, dtype=np.float64).reshape(-1, 2))
        for way_id, tags, coords in doc["ways"]
    ]
    return WaySet(ways=ways, provenance=doc.get("provenance", {}), notice=doc.get("notice", ODBL_NOTICE))


def write_ways(path: str | Path, way_set: WaySet) -> Path:
    """Write ``way_set`` as compact gzip JSON, coordinates rounded to 6 decimals (~0.1 m)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": FORMAT,
        "notice": way_set.notice,
        "provenance": dict(way_set.provenance),
        "tags": list(KEPT_TAGS),
        "ways": [[way.id, dict(way.tags), np.round(way.coords, COORD_DECIMALS).tolist()] for way in way_set.ways],
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # mtime=0 keeps the gzip bytes reproducible, so rebuilding does not dirty git.
    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fh:
        fh.write(text.encode("utf-8"))
    return path
