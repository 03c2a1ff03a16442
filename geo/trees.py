"""Dead-end trees: speed up many-source Dijkstra by searching only the graph's 2-core.

About 30 % of Gothenburg's driving nodes lie on dead-end trees (cul-de-sacs, parking aisles)
hanging off the 2-core of the street graph. In a strongly connected graph every tree edge runs
both ways, and any trip leaving a tree passes its root (the core node it hangs from). So

    d(s, t) = up(s) + d_core(root(s), root(t)) + down(t)

where ``up(s)`` is the cost from ``s`` to its root and ``down(t)`` from the root to ``t``. Two
nodes in the same tree instead meet at their lowest common ancestor ``a``:
``d(s, t) = up(s) - up(a) + down(t) - down(a)``. Costs are packed integer weights (see
:mod:`geo.matrix`), so these sums and differences are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class TreeDecomposition:
    """Core membership plus, per node, its tree parent, root, depth and up/down costs."""

    core: np.ndarray  # bool (n,)
    parent: np.ndarray  # int64 (n,), -1 for core nodes
    root: np.ndarray  # int64 (n,), the node itself for core nodes
    depth: np.ndarray  # int64 (n,), 0 for core nodes
    up: np.ndarray  # float (n,), cost node -> root
    down: np.ndarray  # float (n,), cost root -> node


def decompose(weights: sp.csr_matrix) -> TreeDecomposition | None:
    """Strip leaves repeatedly; None when nothing hangs off a core (or the graph is a tree)."""
    n = weights.shape[0]
    support = ((weights != 0) + (weights != 0).T).tocsr()  # undirected neighbours (no self-loops)
    deg = np.diff(support.indptr).astype(np.int64)
    alive = np.ones(n, dtype=bool)
    parent = np.full(n, -1, dtype=np.int64)
    rounds: list[np.ndarray] = []
    leaves = np.flatnonzero(deg == 1)
    while leaves.size:
        counts = np.diff(support.indptr)[leaves]
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        flat = np.repeat(support.indptr[leaves] - offsets, counts) + np.arange(counts.sum())
        rows = np.repeat(leaves, counts)
        cols = support.indices[flat]
        sel = alive[cols]  # each leaf has exactly one live neighbour: its parent
        parent[rows[sel]] = cols[sel]
        if np.isin(parent[leaves], leaves).any():  # two leaves holding each other: a bare tree
            return None
        alive[leaves] = False
        rounds.append(leaves)
        np.subtract.at(deg, parent[leaves], 1)
        deg[leaves] = 0
        leaves = np.flatnonzero(alive & (deg == 1))
    if not rounds or not alive.any():
        return None

    root = np.arange(n, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    up = np.zeros(n)
    down = np.zeros(n)
    for leaves in reversed(rounds):  # nodes nearest the core first
        p = parent[leaves]
        root[leaves] = root[p]
        depth[leaves] = depth[p] + 1
        up[leaves] = np.asarray(weights[leaves, p]).ravel() + up[p]
        down[leaves] = np.asarray(weights[p, leaves]).ravel() + down[p]
    return TreeDecomposition(core=alive, parent=parent, root=root, depth=depth, up=up, down=down)


def same_tree_cost(tree: TreeDecomposition, s: int, t: int) -> float:
    """Cost from ``s`` to ``t`` when both hang in the same tree (via their lowest common ancestor)."""
    a, b = s, t
    while tree.depth[a] > tree.depth[b]:
        a = tree.parent[a]
    while tree.depth[b] > tree.depth[a]:
        b = tree.parent[b]
    while a != b:
        a, b = tree.parent[a], tree.parent[b]
    return float(tree.up[s] - tree.up[a] + tree.down[t] - tree.down[a])
