"""Dead-end trees: searching the 2-core and adding trees on gives the whole-graph answer."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from geo.matrix import _packed_sums, _packed_sums_via_core, fastest_times_and_lengths, packed_weights
from geo.trees import decompose


def _graph_with_trees(seed: int, n_core: int = 25, n_tree: int = 35):
    """Directed strongly connected core (ring + one-way chords) with two-way dead-end trees."""
    rng = np.random.default_rng(seed)
    u = list(range(n_core)) + list(rng.integers(0, n_core, 2 * n_core))
    v = [(i + 1) % n_core for i in range(n_core)] + list(rng.integers(0, n_core, 2 * n_core))
    for x in range(n_core, n_core + n_tree):
        p = int(rng.integers(0, x))  # attach to any earlier node: core or tree
        u += [x, p]
        v += [p, x]
    pairs = np.unique(np.array([(a, b) for a, b in zip(u, v) if a != b]), axis=0)
    n, m = n_core + n_tree, len(pairs)
    time_s = sp.csr_matrix((rng.uniform(1, 100, m).round(3), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    length = sp.csr_matrix((rng.uniform(5, 900, m).round(1), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return time_s, length


@pytest.mark.parametrize("seed", range(6))
def test_core_search_equals_whole_graph_search(seed):
    time_s, length = _graph_with_trees(seed)
    mat, _ = packed_weights(time_s, length)
    tree = decompose(mat)
    assert tree is not None and 0 < tree.core.sum() < mat.shape[0]
    nodes = np.arange(mat.shape[0])
    np.testing.assert_array_equal(_packed_sums_via_core(mat, tree, nodes, nodes), _packed_sums(mat, nodes, nodes))


@pytest.mark.parametrize("seed", range(3))
def test_matrices_with_trees_match_plain_dijkstra(seed):
    time_s, length = _graph_with_trees(seed)
    nodes = np.arange(time_s.shape[0])
    seconds, _ = fastest_times_and_lengths(time_s, length, nodes, nodes)
    np.testing.assert_allclose(seconds, dijkstra(time_s, indices=nodes), atol=1e-6)


def test_decomposition_facts():
    time_s, length = _graph_with_trees(0)
    tree = decompose(time_s)
    hanging = np.flatnonzero(~tree.core)
    assert (tree.core[tree.root]).all()
    assert (tree.depth[hanging] >= 1).all() and (tree.depth[tree.core] == 0).all()
    for x in hanging:  # up cost is the sum along parent links
        walked, node = 0.0, x
        while tree.parent[node] >= 0:
            walked += time_s[node, tree.parent[node]]
            node = tree.parent[node]
        assert node == tree.root[x] and tree.up[x] == pytest.approx(walked)


def test_graphs_without_trees_or_only_trees_decline():
    ring = sp.csr_matrix((np.ones(4), ([0, 1, 2, 3], [1, 2, 3, 0])), shape=(4, 4))
    assert decompose(ring) is None
    path = sp.csr_matrix((np.ones(4), ([0, 1, 1, 2], [1, 0, 2, 1])), shape=(3, 3))
    result = decompose(path)
    assert result is None or result.core.sum() >= 1


def test_gothenburg_core_search_matches_whole_graph(gbg):
    mat, _ = packed_weights(gbg.time_s, gbg.length_m)
    tree = decompose(mat)
    assert 0.5 * gbg.n_nodes < tree.core.sum() < 0.8 * gbg.n_nodes
    nodes = np.random.default_rng(8).choice(gbg.n_nodes, 80, replace=False)
    # include tree nodes sharing a root, so the same-tree branch is exercised
    hanging = np.flatnonzero(~tree.core)
    siblings = hanging[np.isin(tree.root[hanging], tree.root[hanging[tree.depth[hanging] >= 2][:5]])]
    nodes = np.unique(np.concatenate([nodes, siblings]))
    np.testing.assert_array_equal(_packed_sums_via_core(mat, tree, nodes, nodes), _packed_sums(mat, nodes, nodes))
