"""The embedded Gothenburg network: size, connectivity, attribution and the build cache."""

import gzip
import json
import os
import time

import numpy as np
from scipy.sparse.csgraph import connected_components

import geo.network as network_module
from geo.network import EMBEDDED, ODBL_NOTICE, load_network


def test_driving_graph_has_the_expected_size(gbg):
    # The data README quotes ~10,963 nodes / 22,821 edges for its own junction definition;
    # contracting shape points here keeps one-way changes and dead ends as nodes too.
    assert 10_000 <= gbg.n_nodes <= 13_000
    assert 2.0 <= gbg.time_s.nnz / gbg.n_nodes <= 2.5
    assert gbg.lon.shape == gbg.lat.shape == (gbg.n_nodes,)


def test_driving_graph_is_strongly_connected(gbg):
    n_components, _ = connected_components(gbg.time_s, directed=True, connection="strong")
    assert n_components == 1


def test_walking_graph_is_connected_and_larger_than_driving(gbg):
    walk = gbg.walk.weights["length_m"]
    assert connected_components(walk, directed=False)[0] == 1
    assert gbg.walk.n_nodes > gbg.n_nodes
    assert ((walk != 0) != (walk.T != 0)).nnz == 0  # every edge walks both ways
    assert abs(walk - walk.T).max() < 1e-6  # same length both ways (up to float summation order)


def test_edge_weights_are_physical(gbg):
    length, time_s = gbg.length_m, gbg.time_s
    assert np.array_equal(length.indices, time_s.indices)
    speed_kmh = 3.6 * length.data / time_s.data
    assert length.data.min() > 0
    assert speed_kmh.max() <= 100.0  # fastest tagged limit is 100 km/h, driven at 85 %
    assert np.median(speed_kmh) < 50.0
    # total driven street length of a 14 x 12.5 km city box: hundreds of kilometres, both ways
    assert 500_000 < length.data.sum() < 5_000_000


def test_bbox_is_central_gothenburg(gbg):
    min_lon, min_lat, max_lon, max_lat = gbg.bbox
    assert 11.85 <= min_lon < max_lon <= 12.10
    assert 57.64 <= min_lat < max_lat <= 57.77


def test_embedded_file_carries_notice_and_provenance():
    path = EMBEDDED["gothenburg"]
    assert path.stat().st_size < 3_000_000
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        doc = json.load(fh)
    assert doc["notice"] == ODBL_NOTICE == "(c) OpenStreetMap contributors, ODbL"
    prov = doc["provenance"]
    assert "geojson-path-finder 2.1.0" in prov["origin"] and "test/large-network.json" in prov["origin"]
    assert "2016-12-27" in prov["export"]
    assert len(prov["bbox_lon_lat"]) == 4
    assert len(doc["ways"]) > 19_000


def test_network_exposes_notice_and_provenance(gbg):
    assert gbg.notice == ODBL_NOTICE
    assert gbg.name == "gothenburg"
    assert "geojson-path-finder" in gbg.provenance["origin"]


def test_cached_network_is_identical_and_fast(gbg, isolated_cache):
    cached = list(isolated_cache.glob("network-gothenburg-*.npz"))
    assert len(cached) == 1
    network_module._MEMO.clear()
    start = time.perf_counter()
    again = load_network("gothenburg")
    elapsed = time.perf_counter() - start
    assert again is not gbg
    assert elapsed < 1.0
    for attr in ("lon", "lat"):
        assert np.array_equal(getattr(again, attr), getattr(gbg, attr))
    assert (again.time_s != gbg.time_s).nnz == 0
    assert np.array_equal(again.drive.geom_lonlat, gbg.drive.geom_lonlat)
    assert again.stops == gbg.stops
    assert again.provenance == gbg.provenance


def test_unknown_source_names_the_options(tmp_path):
    missing = tmp_path / "nowhere.osm.pbf"
    try:
        load_network(str(missing))
    except FileNotFoundError as exc:
        assert "nowhere.osm.pbf" in str(exc) and "gothenburg" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected FileNotFoundError")


def test_cache_dir_comes_from_the_environment(isolated_cache):
    from geo.cache import cache_dir

    assert cache_dir() == isolated_cache
    assert os.environ["LASTMILE_CACHE_DIR"] == str(isolated_cache)


def test_a_source_without_streets_is_refused(tmp_path):
    import numpy as np

    from geo.ways import Way, WaySet, write_ways

    path = write_ways(
        tmp_path / "empty.ways.json.gz",
        WaySet([Way(1, {"highway": "footway"}, np.array([[11.0, 57.0], [11.001, 57.0]]))], {}),
    )
    try:
        load_network(path, use_cache=False)
    except ValueError as exc:
        assert "too few connected streets" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected ValueError")


def test_repr_is_short(gbg):
    text = repr(gbg)
    assert len(text) < 200 and "gothenburg" in text and f"{gbg.n_nodes} nodes" in text
