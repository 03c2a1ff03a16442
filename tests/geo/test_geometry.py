"""Route shapes follow the streets between the snapped stops."""

import numpy as np
import pytest

from geo.geodesy import haversine_m
from geo.geometry import route_feature

from .conftest import CENTRAL_STATION, JARNTORGET, LINNEPLATSEN


@pytest.fixture(scope="module")
def stops(gbg):
    lats, lons = zip(CENTRAL_STATION, JARNTORGET, LINNEPLATSEN)
    return [int(n) for n in gbg.snap(list(lats), list(lons))]


def _polyline_length(coords) -> float:
    c = np.asarray(coords)
    return float(haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1]).sum())


def test_route_starts_and_ends_at_the_stop_nodes(gbg, stops):
    route = stops + [stops[0]]
    coords = gbg.route_coordinates(route)
    first, last = coords[0], coords[-1]
    assert haversine_m(first[0], first[1], gbg.lon[stops[0]], gbg.lat[stops[0]]) < 0.01
    assert haversine_m(last[0], last[1], gbg.lon[stops[0]], gbg.lat[stops[0]]) < 0.01


def test_route_passes_every_stop_in_order(gbg, stops):
    coords = np.asarray(gbg.route_coordinates(stops))
    positions = []
    for node in stops:
        gaps = haversine_m(coords[:, 0], coords[:, 1], gbg.lon[node], gbg.lat[node])
        assert gaps.min() < 0.01
        positions.append(int(np.argmin(gaps)))
    assert positions == sorted(positions)


def test_route_is_continuous_and_as_long_as_the_matrix_says(gbg, stops):
    coords = gbg.route_coordinates(stops)
    c = np.asarray(coords)
    steps = haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
    # consecutive points are street shape points: no jumps across town
    assert steps.max() < 1_000
    _, dist = gbg.travel_matrices(stops)
    expected = sum(dist[i, i + 1] for i in range(len(stops) - 1))
    assert _polyline_length(coords) == pytest.approx(expected, rel=0.01, abs=2)


def test_degenerate_routes(gbg, stops):
    assert gbg.route_coordinates([]) == []
    single = gbg.route_coordinates([stops[0]])
    assert single == [[float(gbg.lon[stops[0]]), float(gbg.lat[stops[0]])]]
    assert gbg.route_coordinates([stops[0], stops[0]]) == single


def test_route_feature_is_geojson(gbg, stops):
    feature = route_feature(gbg, stops, {"vehicle": "van-1"})
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "LineString"
    assert feature["properties"] == {"vehicle": "van-1"}
    lon, lat = feature["geometry"]["coordinates"][0]
    assert 11.8 < lon < 12.1 and 57.6 < lat < 57.8  # [lon, lat] order
