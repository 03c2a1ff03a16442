"""Build driving and walking graphs from way records (vectorised numpy, no I/O).

Every way vertex is a vertex; vertices shared by several ways (same coordinates to 1e-7
degree) are junctions. Each consecutive vertex pair of a way is a segment whose length is the
haversine distance in metres. After the component step, shape points are contracted
(:func:`geo.contract.compact`), so graph nodes are junctions, dead ends and one-way changes.

* Driving graph: directed, drivable ways only (:func:`geo.osm_rules.is_drivable`), one-way rules
  from :func:`geo.osm_rules.oneway_direction`; edge weights are travel time (seconds) and length
  (metres), plus the seconds per road class group (:func:`group_time_weight`) for rush-hour speed
  factors. Parallel edges keep the fastest. Restricted to the largest strongly connected
  component, so every node can reach every other.
* Walking graph: undirected, walkable ways (:func:`geo.osm_rules.is_walkable`), length in metres,
  restricted to the largest connected component.
* Cycle (cargo bike) graph: directed, cyclable ways (:func:`geo.osm_rules.is_cyclable`), bike
  one-way rules (:func:`geo.osm_rules.cycle_oneway_direction`), weights ``time_s`` at cycle speeds
  (:func:`geo.osm_rules.cycle_speed_mps`) and ``length_m``; largest strongly connected component.

Node ids of each graph are ``0..n-1`` indices into that graph's ``lon``/``lat`` arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.contract import compact
from geo.geodesy import haversine_m
from geo.graph import NO_STOP_WEIGHT, Graph
from geo.osm_rules import (
    ROAD_CLASS_GROUP_NAMES,
    allows_stopping,
    cycle_oneway_direction,
    cycle_speed_mps,
    drive_speed_mps,
    is_cyclable,
    is_drivable,
    is_walkable,
    oneway_direction,
    road_class_group_code,
)
from geo.ways import Way

MIN_EDGE_TIME_S = 0.01
"""Floor on an edge's travel time (seconds) so every weight is strictly positive."""

_COORD_SCALE = 1e7


def group_time_weight(group: str) -> str:
    """Driving-graph weight name holding the seconds of each edge spent on ``group``'s roads.

    ``group`` is a :data:`geo.osm_rules.ROAD_CLASS_GROUPS` name. The driving graph stores one such
    weight per group; on every edge they sum to ``time_s`` (up to float rounding). A contracted edge
    can span ways of several groups (about 1 % of Gothenburg's edges do), so a time share per group
    is stored rather than one class code per edge.
    """
    return f"time_s@{group}"


GROUP_TIME_WEIGHTS: tuple[str, ...] = tuple(group_time_weight(g) for g in ROAD_CLASS_GROUP_NAMES)
"""The per-group time weights of the driving graph, in :data:`geo.osm_rules.ROAD_CLASS_GROUP_NAMES` order."""


@dataclass(frozen=True)
class Segments:
    """All consecutive-vertex segments of a way list, with junction-merged vertex ids."""

    lon: np.ndarray  # (n_vertices,) unique vertex longitudes
    lat: np.ndarray
    u: np.ndarray  # (m,) segment start vertex
    v: np.ndarray  # (m,) segment end vertex
    way: np.ndarray  # (m,) index into the way list
    length_m: np.ndarray  # (m,)


def coordinate_keys(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """One int64 per point, equal exactly when the coordinates agree to 1e-7 degree (junction rule)."""
    ilon = np.round(np.asarray(lon, dtype=np.float64) * _COORD_SCALE).astype(np.int64)
    ilat = np.round(np.asarray(lat, dtype=np.float64) * _COORD_SCALE).astype(np.int64)
    return (ilon + 1_800_000_000) * 4_000_000_000 + (ilat + 900_000_000)


def segments_from_ways(ways: Sequence[Way]) -> Segments:
    """Merge vertices by coordinates and list every non-degenerate segment.

    Vertices come out sorted by :func:`coordinate_keys`.
    """
    counts = np.fromiter((len(w.coords) for w in ways), dtype=np.int64, count=len(ways))
    coords = np.concatenate([w.coords for w in ways]) if ways else np.zeros((0, 2))
    keys = coordinate_keys(coords[:, 0], coords[:, 1])
    uniq, inverse = np.unique(keys, return_inverse=True)
    first = np.zeros(len(uniq), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(keys))[::-1]
    lon = coords[first, 0]
    lat = coords[first, 1]

    way_of_vertex = np.repeat(np.arange(len(ways)), counts)
    same_way = way_of_vertex[:-1] == way_of_vertex[1:]
    u = inverse[:-1][same_way]
    v = inverse[1:][same_way]
    way = way_of_vertex[:-1][same_way]
    keep = u != v
    u, v, way = u[keep], v[keep], way[keep]
    length = haversine_m(lon[u], lat[u], lon[v], lat[v])
    return Segments(lon=lon, lat=lat, u=u, v=v, way=way, length_m=length)


def _min_edges(u: np.ndarray, v: np.ndarray, primary: np.ndarray, *others: np.ndarray):
    """Deduplicate (u, v) pairs keeping the row with the smallest ``primary`` value."""
    order = np.lexsort((primary, v, u))
    u, v = u[order], v[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return (u[first], v[first], primary[order][first], *(o[order][first] for o in others))


def _largest_component(n: int, u: np.ndarray, v: np.ndarray, strong: bool) -> np.ndarray:
    """Boolean mask of the nodes in the largest (strongly) connected component."""
    adj = sp.csr_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n))
    _, labels = connected_components(adj, directed=strong, connection="strong" if strong else "weak")
    # only count nodes that touch an edge, isolated vertices form singleton components
    touched = np.zeros(n, dtype=bool)
    touched[u] = True
    touched[v] = True
    sizes = np.bincount(labels[touched], minlength=labels.max() + 1)
    return labels == int(np.argmax(sizes))


def _subgraph(
    seg: Segments, u, v, weights: dict[str, np.ndarray], strong: bool, pinned: np.ndarray | None = None
) -> Graph:
    """Largest (strongly) connected component of the vertex graph, then :func:`compact`.

    ``pinned`` (boolean per vertex) marks vertices that stay nodes even where they are shape points.
    """
    n = len(seg.lon)
    keep_nodes = _largest_component(n, u, v, strong)
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[keep_nodes] = np.arange(int(keep_nodes.sum()))
    keep_edges = keep_nodes[u] & keep_nodes[v]
    nu, nv = new_id[u[keep_edges]], new_id[v[keep_edges]]
    m = int(keep_nodes.sum())
    return compact(
        m,
        nu,
        nv,
        {k: w[keep_edges] for k, w in weights.items()},
        seg.lon[keep_nodes],
        seg.lat[keep_nodes],
        keep=None if pinned is None else pinned[keep_nodes],
    )


def _directed_edges(seg: Segments, usable: np.ndarray, direction: np.ndarray, speed_mps: np.ndarray):
    """Directed segment edges ``(u, v, time_s, length_m, way)`` of the usable ways, one-ways applied."""
    on = usable[seg.way]
    d = direction[seg.way]
    fwd = on & (d >= 0)
    bwd = on & (d <= 0)
    u = np.concatenate([seg.u[fwd], seg.v[bwd]])
    v = np.concatenate([seg.v[fwd], seg.u[bwd]])
    way = np.concatenate([seg.way[fwd], seg.way[bwd]])
    length = np.concatenate([seg.length_m[fwd], seg.length_m[bwd]])
    time = np.maximum(length / speed_mps[way], MIN_EDGE_TIME_S)
    return u, v, time, length, way


def _per_way(ways: Sequence[Way], rule, dtype) -> np.ndarray:
    """``rule(tags)`` of every way as one array."""
    return np.fromiter((rule(w.tags) for w in ways), dtype=dtype, count=len(ways))


def build_drive_graph(ways: Sequence[Way], seg: Segments | None = None) -> Graph:
    """Directed driving graph on the largest SCC.

    Weights: ``time_s`` (seconds), ``length_m`` (metres), ``no_stop_m`` (metres of the edge on
    motorway/trunk classes, where deliveries cannot stop; 0 for ordinary streets) and, per road
    class group (:data:`geo.osm_rules.ROAD_CLASS_GROUPS`), ``time_s@<group>``: the seconds of the
    edge on that group's roads (:data:`GROUP_TIME_WEIGHTS`). Of parallel segments the fastest is
    kept, with its group.
    """
    seg = seg or segments_from_ways(ways)
    u, v, time, length, way = _directed_edges(
        seg,
        _per_way(ways, is_drivable, bool),
        _per_way(ways, oneway_direction, np.int8),
        _per_way(ways, drive_speed_mps, np.float64),
    )
    no_stop_way = ~_per_way(ways, allows_stopping, bool)
    no_stop = np.where(no_stop_way[way], length, 0.0)
    group = _per_way(ways, road_class_group_code, np.int8)[way]
    group_times = [np.where(group == code, time, 0.0) for code in range(len(GROUP_TIME_WEIGHTS))]
    u, v, time, length, no_stop, *group_times = _min_edges(u, v, time, length, no_stop, *group_times)
    weights = {"time_s": time, "length_m": length, NO_STOP_WEIGHT: no_stop}
    weights.update(zip(GROUP_TIME_WEIGHTS, group_times))
    return _subgraph(seg, u, v, weights, strong=True)


def build_walk_graph(ways: Sequence[Way], seg: Segments | None = None) -> Graph:
    """Undirected walking graph (weight ``length_m``, both directions stored) on the largest component."""
    seg = seg or segments_from_ways(ways)
    walkable = np.fromiter((is_walkable(w.tags) for w in ways), dtype=bool, count=len(ways))
    on = walkable[seg.way]
    u = np.concatenate([seg.u[on], seg.v[on]])
    v = np.concatenate([seg.v[on], seg.u[on]])
    length = np.concatenate([seg.length_m[on], seg.length_m[on]])
    u, v, length = _min_edges(u, v, length)
    return _subgraph(seg, u, v, {"length_m": length}, strong=False)


def build_cycle_graph(
    ways: Sequence[Way], seg: Segments | None = None, pinned_lonlat: np.ndarray | None = None
) -> Graph:
    """Directed cargo-bike graph on the largest SCC; weights ``time_s`` (seconds) and ``length_m`` (metres).

    Ways, directions and speeds follow :func:`geo.osm_rules.is_cyclable`,
    :func:`geo.osm_rules.cycle_oneway_direction` and :func:`geo.osm_rules.cycle_speed_mps`;
    parallel edges keep the fastest. ``pinned_lonlat`` (``(k, 2)`` lon/lat rows, e.g. the driving
    graph's nodes) names way vertices that stay graph nodes even where they are mere shape points
    for bikes, so a driving node maps onto a cycle node at the very same place.
    """
    seg = seg or segments_from_ways(ways)
    u, v, time, length, _ = _directed_edges(
        seg,
        _per_way(ways, is_cyclable, bool),
        _per_way(ways, cycle_oneway_direction, np.int8),
        _per_way(ways, cycle_speed_mps, np.float64),
    )
    u, v, time, length = _min_edges(u, v, time, length)
    pinned = None
    if pinned_lonlat is not None and len(pinned_lonlat):
        pins = np.asarray(pinned_lonlat, dtype=np.float64).reshape(-1, 2)
        vertex_keys = coordinate_keys(seg.lon, seg.lat)  # sorted: segments_from_ways orders vertices so
        pin_keys = coordinate_keys(pins[:, 0], pins[:, 1])
        at = np.minimum(np.searchsorted(vertex_keys, pin_keys), len(vertex_keys) - 1)
        pinned = np.zeros(len(seg.lon), dtype=bool)
        pinned[at[vertex_keys[at] == pin_keys]] = True
    return _subgraph(seg, u, v, {"time_s": time, "length_m": length}, strong=True, pinned=pinned)
