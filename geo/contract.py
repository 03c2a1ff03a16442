"""Contract shape points (pass-through vertices) into edges that keep weights and street shape."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geo.graph import Graph


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
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    weights: dict[str, np.ndarray],
    lon: np.ndarray,
    lat: np.ndarray,
    keep: np.ndarray | None = None,
) -> Graph:
    """Contract pass-through vertices (shape points) into edges carrying summed weights and geometry.

    ``u``, ``v`` are unique directed edges (no self-loops) over vertices ``0..n-1``; undirected
    graphs list both directions. A vertex is *pass-through* when it has exactly two distinct
    neighbours and traffic flows straight across it (two-way both sides, or one-way in and out).
    Every other vertex (junction, dead end, one-way change) stays a node, and so does every vertex
    where the optional boolean mask ``keep`` is set (e.g. the cycle graph keeps the driving
    graph's nodes so the two share them). The first weight is the primary cost: of parallel
    contracted edges between the same nodes the cheapest is kept.
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
    if keep is not None:
        through &= ~keep
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
