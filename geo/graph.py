"""The :class:`Graph` container shared by driving and walking networks, and its npz form."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

NO_STOP_WEIGHT = "no_stop_m"
"""Driving-graph weight: metres of the edge on roads where vans cannot stop (motorway, trunk)."""


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

    def __repr__(self) -> str:
        return f"Graph({self.n_nodes} nodes, {self.n_edges} edges, weights={list(self.weights)})"

    @property
    def n_nodes(self) -> int:
        return int(self.lon.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of stored (directed) edges."""
        return int(next(iter(self.weights.values())).nnz)


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
