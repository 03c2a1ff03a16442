"""Walking distances and walking catchments."""

import numpy as np
import pytest
import shapely.geometry as sg

from geo.catchment import catchment_polygons, walking_distance
from geo.geodesy import haversine_m

from .conftest import CENTRAL_STATION, JARNTORGET, LINNEPLATSEN


def test_walking_distance_matrix(gbg):
    points = [CENTRAL_STATION, JARNTORGET, LINNEPLATSEN]
    d = gbg.walk_distance(points, points)
    assert d.shape == (3, 3)
    assert np.allclose(np.diag(d), 0.0)
    assert np.allclose(d, d.T, atol=1e-6)  # walking is undirected
    lat, lon = np.array(points).T
    crow = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    off = ~np.eye(3, dtype=bool)
    assert (d[off] >= crow[off]).all()  # never shorter than straight line
    assert (d[off] <= 2.0 * crow[off] + 300).all()  # but a city walk, not a detour round town


def test_walking_limit_cuts_far_pairs(gbg):
    d = walking_distance(gbg, [CENTRAL_STATION], [JARNTORGET, CENTRAL_STATION], limit_m=500)
    assert np.isinf(d[0, 0]) and d[0, 1] == pytest.approx(0.0)


def test_catchments_grow_with_radius_and_contain_the_point(gbg):
    fc = catchment_polygons(gbg, JARNTORGET, radii=(300, 600, 1000))
    assert [f["properties"]["radius_m"] for f in fc["features"]] == [300, 600, 1000]
    polys = [sg.shape(f["geometry"]) for f in fc["features"]]
    point = sg.Point(JARNTORGET[1], JARNTORGET[0])
    assert all(p.is_valid and p.contains(point) for p in polys)
    areas = [p.area for p in polys]
    assert areas == sorted(areas) and areas[0] < areas[-1]
    counts = [f["properties"]["n_nodes"] for f in fc["features"]]
    assert counts == sorted(counts) and counts[0] > 5
    # a 1 km walk stays within about 1 km (plus the drawing buffer) of the start
    ring = np.asarray(fc["features"][-1]["geometry"]["coordinates"][0])
    assert haversine_m(ring[:, 0], ring[:, 1], JARNTORGET[1], JARNTORGET[0]).max() < 1_000 + 100
    assert "OpenStreetMap" in fc["attribution"]
