"""Travel matrices: one-way asymmetry, metric sanity, fastest-path distances and the cache."""

import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from geo.matrix import _path_lengths, fastest_times_and_lengths, packed_weights, travel_matrices


@pytest.fixture(scope="module")
def sample_nodes(gbg):
    return np.random.default_rng(7).choice(gbg.n_nodes, 60, replace=False)


@pytest.fixture(scope="module")
def matrices(gbg, sample_nodes):
    return gbg.travel_matrices(sample_nodes)


def test_shapes_dtypes_and_zero_diagonal(matrices, sample_nodes):
    dur, dist = matrices
    n = len(sample_nodes)
    assert dur.shape == dist.shape == (n, n)
    assert dur.dtype == np.int32 and dist.dtype == np.int32
    assert (np.diag(dur) == 0).all() and (np.diag(dist) == 0).all()
    off = ~np.eye(n, dtype=bool)
    assert (dur[off] > 0).all() and (dist[off] > 0).all()


def test_one_way_street_makes_the_matrix_asymmetric(gbg):
    t = gbg.time_s
    coo = t.tocoo()
    reverse = np.asarray(t[coo.col, coo.row]).ravel()
    one_way = np.flatnonzero(reverse == 0)
    assert one_way.size > 100
    u, v = int(coo.row[one_way[0]]), int(coo.col[one_way[0]])
    dur, dist = gbg.travel_matrices([u, v])
    assert dur[0, 1] < dur[1, 0], "going against a one-way street must take a detour"
    assert dur[0, 1] == round(t[u, v])


def test_matrix_is_asymmetric_in_general(matrices):
    dur, _ = matrices
    assert (dur != dur.T).mean() > 0.5


def test_triangle_inequality_spot_checks(matrices):
    dur, _ = matrices
    n = dur.shape[0]
    rng = np.random.default_rng(3)
    i, j, k = rng.integers(0, n, size=(3, 2000))
    # entries are rounded to whole seconds, so allow one second per rounded term
    assert (dur[i, k] <= dur[i, j] + dur[j, k] + 2).all()


def test_distance_is_the_length_of_the_fastest_path(gbg, sample_nodes, matrices):
    dur, dist = matrices
    for i, j in [(0, 1), (5, 17), (30, 2), (59, 58)]:
        path = gbg.shortest_path_nodes(sample_nodes[i], sample_nodes[j])
        assert path[0] == sample_nodes[i] and path[-1] == sample_nodes[j]
        edges = list(zip(path[:-1], path[1:]))
        time_along = sum(gbg.time_s[a, b] for a, b in edges)
        length_along = sum(gbg.length_m[a, b] for a, b in edges)
        assert dur[i, j] == pytest.approx(time_along, abs=1.0)
        assert dist[i, j] == pytest.approx(length_along, abs=1.0)


def test_duplicate_nodes_are_allowed(gbg, sample_nodes):
    nodes = [sample_nodes[0], sample_nodes[1], sample_nodes[0]]
    dur, dist = gbg.travel_matrices(nodes)
    assert dur[0, 2] == 0 and dur[2, 0] == 0
    assert dur[0, 1] == dur[2, 1] and dist[1, 0] == dist[1, 2]


def test_out_of_range_nodes_are_refused(gbg):
    with pytest.raises(ValueError, match="node ids"):
        gbg.travel_matrices([0, gbg.n_nodes])


def test_cache_hit_returns_identical_arrays_faster(gbg, isolated_cache):
    nodes = np.random.default_rng(11).choice(gbg.n_nodes, 150, replace=False)
    start = time.perf_counter()
    cold = gbg.travel_matrices(nodes)
    cold_s = time.perf_counter() - start
    start = time.perf_counter()
    warm = gbg.travel_matrices(nodes)
    warm_s = time.perf_counter() - start
    assert np.array_equal(cold[0], warm[0]) and np.array_equal(cold[1], warm[1])
    assert warm_s < cold_s
    uncached = gbg.travel_matrices(nodes, use_cache=False)
    assert np.array_equal(cold[0], uncached[0]) and np.array_equal(cold[1], uncached[1])


def _random_strong_graph(seed: int, n: int = 40):
    """A ring (so strongly connected) plus random one-way chords, with random times/lengths."""
    rng = np.random.default_rng(seed)
    u = np.concatenate([np.arange(n), rng.integers(0, n, 3 * n)])
    v = np.concatenate([(np.arange(n) + 1) % n, rng.integers(0, n, 3 * n)])
    keep = u != v
    pairs = np.unique(np.column_stack([u[keep], v[keep]]), axis=0)
    m = len(pairs)
    time_s = sp.csr_matrix((rng.uniform(1, 100, m).round(3), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    length = sp.csr_matrix((rng.uniform(5, 900, m).round(1), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return time_s, length


@pytest.mark.parametrize("seed", range(5))
def test_packed_search_equals_following_predecessors(seed):
    time_s, length = _random_strong_graph(seed)
    assert packed_weights(time_s, length) is not None
    sources = np.arange(time_s.shape[0])
    seconds, metres = fastest_times_and_lengths(time_s, length, sources)
    ref_s, pred = dijkstra(time_s, indices=sources, return_predecessors=True)
    ref_m = _path_lengths(pred, length)
    np.testing.assert_allclose(seconds, ref_s, atol=1e-6)
    np.testing.assert_allclose(metres, ref_m, atol=1e-6)


def test_predecessor_lengths_match_a_hand_walk():
    time_s, length = _random_strong_graph(42, n=15)
    _, pred = dijkstra(time_s, indices=[0, 3], return_predecessors=True)
    metres = _path_lengths(pred, length)
    for row, src in enumerate([0, 3]):
        for target in range(15):
            walked, node = 0.0, target
            while node != src:
                walked += length[pred[row, node], node]
                node = pred[row, node]
            assert metres[row, target] == pytest.approx(walked)


def test_standalone_matrix_without_cache_key():
    time_s, length = _random_strong_graph(1, n=10)
    dur, dist = travel_matrices(time_s, length, [0, 5, 9])
    assert dur.shape == (3, 3) and (np.diag(dist) == 0).all()


def test_chunked_sources_give_the_same_answer(monkeypatch):
    import geo.matrix as matrix

    time_s, length = _random_strong_graph(9, n=30)
    whole = fastest_times_and_lengths(time_s, length, np.arange(30))
    monkeypatch.setattr(matrix, "CHUNK_BYTES", 8 * 30 * 7)  # 7 sources per block
    chunked = fastest_times_and_lengths(time_s, length, np.arange(30))
    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_array_equal(whole[1], chunked[1])


def test_fallback_without_packing_matches(monkeypatch):
    import geo.matrix as matrix

    time_s, length = _random_strong_graph(4, n=30)
    packed = fastest_times_and_lengths(time_s, length, np.arange(30))
    monkeypatch.setattr(matrix, "packed_weights", lambda *a: None)
    plain = fastest_times_and_lengths(time_s, length, np.arange(30))
    np.testing.assert_allclose(packed[0], plain[0], atol=1e-6)
    np.testing.assert_allclose(packed[1], plain[1], atol=1e-6)


@pytest.mark.slow
def test_thousand_by_thousand_matrix(gbg):
    nodes = np.random.default_rng(0).choice(gbg.n_nodes, 1000, replace=False)
    start = time.perf_counter()
    dur, dist = gbg.travel_matrices(nodes, use_cache=False)
    elapsed = time.perf_counter() - start
    assert dur.shape == (1000, 1000) and (np.diag(dist) == 0).all()
    assert dur.max() < 3600 and dist.max() < 60_000  # within one city box
    assert elapsed < 10.0  # ~1.6-2 s on a quiet 2-core machine
