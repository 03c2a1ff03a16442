"""Transit stops (pickup-point candidates) grouped from OSM platforms."""

import re

import numpy as np
import pytest

from geo.geodesy import haversine_m
from geo.network import EMBEDDED
from geo.stops import Platforms, cluster_stops, is_stop_name, slugify, stops_from_ways
from geo.ways import read_ways


@pytest.fixture(scope="module")
def stops(gbg):
    return gbg.transit_stops()


def test_well_known_gothenburg_stops_are_found(stops):
    names = {s.name for s in stops}
    for known in [
        "Järntorget",
        "Korsvägen",
        "Vasaplatsen",
        "Kungsportsplatsen",
        "Linnéplatsen",
        "Nils Ericsonsplatsen",
    ]:
        assert known in names


def test_stops_are_many_unique_and_slugged(stops):
    assert 150 <= len(stops) <= 400
    ids = [s.id for s in stops]
    assert len(set(ids)) == len(ids)
    assert len({s.name for s in stops}) == len(stops)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert ids == sorted(ids)


def test_platform_codes_are_not_used_as_stop_names(stops):
    assert not any(is_stop_name(s.name) is False for s in stops)
    assert not {"A", "B", "C", "24"} & {s.name for s in stops}


def test_stops_lie_within_snapping_distance_of_the_driving_network(gbg, stops):
    lats = np.array([s.lat for s in stops])
    lons = np.array([s.lon for s in stops])
    nodes = gbg.snap(lats, lons, labels=[s.id for s in stops])  # would raise if any were far
    assert len(nodes) == len(stops)
    assert gbg.transit_stops(max_distance_m=0.0) == []


def test_stop_ids_are_stable_across_rebuilds(gbg):
    rebuilt = stops_from_ways(read_ways(EMBEDDED["gothenburg"]).ways)
    assert [s.id for s in rebuilt] == [s.id for s in gbg.stops]


def test_real_platform_names_win_and_nearby_platforms_merge():
    # two platforms 30 m apart named "A"/"Kamppi", a third 2 km away coded "B"
    lon0, lat0 = 24.93, 60.17
    platforms = Platforms(
        names=np.array(["A", "Kamppi", "B"]),
        lon=np.array([lon0, lon0 + 0.0005, lon0 + 0.036]),
        lat=np.array([lat0, lat0, lat0]),
    )
    street_lonlat = np.array([[lon0 + 0.036, lat0 + 0.0002]])
    stops = cluster_stops(platforms, street_lonlat, np.array(["Mannerheimintie"]))
    assert [s.name for s in stops] == ["Kamppi", "Mannerheimintie"]
    kamppi = stops[0]
    assert haversine_m(kamppi.lon, kamppi.lat, lon0 + 0.00025, lat0) < 1.0


def test_repeated_names_get_numbered():
    platforms = Platforms(np.array(["A", "A"]), np.array([11.9, 11.95]), np.array([57.7, 57.7]))
    stops = cluster_stops(platforms, np.array([[11.9, 57.7001], [11.95, 57.7001]]), np.array(["Vägen", "Vägen"]))
    assert sorted(s.name for s in stops) == ["Vägen", "Vägen (2)"]
    assert sorted(s.id for s in stops) == ["vagen", "vagen-2"]


def test_slugify_folds_swedish_letters():
    assert slugify("Järntorget") == "jarntorget"
    assert slugify("Östra Hamngatan (2)") == "ostra-hamngatan-2"
    assert slugify("!!!") == "stop"
