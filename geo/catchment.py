"""Walking distances and walking catchments (pickup-point reach) on the walking graph.

A point's walking distance is the straight-line access from the point to its nearest walking
node plus the network distance (metres) between nodes, plus the egress at the other end; two
points at the same walking node are the straight-line distance apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import dijkstra

from geo.geodesy import haversine_m
from geo.geojson import feature_collection, shapely_feature
from geo.snap import DEFAULT_MAX_DISTANCE_M, SnapError
from geo.ways import ODBL_NOTICE

if TYPE_CHECKING:  # pragma: no cover
    from geo.network import RoadNetwork

DEFAULT_RADII_M = (300.0, 600.0, 1000.0)
CATCHMENT_BUFFER_M = 40.0
"""Buffer (metres) around reachable walking nodes when drawing catchment polygons."""


def _latlon_pairs(points) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] == 2:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise SnapError(f"expected a list of (lat, lon) pairs, got an array of shape {arr.shape}")
    return arr[:, 0], arr[:, 1]


def _snap_walk(network: RoadNetwork, lats, lons, max_distance_m: float) -> tuple[np.ndarray, np.ndarray]:
    snapper = network.snapper("walk")
    nodes = snapper.snap(lats, lons, max_distance_m=max_distance_m)
    node_xy = snapper.projection.to_xy(network.walk.lon[nodes], network.walk.lat[nodes])
    access = np.hypot(*(snapper.projection.to_xy(lons, lats) - node_xy).T)
    return nodes, access


def walking_distance(
    network: RoadNetwork,
    from_latlons: Sequence[Sequence[float]],
    to_latlons: Sequence[Sequence[float]],
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    limit_m: float | None = None,
) -> np.ndarray:
    """``(n_from, n_to)`` walking metres between ``(lat, lon)`` points (``inf`` beyond ``limit_m``)."""
    f_lat, f_lon = _latlon_pairs(from_latlons)
    t_lat, t_lon = _latlon_pairs(to_latlons)
    f_nodes, f_access = _snap_walk(network, f_lat, f_lon, max_distance_m)
    t_nodes, t_access = _snap_walk(network, t_lat, t_lon, max_distance_m)
    uniq, inverse = np.unique(f_nodes, return_inverse=True)
    dist = dijkstra(
        network.walk.weights["length_m"], directed=False, indices=uniq, limit=np.inf if limit_m is None else limit_m
    )
    total = dist[np.ix_(inverse, t_nodes)] + f_access[:, None] + t_access[None, :]
    same = f_nodes[:, None] == t_nodes[None, :]
    if same.any():  # both ends at the same walking node: walk straight across
        direct = haversine_m(f_lon[:, None], f_lat[:, None], t_lon[None, :], t_lat[None, :])
        total = np.where(same, np.minimum(total, direct), total)
    if limit_m is not None:
        total[total > limit_m] = np.inf
    return total


def reachable_walk_nodes(network: RoadNetwork, lat: float, lon: float, limit_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Walking nodes within ``limit_m`` of a point and their walking distances (metres)."""
    nodes, access = _snap_walk(network, [lat], [lon], DEFAULT_MAX_DISTANCE_M)
    dist = dijkstra(network.walk.weights["length_m"], directed=False, indices=int(nodes[0]), limit=limit_m)
    dist = dist + access[0]
    reached = np.flatnonzero(dist <= limit_m)
    return reached, dist[reached]


def catchment_polygons(
    network: RoadNetwork,
    point: tuple[float, float],
    radii: Sequence[float] = DEFAULT_RADII_M,
    buffer_m: float = CATCHMENT_BUFFER_M,
) -> dict:
    """FeatureCollection with one Polygon per walking radius around ``point = (lat, lon)``.

    Each polygon is the concave hull of the walking nodes reachable within the radius (metres on
    the walking graph), buffered by ``buffer_m``; properties ``radius_m`` and ``n_nodes``.
    Features are ordered by increasing radius.
    """
    import shapely
    from shapely.geometry import MultiPoint, Point

    lat, lon = float(point[0]), float(point[1])
    radii = sorted(float(r) for r in radii)
    nodes, dist = reachable_walk_nodes(network, lat, lon, max(radii))
    proj = network.snapper("walk").projection
    xy = proj.to_xy(network.walk.lon[nodes], network.walk.lat[nodes])
    origin_xy = proj.to_xy([lon], [lat])[0]
    features = []
    for radius in radii:
        pts = np.vstack([origin_xy, xy[dist <= radius]])
        hull = shapely.concave_hull(MultiPoint(pts), ratio=0.3) if len(pts) >= 3 else Point(origin_xy)
        shape = hull.buffer(buffer_m)
        ring_ll = proj.to_lonlat(np.asarray(shape.exterior.coords))
        geom = shapely.Polygon(ring_ll)
        features.append(shapely_feature(geom, {"radius_m": radius, "n_nodes": int((dist <= radius).sum())}))
    return feature_collection(features, attribution=ODBL_NOTICE)
