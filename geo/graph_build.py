"""Build driving and walking graphs from way records (vectorised numpy, no I/O).

Every way vertex becomes a graph node; vertices shared by several ways (same coordinates to
1e-7 degree) are junctions. Each consecutive vertex pair of a way is a segment whose length is
the haversine distance in metres.

* Driving graph: directed, drivable ways only (:func:`geo.osm_rules.is_drivable`), one-way rules
  from :func:`geo.osm_rules.oneway_direction`; edge weights are travel time (seconds) and length
  (metres). Parallel edges keep the fastest. Restricted to the largest strongly connected
  component, so every node can reach every other.
* Walking graph: undirected, walkable ways (:func:`geo.osm_rules.is_walkable`), length in metres,
  restricted to the largest connected component.

Node ids of each graph are ``0..n-1`` indices into that graph's ``lon``/``lat`` arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.geodesy import haversine_m
from geo.osm_rules import drive_speed_mps, is_drivable, is_walkable, oneway_direction
from geo.ways import Way

MIN_EDGE_TIME_S = 0.01
"""Floor on an edge's travel time (seconds) so every weight is strictly positive."""

_COORD_SCALE = 1e7


@dataclass(frozen=True)
class Graph:
    """A compacted graph over geographic nodes (junctions and dead ends).

    ``weights`` maps a name (``"time_s"``, ``"length_m"``) to an ``(n, n)`` CSR matrix; for a
    directed graph entry ``[u, v]`` is the edge u -> v. Undirected graphs store both directions.
    All weight matrices share one sparsity structure (same ``indptr``/``indices``), so CSR entry
    ``e`` is the same edge in each. The street shape of edge ``e`` (the way vertices strictly
    between its end nodes, in travel order) is ``geom_lonlat[geom_ptr[e]:geom_ptr[e + 1]]``.
    """

    lon: np.ndarray
    lat: np.ndarray
    weights: dict[str, sp.csr_matrix]
    geom_ptr: np.ndarray
    geom_lonlat: np.ndarray

    @property
    def n_nodes(self) -> int:
        return int(self.lon.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of stored (directed) edges."""
        return int(next(iter(self.weights.values())).nnz)


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


def _csr_order(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Permutation sorting edges by (u, v) and the matching CSR ``indptr``."""
    order = np.lexsort((v, u))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return order, indptr


def _gather_ranges(ptr: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New ``ptr`` and flat index array selecting ranges ``ptr[i]:ptr[i+1]`` for ``i in items``."""
    counts = ptr[items + 1] - ptr[items]
    new_ptr = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(counts, out=new_ptr[1:])
    flat = np.repeat(ptr[items] - new_ptr[:-1], counts) + np.arange(new_ptr[-1])
    return new_ptr, flat


def compact(
    n: int, u: np.ndarray, v: np.ndarray, weights: dict[str, np.ndarray], lon: np.ndarray, lat: np.ndarray
) -> Graph:
    """Contract pass-through vertices (shape points) into edges carrying summed weights and geometry.

    ``u``, ``v`` are unique directed edges (no self-loops) over vertices ``0..n-1``; undirected
    graphs list both directions. A vertex is *pass-through* when it has exactly two distinct
    neighbours and traffic flows straight across it (two-way both sides, or one-way in and out).
    Every other vertex (junction, dead end, one-way change) stays a node. The first weight is the
    primary cost: of parallel contracted edges between the same nodes the cheapest is kept.
    """
    names = list(weights)
    order, indptr = _csr_order(n, u, v)
    u, v = u[order], v[order]
    w = np.vstack([weights[k][order] for k in names])
    outdeg = np.diff(indptr)
    indeg = np.bincount(v, minlength=n)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pairs = np.unique(lo * n + hi)
    nbrs = np.bincount(pairs // n, minlength=n) + np.bincount(pairs % n, minlength=n)
    through = (nbrs == 2) & (((indeg == 2) & (outdeg == 2)) | ((indeg == 1) & (outdeg == 1)))
    if through.all():  # the whole graph is one ring: keep one node
        through[0] = False

    starts = np.flatnonzero(~through[u])
    origin = u[starts]
    prev = u[starts].copy()
    node = v[starts].copy()
    acc = w[:, starts].copy()
    geo_chain: list[np.ndarray] = []
    geo_node: list[np.ndarray] = []
    active = np.flatnonzero(through[node])
    while active.size:
        x = node[active]
        base = indptr[x]
        step_back = (outdeg[x] == 2) & (v[base] == prev[active])
        pos = base + step_back
        geo_chain.append(active)
        geo_node.append(x)
        acc[:, active] += w[:, pos]
        prev[active] = x
        node[active] = v[pos]
        active = active[through[node[active]]]

    chain_ids = np.concatenate(geo_chain) if geo_chain else np.zeros(0, dtype=np.int64)
    chain_nodes = np.concatenate(geo_node) if geo_node else np.zeros(0, dtype=np.int64)
    g_order = np.argsort(chain_ids, kind="stable")
    chain_nodes = chain_nodes[g_order]
    chain_ptr = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(chain_ids, minlength=len(starts)), out=chain_ptr[1:])

    # drop loops back to the origin, keep the cheapest of parallel chains
    chains = np.flatnonzero(origin != node)
    pick = np.lexsort((acc[0, chains], node[chains], origin[chains]))
    chains = chains[pick]
    first = np.ones(len(chains), dtype=bool)
    first[1:] = (origin[chains][1:] != origin[chains][:-1]) | (node[chains][1:] != node[chains][:-1])
    chains = chains[first]  # already sorted by (origin, end)

    kept = ~through
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[kept] = np.arange(int(kept.sum()))
    m = int(kept.sum())
    cu, cv = new_id[origin[chains]], new_id[node[chains]]
    c_indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(cu, minlength=m), out=c_indptr[1:])
    mats = {}
    for i, name in enumerate(names):
        mat = sp.csr_matrix((acc[i, chains], cv.astype(np.int32), c_indptr), shape=(m, m))
        mat.has_sorted_indices = True
        mats[name] = mat
    geom_ptr, flat = _gather_ranges(chain_ptr, chains)
    via = chain_nodes[flat]
    geom = np.column_stack([lon[via], lat[via]])
    return Graph(lon=lon[kept].copy(), lat=lat[kept].copy(), weights=mats, geom_ptr=geom_ptr, geom_lonlat=geom)


def _subgraph(seg: Segments, u, v, weights: dict[str, np.ndarray], strong: bool) -> Graph:
    """Largest (strongly) connected component of the vertex graph, then :func:`compact`."""
    n = len(seg.lon)
    keep_nodes = _largest_component(n, u, v, strong)
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[keep_nodes] = np.arange(int(keep_nodes.sum()))
    keep_edges = keep_nodes[u] & keep_nodes[v]
    nu, nv = new_id[u[keep_edges]], new_id[v[keep_edges]]
    m = int(keep_nodes.sum())
    return compact(
        m, nu, nv, {k: w[keep_edges] for k, w in weights.items()}, seg.lon[keep_nodes], seg.lat[keep_nodes]
    )


def build_drive_graph(ways: Sequence[Way], seg: Segments | None = None) -> Graph:
    """Directed driving graph (weights ``time_s``, ``length_m``) on the largest SCC."""
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
    u, v, time, length = _min_edges(u, v, time, length)
    return _subgraph(seg, u, v, {"time_s": time, "length_m": length}, strong=True)


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


def graph_to_arrays(graph: Graph, prefix: str) -> dict[str, np.ndarray]:
    """Flat named arrays (for ``np.savez``) describing ``graph``; inverse of :func:`graph_from_arrays`."""
    first = next(iter(graph.weights.values()))
    out = {
        f"{prefix}lon": graph.lon,
        f"{prefix}lat": graph.lat,
        f"{prefix}indptr": first.indptr,
        f"{prefix}indices": first.indices,
        f"{prefix}geom_ptr": graph.geom_ptr,
        f"{prefix}geom_lonlat": graph.geom_lonlat,
        f"{prefix}weight_names": np.array(list(graph.weights), dtype=str),
    }
    for name, mat in graph.weights.items():
        out[f"{prefix}w_{name}"] = mat.data
    return out


def graph_from_arrays(arrays: dict[str, np.ndarray], prefix: str) -> Graph:
    """Rebuild a :class:`Graph` saved by :func:`graph_to_arrays`."""
    n = len(arrays[f"{prefix}lon"])
    indptr, indices = arrays[f"{prefix}indptr"], arrays[f"{prefix}indices"]
    weights = {}
    for name in arrays[f"{prefix}weight_names"].tolist():
        mat = sp.csr_matrix((arrays[f"{prefix}w_{name}"], indices, indptr), shape=(n, n))
        mat.has_sorted_indices = True
        weights[name] = mat
    return Graph(
        lon=arrays[f"{prefix}lon"],
        lat=arrays[f"{prefix}lat"],
        weights=weights,
        geom_ptr=arrays[f"{prefix}geom_ptr"],
        geom_lonlat=arrays[f"{prefix}geom_lonlat"].reshape(-1, 2),
    )
