"""Snap WGS84 points to graph nodes with a KD-tree on locally projected metres.

Graph nodes are junctions and dead ends (see :func:`geo.graph_build.compact`); a point along a
long street is measured against the street's shape points too, so the distance check reflects
the distance to the street, while the returned node is the nearer end of that street piece.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from geo.geodesy import LocalProjection
from geo.graph import NO_STOP_WEIGHT, Graph

DEFAULT_MAX_DISTANCE_M = 500.0


class SnapError(ValueError):
    """Points that cannot be snapped: invalid coordinates, or too far from the street network.

    ``problems`` holds one line per offending point, for callers that report row by row.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()):
        super().__init__(message)
        self.problems = list(problems) or [message]


def _label(labels: Sequence | None, i: int) -> str:
    """``c-17`` / ``17`` for labelled points (numpy scalars shown as plain values), else ``#i``."""
    if labels is None:
        return f"#{i}"
    value = labels[i]
    return str(value.item() if isinstance(value, np.generic) else value)


def validate_latlon(lats, lons, labels: Sequence | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of equal length with finite, in-range degrees; otherwise :class:`SnapError`."""
    try:
        lats = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        lons = np.atleast_1d(np.asarray(lons, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise SnapError(f"latitudes/longitudes must be numbers: {exc}") from None
    if lats.shape != lons.shape or lats.ndim != 1:
        raise SnapError(f"need equal-length 1-D lat and lon arrays, got shapes {lats.shape} and {lons.shape}")
    if labels is not None and len(labels) != len(lats):
        raise SnapError(f"got {len(labels)} labels for {len(lats)} points")
    bad = ~(np.isfinite(lats) & np.isfinite(lons) & (np.abs(lats) <= 90.0) & (np.abs(lons) <= 180.0))
    if bad.any():
        items = [f"{_label(labels, i)} (lat={lats[i]}, lon={lons[i]})" for i in np.flatnonzero(bad)]
        fix = "need finite lat in [-90, 90], lon in [-180, 180]; check for swapped or missing values"
        raise SnapError(
            f"{len(items)} point(s) have invalid coordinates ({fix}): " + "; ".join(items),
            [f"{item}: invalid coordinates ({fix})" for item in items],
        )
    return lats, lons


class Snapper:
    """Nearest-node lookup for one graph.

    On a driving graph (one with a ``no_stop_m`` weight) only street pieces where a van may stop
    are candidates: points next to a motorway snap to the nearest ordinary street instead.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        lon0 = 0.5 * (float(graph.lon.min()) + float(graph.lon.max()))
        lat0 = 0.5 * (float(graph.lat.min()) + float(graph.lat.max()))
        self.projection = LocalProjection(lon0, lat0)
        node_xy = self.projection.to_xy(graph.lon, graph.lat)
        via_xy = self.projection.to_xy(graph.geom_lonlat[:, 0], graph.geom_lonlat[:, 1])
        indptr = next(iter(graph.weights.values())).indptr
        indices = next(iter(graph.weights.values())).indices
        n_via = np.diff(graph.geom_ptr)
        edge_u = np.repeat(np.arange(graph.n_nodes), np.diff(indptr))
        via_u = np.repeat(edge_u, n_via)
        via_v = np.repeat(indices, n_via)
        closer_u = np.hypot(*(via_xy - node_xy[via_u]).T) <= np.hypot(*(via_xy - node_xy[via_v]).T)
        point_node = np.concatenate([np.arange(graph.n_nodes), np.where(closer_u, via_u, via_v)])
        points_xy = np.vstack([node_xy, via_xy])
        if NO_STOP_WEIGHT in graph.weights:
            stop_ok = graph.weights[NO_STOP_WEIGHT].data == 0
            node_ok = np.zeros(graph.n_nodes, dtype=bool)
            node_ok[edge_u[stop_ok]] = True
            node_ok[indices[stop_ok]] = True
            keep = np.concatenate([node_ok, np.repeat(stop_ok, n_via)])
            if keep.any():
                point_node, points_xy = point_node[keep], points_xy[keep]
        self._point_node = point_node
        self._tree = cKDTree(points_xy)

    def nearest(self, lats, lons) -> tuple[np.ndarray, np.ndarray]:
        """(node ids, distance in metres to the street network) for valid coordinate arrays."""
        xy = self.projection.to_xy(lons, lats)
        dist, idx = self._tree.query(xy)
        return self._point_node[idx].astype(np.int64), dist

    def snap(
        self, lats, lons, labels: Sequence | None = None, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    ) -> np.ndarray:
        """Node id per point; :class:`SnapError` naming every point farther than ``max_distance_m``."""
        lats, lons = validate_latlon(lats, lons, labels)
        nodes, dist = self.nearest(lats, lons)
        far = np.flatnonzero(dist > max_distance_m)
        if far.size:
            items = [
                f"{_label(labels, i)} at lat={lats[i]:.6f}, lon={lons[i]:.6f} is {dist[i]:,.0f} m away" for i in far
            ]
            fix = "move it inside the network area or raise max_distance_m"
            raise SnapError(
                f"{far.size} point(s) are farther than {max_distance_m:,.0f} m from the street network: "
                + "; ".join(items)
                + ". Move them inside the network area or raise max_distance_m.",
                [f"{item}, farther than {max_distance_m:,.0f} m from the streets; {fix}" for item in items],
            )
        return nodes
