"""Travel-time and distance matrices, and fastest paths, on the driving graph.

One Dijkstra run per source (``scipy.sparse.csgraph.dijkstra``) yields both matrices: the edge
weight packs time and length into one exact float64 integer,

    w = round(time_s * 1000) * 2**L + round(length_m * 10)

so the search minimises travel time (length only breaks ties) and the path sums decode back into
milliseconds (``w >> L``) and decimetres (``w mod 2**L``) of the *same* fastest path. Integer sums
stay exact below 2**53; ``L`` is sized from rigorous bounds, and graphs too large for the packing
fall back to following the predecessor tree (slower, same result). With packing, the search runs
on the graph's 2-core only and dead-end trees are added on afterwards (:mod:`geo.trees`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from geo.cache import array_sha1, cache_dir, load_npz, save_npz
from geo.trees import TreeDecomposition, decompose, same_tree_cost

_EXACT_BITS = 53


def _bits(x: float) -> int:
    """Bits needed to hold integers up to ``x``."""
    return int(np.ceil(np.log2(max(float(x), 1.0) + 1.0)))


def packed_weights(time_s: sp.csr_matrix, length_m: sp.csr_matrix) -> tuple[sp.csr_matrix, int] | None:
    """CSR of packed time/length weights and the length bit width, or None if they cannot fit.

    Bounds are rigorous: any fastest path takes at most ``T = max_a d(a, 0) + max_b d(0, b)``
    (two Dijkstra runs through node 0), plus half a millisecond of rounding per edge; its length
    is at most ``T`` times the largest decimetres-per-millisecond ratio of any edge.
    """
    n = time_s.shape[0]
    ms = np.maximum(np.round(time_s.data * 1000.0), 1.0)
    dm = np.round(length_m.data * 10.0)
    if n == 0 or ms.size == 0:
        return None
    out_of_0 = dijkstra(time_s, directed=True, indices=0)
    into_0 = dijkstra(time_s.T.tocsr(), directed=True, indices=0)
    if not (np.isfinite(out_of_0).all() and np.isfinite(into_0).all()):
        return None
    t_bound_ms = 1000.0 * (out_of_0.max() + into_0.max()) + 0.5 * n + 1.0
    l_bound_dm = t_bound_ms * float((dm / ms).max()) + 1.0
    length_bits = _bits(l_bound_dm)
    time_bits = _bits(t_bound_ms + ms.max())
    if length_bits + time_bits > _EXACT_BITS:
        return None
    packed = ms * float(2**length_bits) + dm
    mat = sp.csr_matrix((packed, time_s.indices, time_s.indptr), shape=time_s.shape)
    return mat, length_bits


CHUNK_BYTES = 64 * 2**20
"""Peak size of one block of Dijkstra rows (sources x all nodes x 8 bytes); sources are chunked."""


def fastest_times_and_lengths(
    time_s: sp.csr_matrix, length_m: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and metres of the fastest path from each source to each target (default: all nodes).

    Returns two float arrays of shape ``(len(sources), len(targets))``; ``inf`` where unreachable.
    Sources are processed in chunks so memory stays bounded on large graphs.
    """
    sources = np.atleast_1d(np.asarray(sources, dtype=np.int64))
    n = time_s.shape[0]
    cols = np.arange(n) if targets is None else np.asarray(targets, dtype=np.int64)
    packed = packed_weights(time_s, length_m)
    if packed is not None:
        mat, length_bits = packed
        tree = decompose(mat)
        sums = _packed_sums(mat, sources, cols) if tree is None else _packed_sums_via_core(mat, tree, sources, cols)
        return _decode(sums, length_bits)
    chunk = max(1, CHUNK_BYTES // (8 * max(n, 1)))
    seconds = np.empty((len(sources), len(cols)))
    metres = np.empty((len(sources), len(cols)))
    for lo in range(0, len(sources), chunk):
        rows = slice(lo, lo + chunk)
        seconds[rows], metres[rows] = _predecessor_block(time_s, length_m, sources[rows], cols)
    return seconds, metres


def _decode(w: np.ndarray, length_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Packed path sums -> (seconds, metres); ``inf`` stays ``inf``."""
    unreachable = ~np.isfinite(w)
    w_int = np.where(unreachable, 0.0, w).astype(np.int64)
    seconds = (w_int >> length_bits) / 1000.0
    metres = (w_int & ((1 << length_bits) - 1)) / 10.0
    seconds[unreachable] = np.inf
    metres[unreachable] = np.inf
    return seconds, metres


def _packed_sums(mat: sp.csr_matrix, sources: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Packed shortest-path sums on the whole graph, sources in memory-bounded chunks."""
    chunk = max(1, CHUNK_BYTES // (8 * max(mat.shape[0], 1)))
    out = np.empty((len(sources), len(cols)))
    for lo in range(0, len(sources), chunk):
        out[lo : lo + chunk] = dijkstra(mat, directed=True, indices=sources[lo : lo + chunk])[:, cols]
    return out


def _packed_sums_via_core(mat: sp.csr_matrix, tree: TreeDecomposition, sources: np.ndarray, cols: np.ndarray):
    """Packed sums searching only the 2-core; dead-end trees are added on (see :mod:`geo.trees`)."""
    core_ids = np.flatnonzero(tree.core)
    index = np.full(mat.shape[0], -1, dtype=np.int64)
    index[core_ids] = np.arange(len(core_ids))
    core_mat = mat[core_ids][:, core_ids]
    src_root, tgt_root = tree.root[sources], tree.root[cols]
    roots, inverse = np.unique(src_root, return_inverse=True)
    out = _packed_sums(core_mat, index[roots], index[tgt_root])[inverse]
    out += tree.up[sources][:, None]
    out += tree.down[cols][None, :]
    same_tree = (src_root[:, None] == tgt_root[None, :]) & ~tree.core[sources][:, None] & ~tree.core[cols][None, :]
    for i, j in zip(*np.nonzero(same_tree)):
        out[i, j] = same_tree_cost(tree, int(sources[i]), int(cols[j]))
    return out


def _predecessor_block(time_s: sp.csr_matrix, length_m: sp.csr_matrix, sources: np.ndarray, cols: np.ndarray):
    seconds, pred = dijkstra(time_s, directed=True, indices=sources, return_predecessors=True)
    metres = _path_lengths(pred, length_m)
    metres[~np.isfinite(seconds)] = np.inf
    return seconds[:, cols], metres[:, cols]


def _path_lengths(pred: np.ndarray, length_m: sp.csr_matrix) -> np.ndarray:
    """Metres along predecessor trees, by doubling: each round adds the ancestor's partial sum."""
    n_src, n = pred.shape
    rows = np.arange(n_src)[:, None]
    cols = np.broadcast_to(np.arange(n)[None, :], pred.shape)
    has_parent = pred >= 0
    anc = np.where(has_parent, pred, cols)
    total = np.zeros(pred.shape)
    total[has_parent] = np.asarray(length_m[pred[has_parent], cols[has_parent]]).ravel()
    while True:
        grand = anc[rows, anc]
        if np.array_equal(grand, anc):
            return total
        total = total + total[rows, anc]  # the root's own total is 0, so settled rows stay put
        anc = grand


def travel_matrices(
    time_s: sp.csr_matrix,
    length_m: sp.csr_matrix,
    nodes,
    network_key: str | None = None,
    use_cache: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Fastest-path ``(duration_s, distance_m)`` between ``nodes``, both ``int32 (n, n)``, rounded.

    Entry ``[i, j]`` is from ``nodes[i]`` to ``nodes[j]`` (asymmetric: one-way streets); the
    distance is the length of that fastest path. With ``network_key`` the result is cached on disk
    under a hash of the key and the node array.
    """
    nodes = np.asarray(nodes, dtype=np.int64).ravel()
    n_graph = time_s.shape[0]
    if nodes.size and (nodes.min() < 0 or nodes.max() >= n_graph):
        raise ValueError(f"node ids must be in [0, {n_graph}), got min {nodes.min()}, max {nodes.max()}")
    path = None
    if network_key is not None and use_cache:
        path = cache_dir() / f"matrix-{array_sha1(nodes, salt=network_key)}.npz"
        hit = load_npz(path)
        if hit is not None:
            return hit["duration_s"], hit["distance_m"]
    uniq, inverse = np.unique(nodes, return_inverse=True)
    seconds, metres = fastest_times_and_lengths(time_s, length_m, uniq, uniq)
    sub_s = seconds[np.ix_(inverse, inverse)]
    sub_m = metres[np.ix_(inverse, inverse)]
    if not (np.isfinite(sub_s).all() and np.isfinite(sub_m).all()):
        raise ValueError("some nodes cannot reach each other; the graph is not strongly connected")
    duration = np.round(sub_s).astype(np.int32)
    distance = np.round(sub_m).astype(np.int32)
    if path is not None:
        save_npz(path, {"duration_s": duration, "distance_m": distance})
    return duration, distance


def shortest_path_nodes(time_s: sp.csr_matrix, a: int, b: int) -> list[int]:
    """Node sequence ``[a, ..., b]`` of the fastest path from ``a`` to ``b``."""
    a, b = int(a), int(b)
    if a == b:
        return [a]
    _, pred = dijkstra(time_s, directed=True, indices=a, return_predecessors=True)
    if pred[b] < 0:
        raise ValueError(f"node {b} is unreachable from node {a}")
    path = [b]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
    return path[::-1]
