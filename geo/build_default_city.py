"""Build the embedded Gothenburg street file from the OSM GeoJSON export.

Usage::

    python -m geo.build_default_city ../shared/data/gothenburg/large-network.geojson.gz \
        [--out geo/data/gothenburg.ways.json.gz]

Keeps every ``highway=*`` way except ``highway=construction``, only the tags in
:data:`geo.osm_rules.KEPT_TAGS`, coordinates rounded to 6 decimals; Polygon areas keep their outer
ring. The result stays under the ODbL and carries its notice and provenance.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from geo.ways import ODBL_NOTICE, Way, WaySet, keep_tags, write_ways

DEFAULT_OUT = Path(__file__).parent / "data" / "gothenburg.ways.json.gz"
DROPPED_HIGHWAYS = frozenset({"construction", "proposed", "abandoned"})


def _feature_way(feature: Mapping[str, Any]) -> Way | None:
    props = feature.get("properties") or {}
    if props.get("highway") is None or props["highway"] in DROPPED_HIGHWAYS:
        return None
    geometry = feature.get("geometry") or {}
    if geometry.get("type") == "LineString":
        coords = geometry["coordinates"]
    elif geometry.get("type") == "Polygon":
        coords = geometry["coordinates"][0]
    else:
        return None
    if len(coords) < 2:
        return None
    raw_id = str(props.get("@id") or feature.get("id") or "0")
    way_id = int(raw_id.rsplit("/", 1)[-1])
    tags = keep_tags(props)
    if geometry["type"] == "Polygon":
        tags.setdefault("area", "yes")
    return Way(way_id, tags, np.asarray(coords, dtype=np.float64)[:, :2])


def geojson_to_wayset(doc: Mapping[str, Any], source_name: str, source_sha256: str) -> WaySet:
    """Convert a GeoJSON FeatureCollection of OSM ways into a :class:`WaySet` with provenance."""
    ways = [w for w in (_feature_way(f) for f in doc["features"]) if w is not None]
    allc = np.concatenate([w.coords for w in ways])
    bbox = [round(float(v), 6) for v in (*allc.min(axis=0), *allc.max(axis=0))]
    provenance = {
        "source_file": source_name,
        "source_sha256_uncompressed": source_sha256,
        "origin": "npm package geojson-path-finder 2.1.0, file test/large-network.json",
        "export": f"{doc.get('generator', 'overpass-turbo')} export {doc.get('timestamp', '2016-12-27')}",
        "bbox_lon_lat": bbox,
        "licence": "Open Database License (ODbL) 1.0",
        "derivation": "highway ways only (construction dropped), kept tags only, coordinates rounded to 6 decimals",
    }
    return WaySet(ways=ways, provenance=provenance, notice=ODBL_NOTICE)


def build(src: str | Path, out: str | Path = DEFAULT_OUT) -> Path:
    """Read the gzip GeoJSON at ``src`` and write the derived ways file to ``out``."""
    src = Path(src)
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rb") as fh:
        raw = fh.read()
    doc = json.loads(raw)
    way_set = geojson_to_wayset(doc, src.name, hashlib.sha256(raw).hexdigest())
    return write_ways(out, way_set)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", help="OSM GeoJSON export (.geojson or .geojson.gz)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="derived file to write")
    args = parser.parse_args(argv)
    out = build(args.src, args.out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
