"""Snapping points to the street network, and refusing points it cannot honestly place."""

import numpy as np
import pytest

from geo.geodesy import haversine_m
from geo.snap import SnapError

from .conftest import CENTRAL_STATION, JARNTORGET


def _stoppable_nodes(gbg) -> np.ndarray:
    """Nodes touching at least one edge off motorway/trunk roads."""
    no_stop = gbg.drive.weights["no_stop_m"]
    ok = no_stop.data == 0
    rows = np.repeat(np.arange(gbg.n_nodes), np.diff(no_stop.indptr))
    mask = np.zeros(gbg.n_nodes, dtype=bool)
    mask[rows[ok]] = True
    mask[no_stop.indices[ok]] = True
    return mask


def test_street_nodes_snap_to_themselves(gbg):
    candidates = np.flatnonzero(_stoppable_nodes(gbg))
    nodes = np.random.default_rng(5).choice(candidates, 200, replace=False)
    snapped = gbg.snap(gbg.lat[nodes], gbg.lon[nodes])
    assert snapped.dtype == np.int64
    # contracted graphs can hold two nodes at (almost) the same spot; require the same place
    assert (haversine_m(gbg.lon[snapped], gbg.lat[snapped], gbg.lon[nodes], gbg.lat[nodes]) < 0.5).all()


def test_motorway_only_nodes_are_never_snap_targets(gbg):
    stoppable = _stoppable_nodes(gbg)
    assert 0 < (~stoppable).sum() < 0.1 * gbg.n_nodes
    motorway_nodes = np.flatnonzero(~stoppable)
    snapped = gbg.snap(gbg.lat[motorway_nodes], gbg.lon[motorway_nodes], max_distance_m=2_000)
    assert stoppable[snapped].all()


def test_city_points_snap_to_nearby_nodes(gbg):
    lats, lons = zip(CENTRAL_STATION, JARNTORGET)
    nodes = gbg.snap(list(lats), list(lons), labels=["station", "jarntorget"])
    gap = haversine_m(gbg.lon[nodes], gbg.lat[nodes], lons, lats)
    assert (gap < 300).all()


def test_point_5km_outside_is_refused_with_its_label_position_and_fix(gbg):
    min_lon, min_lat, max_lon, max_lat = gbg.bbox
    far_lat = max_lat + 5_000 / 111_000  # about 5 km north of the northernmost node
    lats = [CENTRAL_STATION[0], far_lat]
    lons = [CENTRAL_STATION[1], CENTRAL_STATION[1]]
    with pytest.raises(SnapError) as info:
        gbg.snap(lats, lons, labels=["depot", "customer-42"])
    message = str(info.value)
    assert "customer-42" in message
    assert "depot" not in message
    assert f"{far_lat:.6f}" in message
    assert "m away" in message
    assert "raise max_distance_m" in message and "inside the network area" in message
    assert isinstance(info.value, ValueError)


def test_unlabelled_points_are_named_by_index(gbg):
    with pytest.raises(SnapError, match="#1 at lat="):
        gbg.snap([CENTRAL_STATION[0], 58.5], [CENTRAL_STATION[1], 11.97])


def test_max_distance_is_respected(gbg):
    # a point in the river Göta älv, off any road but within a couple of hundred metres of one
    lat, lon = 57.7105, 11.9600
    node = gbg.snap([lat], [lon], max_distance_m=2_000)[0]
    gap = haversine_m(gbg.lon[node], gbg.lat[node], lon, lat)
    with pytest.raises(SnapError):
        gbg.snap([lat], [lon], max_distance_m=min(gap, 50) / 2)


@pytest.mark.parametrize(
    "lat, lon",
    [(float("nan"), 11.97), (57.7, float("inf")), (95.0, 11.97), (57.7, -190.0)],
)
def test_invalid_coordinates_get_a_clear_error(gbg, lat, lon):
    with pytest.raises(SnapError, match="invalid coordinates") as info:
        gbg.snap([57.70, lat], [11.97, lon], labels=["ok", "broken"])
    assert "broken" in str(info.value) and "'ok'" not in str(info.value)


def test_mismatched_inputs_are_refused(gbg):
    with pytest.raises(SnapError):
        gbg.snap([57.7, 57.71], [11.97])
    with pytest.raises(SnapError):
        gbg.snap([57.7], [11.97], labels=["a", "b"])


def test_walk_graph_snapping(gbg):
    node = gbg.snap([JARNTORGET[0]], [JARNTORGET[1]], graph="walk")[0]
    assert haversine_m(gbg.walk.lon[node], gbg.walk.lat[node], JARNTORGET[1], JARNTORGET[0]) < 200
    with pytest.raises(ValueError, match="graph must be"):
        gbg.snap([57.7], [11.97], graph="bike")


def test_numpy_labels_read_naturally(gbg):
    with pytest.raises(SnapError) as info:
        gbg.snap([58.5, 58.6], [11.97, 11.97], labels=np.array(["c-1", "c-2"]))
    assert "c-1 at lat=58.500000" in str(info.value) and "np.str_" not in str(info.value)
    with pytest.raises(SnapError, match="17 at lat="):
        gbg.snap([58.5], [11.97], labels=np.array([17]))


def test_points_beside_a_trunk_road_snap_to_a_street_where_vans_can_stop():
    from geo.graph_build import build_drive_graph
    from geo.snap import Snapper
    from geo.ways import Way

    def p(x, y):  # about 60 m per x step, 110 m per y step
        return [11.97 + 0.001 * x, 57.70 + 0.001 * y]

    ways = [
        Way(1, {"highway": "trunk"}, np.array([p(-10, 0), p(0, 0), p(10, 0)])),
        Way(2, {"highway": "residential"}, np.array([p(10, 0), p(10, 1), p(0, 1), p(-10, 1), p(-10, 0)])),
        Way(3, {"highway": "residential"}, np.array([p(0, 1), p(0, 2)])),
        Way(4, {"highway": "residential"}, np.array([p(-10, 0), p(-11, 0)])),
        Way(5, {"highway": "residential"}, np.array([p(10, 0), p(11, 0)])),
    ]
    graph = build_drive_graph(ways)
    snapper = Snapper(graph)
    lon, lat = p(0, 0.1)
    node, dist = snapper.nearest([lat], [lon])
    assert [graph.lon[node[0]], graph.lat[node[0]]] == pytest.approx(p(0, 1))
    assert 90 < dist[0] < 110  # measured to the street, not to the trunk road 11 m away
    with pytest.raises(SnapError, match="m away"):
        snapper.snap([lat], [lon], max_distance_m=50)
