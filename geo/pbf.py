"""Read an OpenStreetMap ``.osm.pbf`` extract into way records (via pyrosm, local files only)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from geo.cache import file_sha1
from geo.osm_rules import READ_TAGS
from geo.stops import Platforms
from geo.ways import ODBL_NOTICE, Way, WaySet, keep_tags


def _row_tags(row: dict[str, Any]) -> dict[str, str]:
    props = dict(row)
    extra = props.pop("tags", None)
    if isinstance(extra, str) and extra:
        try:
            extra = json.loads(extra)
        except ValueError:
            extra = None
    if isinstance(extra, dict):
        for key, value in extra.items():
            props.setdefault(key, value)
    return keep_tags(props, READ_TAGS)  # the derived-file tags plus bicycle/oneway:bicycle


def _lines(geom) -> list[np.ndarray]:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "LineString":
        return [np.asarray(geom.coords, dtype=np.float64)[:, :2]]
    if geom.geom_type == "MultiLineString":
        return [np.asarray(g.coords, dtype=np.float64)[:, :2] for g in geom.geoms]
    if geom.geom_type == "Polygon":
        return [np.asarray(geom.exterior.coords, dtype=np.float64)[:, :2]]
    return []


def read_pbf(path: str | Path) -> tuple[WaySet, Platforms]:
    """All ``highway=*`` ways of a ``.osm.pbf`` file, plus its public-transport platforms."""
    from pyrosm import OSM  # imported lazily: pyrosm is slow to import

    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = OSM(str(path))
        edges = osm.get_network(network_type="all")
    ways: list[Way] = []
    if edges is not None:
        records = edges.drop(columns=["geometry"]).to_dict("records")
        for rec, geom in zip(records, edges.geometry):
            tags = _row_tags(rec)
            if "highway" not in tags:
                continue
            way_id = int(rec.get("id") or 0)
            ways.extend(Way(way_id, tags, coords) for coords in _lines(geom) if len(coords) >= 2)
    provenance = {"source_file": path.name, "source_sha1": file_sha1(path), "reader": "pyrosm"}
    return WaySet(ways=ways, provenance=provenance, notice=ODBL_NOTICE), _pbf_platforms(osm)


def _pbf_platforms(osm) -> Platforms:
    """Platform points (nodes as is, ways by centroid); empty when the extract has none."""
    empty = Platforms(np.array([], dtype=str), np.zeros(0), np.zeros(0))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = osm.get_data_by_custom_criteria(
                custom_filter={"public_transport": ["platform"], "highway": ["platform", "bus_stop"]},
                filter_type="keep",
                keep_nodes=True,
                keep_ways=True,
                keep_relations=False,
            )
    except Exception:  # pyrosm raises assorted errors on extracts without matches
        return empty
    if gdf is None or len(gdf) == 0:
        return empty
    points = gdf.geometry.representative_point()
    names = gdf["name"].fillna("").astype(str).to_numpy() if "name" in gdf else np.full(len(gdf), "")
    return Platforms(names.astype(str), points.x.to_numpy(dtype=float), points.y.to_numpy(dtype=float))


# The OSM tags of water areas a basemap draws (lakes, rivers mapped as areas, reservoirs).
WATER_FILTER: dict[str, list[str]] = {"natural": ["water"], "waterway": ["riverbank"], "landuse": ["reservoir", "basin"]}


def _polygons(geom) -> list[list[np.ndarray]]:
    """Each polygon of ``geom`` as its rings (exterior first, then holes), lon/lat arrays."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        rings = [geom.exterior, *geom.interiors]
        return [[np.asarray(r.coords, dtype=np.float64)[:, :2] for r in rings]]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def read_areas(path: str | Path) -> dict[str, list[list[np.ndarray]]]:
    """Water and building polygons of a ``.osm.pbf`` file, for drawing a basemap (WGS84 lon/lat).

    ``{"water": [...], "building": [...]}``, each polygon a list of rings; a class the extract
    does not have is an empty list.
    """
    from pyrosm import OSM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = OSM(str(path))
        frames = {
            "water": osm.get_data_by_custom_criteria(custom_filter=WATER_FILTER, filter_type="keep", keep_nodes=False),
            "building": osm.get_buildings(),
        }
    return {
        name: [] if frame is None else [p for g in frame.geometry for p in _polygons(g)]
        for name, frame in frames.items()
    }
