"""Grid zones over the network area."""

import numpy as np
import pytest
import shapely.geometry as sg

from geo.zones import grid_zones

from .conftest import CENTRAL_STATION


@pytest.fixture(scope="module")
def zones(gbg):
    return grid_zones(gbg, n_rows=4, n_cols=4)


def test_ids_follow_row_and_column_from_the_north_west(zones):
    assert zones.ids[0] == "Z-1-1"
    assert all(z.id == f"Z-{z.row}-{z.col}" for z in zones.zones)
    north_west, south_east = zones["Z-1-1"], zones["Z-4-4"]
    assert north_west.max_lat > south_east.max_lat and north_west.min_lon < south_east.min_lon


def test_every_node_falls_in_a_zone_that_contains_it(gbg, zones):
    idx = np.random.default_rng(2).choice(gbg.n_nodes, 500, replace=False)
    for zid, lat, lon in zip(zones.zones_of(gbg.lat[idx], gbg.lon[idx]), gbg.lat[idx], gbg.lon[idx]):
        z = zones[zid]
        assert z.min_lat - 1e-6 <= lat <= z.max_lat + 1e-6 and z.min_lon - 1e-6 <= lon <= z.max_lon + 1e-6


def test_every_kept_zone_holds_nodes_and_zones_tile_without_overlap(gbg, zones):
    used = set(zones.zones_of(gbg.lat, gbg.lon))
    assert used == set(zones.ids)
    polys = [sg.shape(f["geometry"]) for f in zones.to_geojson()["features"]]
    total = sum(p.area for p in polys)
    assert sg.MultiPolygon(polys).buffer(0).area == pytest.approx(total, rel=1e-6)


def test_points_outside_get_the_nearest_zone(zones):
    min_lon, min_lat, max_lon, max_lat = zones.bbox
    far_north_west = zones.zone_of(max_lat + 1.0, min_lon - 1.0)
    assert far_north_west == ("Z-1-1" if "Z-1-1" in zones.ids else far_north_west)
    assert zones[far_north_west].row == 1 or "Z-1-1" not in zones.ids
    assert zones.zone_of(*CENTRAL_STATION) in zones.ids


def test_geojson_has_properties_and_attribution(zones):
    fc = zones.to_geojson()
    assert fc["type"] == "FeatureCollection" and "OpenStreetMap" in fc["attribution"]
    assert [f["properties"]["id"] for f in fc["features"]] == zones.ids


def test_grid_is_deterministic_and_validated(gbg):
    assert grid_zones(gbg) == grid_zones(gbg)
    assert len(grid_zones(gbg, 1, 1)) == 1
    with pytest.raises(ValueError):
        grid_zones(gbg, 0, 3)
