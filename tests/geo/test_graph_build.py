"""Building graphs from way records: junctions, one-ways, access, components and contraction."""

import numpy as np
import pytest

from geo.geodesy import haversine_m
from geo.geometry import edge_index, path_coordinates
from geo.graph_build import build_drive_graph, build_walk_graph

from tests.geo.grid import node_at, pt, way


#                  H
#                  |            B -> D one-way, D <-> C two-way via a corner, C -> E one-way
# G .. A --mid-- B ---- C -> E  dead end, C -- H two-way dead end, D -- P private road,
#                |      |       G .. A footway (walkers only)
#                D -----+
#                |
#                P
SMALL_TOWN = [
    way(1, [pt(0, 0), pt(0.5, 0.3), pt(1, 0), pt(2, 0)]),
    way(2, [pt(1, 0), pt(1, -1)], oneway="yes"),
    way(3, [pt(1, -1), pt(2, -1), pt(2, 0)]),
    way(4, [pt(2, 0), pt(3, 0)], oneway="yes"),
    way(5, [pt(2, 0), pt(2, 1)]),
    way(6, [pt(-1, 0), pt(0, 0)], highway="footway"),
    way(8, [pt(1, -1), pt(1, -2)], access="private"),
]


@pytest.fixture(scope="module")
def drive():
    return build_drive_graph(SMALL_TOWN)


def test_junctions_are_nodes_and_shape_points_are_not(drive):
    # A, B, C, D, H are nodes; "mid" and the corner (2, -1) are contracted; E is outside the
    # strongly connected component, P is private, G is on a footway.
    assert drive.n_nodes == 5
    for p in (pt(0, 0), pt(1, 0), pt(2, 0), pt(1, -1), pt(2, 1)):
        node_at(drive, p)


def test_one_way_edge_exists_in_one_direction_only(drive):
    b, d = node_at(drive, pt(1, 0)), node_at(drive, pt(1, -1))
    t = drive.weights["time_s"]
    assert t[b, d] > 0
    assert t[d, b] == 0  # no stored edge


def test_contracted_edge_keeps_length_time_and_shape(drive):
    a, b = node_at(drive, pt(0, 0)), node_at(drive, pt(1, 0))
    expected = haversine_m(*pt(0, 0), *pt(0.5, 0.3)) + haversine_m(*pt(0.5, 0.3), *pt(1, 0))
    assert drive.weights["length_m"][a, b] == pytest.approx(expected)
    assert drive.weights["length_m"][b, a] == pytest.approx(expected)
    assert drive.weights["time_s"][a, b] == pytest.approx(expected / (25 / 3.6))
    coords = path_coordinates(drive, [a, b])
    np.testing.assert_allclose(coords, [pt(0, 0), pt(0.5, 0.3), pt(1, 0)], atol=1e-7)
    np.testing.assert_allclose(path_coordinates(drive, [b, a]), [pt(1, 0), pt(0.5, 0.3), pt(0, 0)], atol=1e-7)


def test_all_weight_matrices_share_one_structure(drive):
    t, length = drive.weights["time_s"], drive.weights["length_m"]
    assert np.array_equal(t.indptr, length.indptr) and np.array_equal(t.indices, length.indices)
    assert (t.data > 0).all() and (length.data > 0).all()
    assert len(drive.geom_ptr) == t.nnz + 1


def test_missing_edge_lookup_raises(drive):
    b, d = node_at(drive, pt(1, 0)), node_at(drive, pt(1, -1))
    with pytest.raises(KeyError):
        edge_index(drive, d, b)


def test_parallel_streets_keep_the_faster():
    slow = way(1, [pt(0, 0), pt(0, 1), pt(1, 1)], highway="service")
    fast = way(2, [pt(0, 0), pt(0.5, 0.5), pt(1, 1)], highway="primary")
    spur = way(3, [pt(1, 1), pt(2, 1)])  # makes (1, 1) a junction
    spur2 = way(4, [pt(0, 0), pt(-1, 0)])
    g = build_drive_graph([slow, fast, spur, spur2])
    a, b = node_at(g, pt(0, 0)), node_at(g, pt(1, 1))
    assert g.weights["length_m"][a, b] == pytest.approx(2 * haversine_m(*pt(0, 0), *pt(0.5, 0.5)), rel=1e-5)


def test_roundabout_is_one_way():
    ring = [pt(0, 0), pt(1, 0), pt(1, 1), pt(0, 1), pt(0, 0)]
    arms = [way(2, [pt(0, 0), pt(-1, 0)]), way(3, [pt(1, 1), pt(2, 1)])]
    g = build_drive_graph([way(1, ring, junction="roundabout"), *arms])
    a, c = node_at(g, pt(0, 0)), node_at(g, pt(1, 1))
    assert g.weights["time_s"][a, c] > 0 and g.weights["time_s"][c, a] > 0
    # going a -> c along the ring direction passes (1, 0); the way back passes (0, 1)
    np.testing.assert_allclose(path_coordinates(g, [a, c])[1], pt(1, 0), atol=1e-7)
    np.testing.assert_allclose(path_coordinates(g, [c, a])[1], pt(0, 1), atol=1e-7)


def test_walk_graph_is_undirected_and_includes_footways_not_motorways():
    ways = SMALL_TOWN + [way(7, [pt(3, 0), pt(4, 0)], highway="motorway")]
    walk = build_walk_graph(ways)
    g = node_at(walk, pt(-1, 0))
    b = node_at(walk, pt(1, 0))
    length = walk.weights["length_m"]
    # footway G..A joins the street A--mid--B; A is a plain bend for walkers
    expected = sum(
        haversine_m(*p, *q) for p, q in [(pt(-1, 0), pt(0, 0)), (pt(0, 0), pt(0.5, 0.3)), (pt(0.5, 0.3), pt(1, 0))]
    )
    assert length[g, b] == pytest.approx(expected)
    assert length[b, g] == pytest.approx(expected)
    assert (length != length.T).nnz == 0
    assert not np.any(np.isclose(walk.lon, pt(4, 0)[0]) & np.isclose(walk.lat, pt(4, 0)[1]))
