"""Build driving and walking graphs from way records (vectorised numpy, no I/O).

Every way vertex is a vertex; vertices shared by several ways (same coordinates to 1e-7
degree) are junctions. Each consecutive vertex pair of a way is a segment whose length is the
haversine distance in metres. After the component step, shape points are contracted
(:func:`geo.contract.compact`), so graph nodes are junctions, dead ends and one-way changes.

* Driving graph: directed, drivable ways only (:func:`geo.osm_rules.is_drivable`), one-way rules
  from :func:`geo.osm_rules.oneway_direction`; edge weights are travel time (seconds) and length
  (metres). Parallel edges keep the fastest. Restricted to the largest strongly connected
  component, so every node can reach every other.
* Walking graph: undirected, walkable ways (:func:`geo.osm_rules.is_walkable`), length in metres,
  restricted to the largest connected component.

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
from geo.osm_rules import allows_stopping, drive_speed_mps, is_drivable, is_walkable, oneway_direction
from geo.ways import Way

MIN_EDGE_TIME_S = 0.01
"""Floor on an edge's travel time (seconds) so every weight is strictly positive."""

_COORD_SCALE = 1e7


@dataclass(frozen=True)
class Segments:
    """All consecutive-vertex segments of a way list, with junction-merged vertex ids."""

    lon: np.ndarray  # (n_vertices,) unique vertex longitudes
    lat: np.ndarray
    u: np.ndarray  # (m,) segment start vertex
    v: np.ndarray  # (m,) segment end vertex
    way: np.ndarray  # (m,) index into the way list
    length_m: np.ndarray  # (m,)


def segments_from_ways(ways: Sequence[Way]) -> Segments:
    """Merge vertices by coordinates and list every non-degenerate segment."""
    counts = np.fromiter((len(w.coords) for w in ways), dtype=np.int64, count=len(ways))
    coords = np.concatenate([w.coords for w in ways]) if ways else np.zeros((0, 2))
    ilon = np.round(coords[:, 0] * _COORD_SCALE).astype(np.int64)
    ilat = np.round(coords[:, 1] * _COORD_SCALE).astype(np.int64)
    keys = (ilon + 1_800_000_000) * 4_000_000_000 + (ilat + 900_000_000)
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


def _subgraph(seg: Segments, u, v, weights: dict[str, np.ndarray], strong: bool) -> Graph:
    """Largest (strongly) connected component of the vertex graph, then :func:`compact`."""
    n = len(seg.lon)
    keep_nodes = _largest_component(n, u, v, strong)
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[keep_nodes] = np.arange(int(keep_nodes.sum()))
    keep_edges = keep_nodes[u] & keep_nodes[v]
    nu, nv = new_id[u[keep_edges]], new_id[v[keep_edges]]
    m = int(keep_nodes.sum())
    return compact(m, nu, nv, {k: w[keep_edges] for k, w in weights.items()}, seg.lon[keep_nodes], seg.lat[keep_nodes])


def build_drive_graph(ways: Sequence[Way], seg: Segments | None = None) -> Graph:
    """Directed driving graph on the largest SCC.

    Weights: ``time_s`` (seconds), ``length_m`` (metres) and ``no_stop_m`` (metres of the edge on
    motorway/trunk classes, where deliveries cannot stop; 0 for ordinary streets).
    """
    seg = seg or segments_from_ways(ways)
    drivable = np.fromiter((is_drivable(w.tags) for w in ways), dtype=bool, count=len(ways))
    direction = np.fromiter((oneway_direction(w.tags) for w in ways), dtype=np.int8, count=len(ways))
    speed = np.fromiter((drive_speed_mps(w.tags) for w in ways), dtype=np.float64, count=len(ways))

    on = drivable[seg.way]
    d = direction[seg.way]
    fwd = on & (d >= 0)
    bwd = on & (d <= 0)
    u = np.concatenate([seg.u[fwd], seg.v[bwd]])
    v = np.concatenate([seg.v[fwd], seg.u[bwd]])
    length = np.concatenate([seg.length_m[fwd], seg.length_m[bwd]])
    time = np.maximum(length / np.concatenate([speed[seg.way[fwd]], speed[seg.way[bwd]]]), MIN_EDGE_TIME_S)
    no_stop_way = ~np.fromiter((allows_stopping(w.tags) for w in ways), dtype=bool, count=len(ways))
    no_stop = np.where(np.concatenate([no_stop_way[seg.way[fwd]], no_stop_way[seg.way[bwd]]]), length, 0.0)
    u, v, time, length, no_stop = _min_edges(u, v, time, length, no_stop)
    weights = {"time_s": time, "length_m": length, NO_STOP_WEIGHT: no_stop}
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
