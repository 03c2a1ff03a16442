"""Tag rules decide who may use a way, in which direction and how fast."""

import pytest

from geo.osm_rules import (
    DEFAULT_SPEED_KMH,
    drive_speed_mps,
    is_drivable,
    is_walkable,
    oneway_direction,
    parse_maxspeed_kmh,
)


@pytest.mark.parametrize(
    "tags, expected",
    [
        ({"highway": "residential"}, 0),
        ({"highway": "residential", "oneway": "yes"}, 1),
        ({"highway": "residential", "oneway": "1"}, 1),
        ({"highway": "residential", "oneway": "true"}, 1),
        ({"highway": "residential", "oneway": "-1"}, -1),
        ({"highway": "residential", "oneway": "no"}, 0),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
        ({"highway": "motorway_link"}, 0),
    ],
)
def test_oneway_direction_follows_osm_conventions(tags, expected):
    assert oneway_direction(tags) == expected


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "residential", "access": "private"},
        {"highway": "residential", "access": "no"},
        {"highway": "service", "motor_vehicle": "no"},
        {"highway": "service", "motorcar": "no"},
        {"highway": "construction"},
        {"highway": "footway"},
        {"highway": "cycleway"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "service", "area": "yes"},
    ],
)
def test_vans_stay_off_closed_or_non_road_ways(tags):
    assert not is_drivable(tags)


@pytest.mark.parametrize("highway", sorted(DEFAULT_SPEED_KMH))
def test_every_road_class_with_a_speed_is_drivable(highway):
    assert is_drivable({"highway": highway})


def test_walkers_avoid_motorways_and_foot_no():
    assert not is_walkable({"highway": "motorway"})
    assert not is_walkable({"highway": "trunk"})
    assert not is_walkable({"highway": "cycleway", "foot": "no"})
    assert is_walkable({"highway": "cycleway"})
    assert is_walkable({"highway": "steps"})
    assert is_walkable({"highway": "platform"})
    assert is_walkable({"highway": "service", "access": "private", "foot": "yes"})


def test_maxspeed_parsing():
    assert parse_maxspeed_kmh("50") == 50
    assert parse_maxspeed_kmh("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_maxspeed_kmh("50;70") == 50
    assert parse_maxspeed_kmh("SE:urban") is None
    assert parse_maxspeed_kmh(None) is None


def test_tagged_maxspeed_beats_class_default_and_speeds_are_plausible():
    plain = drive_speed_mps({"highway": "residential"})
    limited = drive_speed_mps({"highway": "residential", "maxspeed": "70"})
    assert limited > plain
    for highway in DEFAULT_SPEED_KMH:
        assert 2.0 <= drive_speed_mps({"highway": highway}) <= 130 / 3.6
    assert drive_speed_mps({"highway": "motorway"}) > drive_speed_mps({"highway": "residential"})
