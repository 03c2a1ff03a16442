"""Rush-hour speed factors by road class: slowed edge times, recomputed fastest paths, cache, errors.

A hand-made town pins each rule down; the embedded Gothenburg network checks a morning peak on
real streets.
"""

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from geo.geodesy import haversine_m
from geo.graph_build import GROUP_TIME_WEIGHTS, build_drive_graph, group_time_weight
from geo.matrix import _path_lengths, fastest_times_and_lengths, packed_weights
from geo.network import build_network
from geo.osm_rules import (
    DRIVABLE_HIGHWAYS,
    ROAD_CLASS_GROUP_NAMES,
    ROAD_CLASS_GROUPS,
    road_class_group,
    validate_speed_factors,
)
from geo.trees import decompose
from geo.ways import WaySet

from tests.geo.grid import node_at, pt, way

MORNING_PEAK = {
    "motorway": 0.55,
    "trunk": 0.6,
    "primary": 0.65,
    "secondary": 0.7,
    "tertiary": 0.8,
    "residential": 0.9,
    "service": 0.95,
}


#   W --- A ========= primary (595 m, 47.6 s) ========= B --- E
#          \                                          /
#           `------ residential (318 m) -- C -- (318 m) ------'       C -- D: a residential stub
#                                          |
#                                          D
A, B, C = pt(0, 0), pt(10, 0), pt(5, 1)
DETOUR_TOWN = [
    way(1, [A, B], highway="primary"),
    way(2, [A, C]),
    way(3, [C, B]),
    way(4, [pt(-3, 0), A]),
    way(5, [B, pt(13, 0)]),
    way(6, [C, pt(5, 3)]),
]
PRIMARY_M = haversine_m(A[0], A[1], B[0], B[1])  # 595 m
DETOUR_M = haversine_m(A[0], A[1], C[0], C[1]) + haversine_m(C[0], C[1], B[0], B[1])  # 635 m
PRIMARY_S = PRIMARY_M / (45 / 3.6)  # 47.5 s at free flow
DETOUR_S = DETOUR_M / (25 / 3.6)  # 91.5 s


@pytest.fixture(scope="module")
def town():
    return build_network(WaySet(DETOUR_TOWN, {}), "detour-town", "test-detour-town")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache directory of this test's own, so matrix files can be counted."""
    monkeypatch.setenv("LASTMILE_CACHE_DIR", str(tmp_path))
    return tmp_path


def stop_nodes(net, k: int = 50, seed: int = 13) -> np.ndarray:
    stops = net.transit_stops()
    pick = np.random.default_rng(seed).choice(len(stops), k, replace=False)
    return net.snap([stops[i].lat for i in pick], [stops[i].lon for i in pick])


# -- road class groups -----------------------------------------------------------------------


def test_road_class_groups_are_the_documented_seven_and_cover_every_drivable_class():
    assert ROAD_CLASS_GROUPS == {
        "motorway": ("motorway", "motorway_link"),
        "trunk": ("trunk", "trunk_link"),
        "primary": ("primary", "primary_link"),
        "secondary": ("secondary", "secondary_link"),
        "tertiary": ("tertiary", "tertiary_link"),
        "residential": ("residential", "living_street", "unclassified", "road"),
        "service": ("service",),
    }
    assert ROAD_CLASS_GROUP_NAMES == tuple(ROAD_CLASS_GROUPS)
    listed = [h for hs in ROAD_CLASS_GROUPS.values() for h in hs]
    assert len(listed) == len(set(listed)) and set(listed) == DRIVABLE_HIGHWAYS
    assert road_class_group({"highway": "living_street"}) == "residential"
    assert road_class_group({"highway": "motorway_link", "maxspeed": "70"}) == "motorway"
    assert road_class_group({"highway": "busway"}) == "service"  # anything else drivable: service


def test_validated_factors_leave_out_ones_and_follow_the_group_order():
    assert validate_speed_factors(None) == {}
    assert validate_speed_factors({}) == {}
    assert validate_speed_factors({g: 1.0 for g in ROAD_CLASS_GROUP_NAMES}) == {}
    assert validate_speed_factors({"service": 0.95, "motorway": 0.55, "trunk": 1}) == {
        "motorway": 0.55,
        "service": 0.95,
    }
    assert list(validate_speed_factors({"service": 0.9, "motorway": 1.2})) == ["motorway", "service"]
    assert validate_speed_factors({"primary": 1.5}) == {"primary": 1.5}  # off-peak night: faster is allowed
    assert validate_speed_factors({"primary": np.float32(0.5)}) == {"primary": 0.5}


# -- edge times ------------------------------------------------------------------------------


def test_each_edge_stores_its_seconds_per_road_class_group_summing_to_its_time():
    g = build_drive_graph(DETOUR_TOWN)
    a, b = node_at(g, A), node_at(g, B)
    time = g.weights["time_s"]
    assert time[a, b] == pytest.approx(PRIMARY_S, rel=1e-9)
    assert g.weights[group_time_weight("primary")][a, b] == time[a, b]
    assert all(g.weights[w][a, b] == 0 for w in GROUP_TIME_WEIGHTS if w != group_time_weight("primary"))
    total = sum(g.weights[w].data for w in GROUP_TIME_WEIGHTS)
    np.testing.assert_allclose(total, time.data, rtol=1e-12)


def test_a_factor_divides_the_time_of_its_groups_edges_and_leaves_other_edges_exactly_alone(gbg):
    # Gothenburg tags few roads primary (35 edges); secondary is its common main-road class
    free = gbg.time_s
    slowed = gbg.drive_time_s({"secondary": 0.5})
    np.testing.assert_array_equal(slowed.indptr, free.indptr)
    np.testing.assert_array_equal(slowed.indices, free.indices)
    secondary = gbg.drive.weights[group_time_weight("secondary")].data
    untouched = secondary == 0
    pure = secondary == free.data
    assert untouched.sum() > 10_000 and pure.sum() > 500
    np.testing.assert_array_equal(slowed.data[untouched], free.data[untouched])
    np.testing.assert_allclose(slowed.data[pure], 2 * free.data[pure], rtol=1e-12)
    mixed = ~untouched & ~pure  # a contracted edge partly on secondary road: only that part slows
    assert mixed.any()
    np.testing.assert_allclose(slowed.data[mixed], free.data[mixed] + secondary[mixed], rtol=1e-12)


def test_no_factors_or_all_ones_give_exactly_the_free_flow_times(gbg):
    assert gbg.drive_time_s() is gbg.time_s
    assert gbg.drive_time_s({g: 1.0 for g in ROAD_CLASS_GROUP_NAMES}) is gbg.time_s


# -- fastest paths ---------------------------------------------------------------------------


def test_slowing_the_primary_road_switches_the_fastest_path_to_the_residential_detour(town):
    a, b, c = (node_at(town.drive, p) for p in (A, B, C))
    assert town.shortest_path_nodes(a, b) == [a, b]
    assert town.shortest_path_nodes(a, b, speed_factors={"primary": 0.65}) == [a, b]  # 73 s, still faster
    assert town.shortest_path_nodes(a, b, speed_factors={"primary": 0.4}) == [a, c, b]  # 119 s vs 91.5 s

    free_s, free_m = town.travel_matrices([a, b], use_cache=False)
    peak_s, peak_m = town.travel_matrices([a, b], use_cache=False, speed_factors={"primary": 0.4})
    assert free_s[0, 1] == round(PRIMARY_S) and free_m[0, 1] == round(PRIMARY_M)
    assert peak_s[0, 1] == round(DETOUR_S) and peak_m[0, 1] == round(DETOUR_M)  # the detour's time and metres


def test_slowing_the_detour_too_brings_the_primary_road_back(town):
    a, b = node_at(town.drive, A), node_at(town.drive, B)
    factors = {"primary": 0.4, "residential": 0.5}  # detour 183 s, primary 119 s
    assert town.shortest_path_nodes(a, b, speed_factors=factors) == [a, b]
    peak_s, peak_m = town.travel_matrices([a, b], use_cache=False, speed_factors=factors)
    assert peak_s[0, 1] == round(PRIMARY_S / 0.4) and peak_m[0, 1] == round(PRIMARY_M)


def test_no_factors_or_all_ones_are_bit_identical_to_todays_matrices(gbg, fresh_cache):
    nodes = stop_nodes(gbg, 40)
    today = gbg.travel_matrices(nodes)
    for factors in (None, {}, {g: 1.0 for g in ROAD_CLASS_GROUP_NAMES}, {"motorway": 1}):
        s, m = gbg.travel_matrices(nodes, speed_factors=factors)
        assert s.dtype == np.int32 and m.dtype == np.int32
        np.testing.assert_array_equal(s, today[0])
        np.testing.assert_array_equal(m, today[1])
    assert len(list(fresh_cache.glob("matrix-*.npz"))) == 1  # one cache file: the free-flow one


def test_slowed_fast_paths_equal_a_plain_search_of_the_whole_graph(gbg):
    # packed weights and the dead-end-tree core search run on the slowed times as on free flow
    slowed = gbg.drive_time_s(MORNING_PEAK)
    assert packed_weights(slowed, gbg.length_m) is not None and decompose(slowed) is not None
    sources = stop_nodes(gbg, 12)
    seconds, metres = fastest_times_and_lengths(slowed, gbg.length_m, sources)
    ref_s, pred = dijkstra(slowed, indices=sources, return_predecessors=True)
    np.testing.assert_allclose(seconds, ref_s, atol=0.001 * 200)  # ms rounding per edge
    assert np.abs(metres - _path_lengths(pred, gbg.length_m)).max() < 50  # ties may pick another path


# -- cache -----------------------------------------------------------------------------------


def test_the_cache_keeps_banded_and_free_flow_matrices_apart(gbg, fresh_cache):
    nodes = stop_nodes(gbg, 30)
    free = gbg.travel_matrices(nodes)
    peak = gbg.travel_matrices(nodes, speed_factors=MORNING_PEAK)
    assert len(list(fresh_cache.glob("matrix-*.npz"))) == 2
    assert (peak[0] > free[0]).any()
    for factors, expected in ((None, free), (MORNING_PEAK, peak)):
        cached = gbg.travel_matrices(nodes, speed_factors=factors)
        np.testing.assert_array_equal(cached[0], expected[0])
        np.testing.assert_array_equal(cached[1], expected[1])
    # a factor of 1.0 given or left out is the same band; another factor is another band
    same = gbg.travel_matrices(nodes, speed_factors={**MORNING_PEAK, "service": 0.95, "trunk": 0.6})
    np.testing.assert_array_equal(same[0], peak[0])
    gbg.travel_matrices(nodes, speed_factors={**MORNING_PEAK, "service": 1.0})
    gbg.travel_matrices(nodes, speed_factors={"primary": 0.65})
    assert len(list(fresh_cache.glob("matrix-*.npz"))) == 4
    uncached = gbg.travel_matrices(nodes, speed_factors=MORNING_PEAK, use_cache=False)
    np.testing.assert_array_equal(uncached[0], peak[0])
    np.testing.assert_array_equal(uncached[1], peak[1])


# -- errors ----------------------------------------------------------------------------------


def test_an_unknown_group_is_refused_naming_it_and_the_accepted_groups(town):
    with pytest.raises(ValueError, match=r"unknown road class group 'highway'.*motorway, trunk, primary"):
        town.travel_matrices([0, 1], speed_factors={"highway": 0.5})
    with pytest.raises(ValueError, match=r"'residential_link'.*accepted groups: motorway"):
        validate_speed_factors({"primary": 0.6, "residential_link": 0.9})


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.6, 2, float("nan"), float("inf"), "fast", "0.5", None, True])
def test_a_factor_outside_zero_to_one_and_a_half_is_refused_naming_the_key(town, bad):
    with pytest.raises(ValueError, match=r"speed_factors\['primary'\].*\(0, 1\.5\].*accepted groups: motorway"):
        town.travel_matrices([0, 1], speed_factors={"primary": bad})


def test_speed_factors_are_refused_for_the_cycle_profile_because_bikes_ignore_traffic(town):
    for factors in (MORNING_PEAK, {}, {"primary": 1.0}):
        with pytest.raises(ValueError, match="cargo bikes are not slowed by traffic"):
            town.travel_matrices([0, 1], profile="cycle", speed_factors=factors)
    with pytest.raises(ValueError, match="mapping"):
        town.travel_matrices([0, 1], speed_factors=[("primary", 0.5)])


# -- Gothenburg morning peak -----------------------------------------------------------------


def test_a_gothenburg_morning_peak_slows_trips_by_ten_to_eighty_percent_and_speeds_up_none(gbg):
    nodes = stop_nodes(gbg, 50)
    free_s, free_m = gbg.travel_matrices(nodes, use_cache=False)
    peak_s, peak_m = gbg.travel_matrices(nodes, use_cache=False, speed_factors=MORNING_PEAK)
    assert peak_s.shape == free_s.shape == (50, 50) and peak_s.dtype == np.int32
    off = ~np.eye(50, dtype=bool)
    growth = peak_s[off].mean() / free_s[off].mean() - 1
    assert 0.10 <= growth <= 0.80, growth
    assert (peak_s >= free_s).all()
    assert (np.diag(peak_s) == 0).all()
    assert (peak_m != free_m).any()  # some fastest paths change in the peak


def test_gothenburg_peak_paths_are_never_slower_than_the_free_flow_path_driven_in_the_peak(gbg):
    nodes = stop_nodes(gbg, 8, seed=5)
    slowed = gbg.drive_time_s(MORNING_PEAK)
    peak_s, _ = gbg.travel_matrices(nodes, use_cache=False, speed_factors=MORNING_PEAK)
    better = 0
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if a == b:
                continue
            path = gbg.shortest_path_nodes(a, b)
            driven = sum(slowed[p, q] for p, q in zip(path, path[1:]))
            assert peak_s[i, j] <= round(driven) + 1
            better += peak_s[i, j] < round(driven) - 1
    assert better > 0  # re-searching finds faster peak paths for some pairs
