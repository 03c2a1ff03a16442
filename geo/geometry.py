"""Street geometry of routes: node sequences to ``[[lon, lat], ...]`` along the fastest paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import dijkstra

from geo.geojson import line_feature
from geo.graph import Graph

if TYPE_CHECKING:  # pragma: no cover
    from geo.network import RoadNetwork


def edge_index(graph: Graph, u: int, v: int) -> int:
    """CSR position of edge u -> v (raises KeyError if absent)."""
    mat = next(iter(graph.weights.values()))
    lo, hi = mat.indptr[u], mat.indptr[u + 1]
    pos = lo + int(np.searchsorted(mat.indices[lo:hi], v))
    if pos >= hi or mat.indices[pos] != v:
        raise KeyError(f"no edge {u} -> {v}")
    return pos


def path_coordinates(graph: Graph, path: Sequence[int]) -> list[list[float]]:
    """``[[lon, lat], ...]`` through every street shape point of a node path (consecutive edges)."""
    if len(path) == 0:
        return []
    out = [[float(graph.lon[path[0]]), float(graph.lat[path[0]])]]
    for u, v in zip(path[:-1], path[1:]):
        e = edge_index(graph, int(u), int(v))
        out.extend(graph.geom_lonlat[graph.geom_ptr[e] : graph.geom_ptr[e + 1]].tolist())
        out.append([float(graph.lon[v]), float(graph.lat[v])])
    return out


def fastest_paths(graph: Graph, stops: Sequence[int], weight: str = "time_s") -> list[list[int]]:
    """Node path of each leg ``stops[i] -> stops[i+1]`` (one Dijkstra per distinct leg start)."""
    stops = [int(s) for s in stops]
    if len(stops) < 2:
        return []
    starts = sorted(set(stops[:-1]))
    _, pred = dijkstra(graph.weights[weight], directed=True, indices=starts, return_predecessors=True)
    row = {s: i for i, s in enumerate(starts)}
    legs = []
    for a, b in zip(stops[:-1], stops[1:]):
        p = pred[row[a]]
        leg = [b]
        while leg[-1] != a:
            nxt = int(p[leg[-1]])
            if nxt < 0:
                raise ValueError(f"node {b} is unreachable from node {a}")
            leg.append(nxt)
        legs.append(leg[::-1])
    return legs


def route_linestring(network: RoadNetwork, node_sequence: Sequence[int]) -> list[list[float]]:
    """``[[lon, lat], ...]`` following streets through ``node_sequence`` (driving graph node ids).

    Consecutive duplicate stops add nothing; a single node gives a one-point list.
    """
    graph = network.drive
    nodes = [int(n) for n in node_sequence]
    if not nodes:
        return []
    coords = [[float(graph.lon[nodes[0]]), float(graph.lat[nodes[0]])]]
    for leg in fastest_paths(graph, nodes):
        coords.extend(path_coordinates(graph, leg)[1:])
    return coords


def route_feature(network: RoadNetwork, node_sequence: Sequence[int], properties: dict | None = None) -> dict:
    """GeoJSON LineString Feature of :func:`route_linestring`."""
    return line_feature(route_linestring(network, node_sequence), properties)
