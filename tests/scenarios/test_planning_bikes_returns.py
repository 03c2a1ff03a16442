"""A Gothenburg day with the default cargo bikes and with returns: a bike's route is timed and
measured by the cycle matrices, a van leaves with its deliveries and brings the returns back,
and the independent plan-file checker agrees with both."""

import dataclasses
import datetime as dt
import json

import numpy as np

from scenarios.dayorders import generate_day
from scenarios.export import DRIVER_SHEET_COLUMNS, sheet_rows, write_plan_files
from scenarios.planning import day_stops, day_travel, plan_day, snap_day
from scenarios.scenario import load_scenario
from tests.scenarios.plan_checker import check_plan_file

DAY = dt.date(2026, 11, 24)
OLD_TOWN = (57.7050, 11.9660)  # the micro-hub


def test_the_default_city_has_two_cargo_bikes_at_a_micro_hub_in_the_centre():
    scenario = load_scenario("gothenburg")
    bikes = [v for v in scenario.vehicles() if v.profile == "cycle"]
    assert [b.id for b in bikes] == ["bike-1", "bike-2"]
    assert {b.depot_id for b in bikes} == {"vallgraven"} and all(b.capacity == 25 for b in bikes)


def test_the_day_travels_by_each_street_profile_the_fleet_uses(gothenburg):
    scenario = load_scenario("gothenburg")
    orders = generate_day(scenario, DAY, n_orders=20)
    nodes = snap_day(gothenburg, scenario, day_stops(scenario, orders))
    travel = day_travel(gothenburg, nodes, scenario.vehicles())
    assert set(travel.profiles) == {"cycle"}
    bike = next(v for v in scenario.vehicles() if v.profile == "cycle")
    assert travel.of(bike)[0] is travel.profiles["cycle"][0]
    assert not np.array_equal(travel.profiles["cycle"][0], travel.duration)


def test_central_orders_ride_a_bike_timed_and_measured_by_the_cycle_matrices(gothenburg, tmp_path):
    scenario = load_scenario("gothenburg")
    homes = [o for o in generate_day(scenario, DAY, n_orders=120) if o.pickup_point_id is None]
    # the orders nearest the micro-hub, one parcel each: a bike's day
    central = sorted(homes, key=lambda o: (o.lat - OLD_TOWN[0]) ** 2 + ((o.lon - OLD_TOWN[1]) * 0.53) ** 2)[:10]
    central = [dataclasses.replace(o, parcels=1, weight_kg=0.0, volume_l=0.0) for o in central]
    day = plan_day(scenario, central, date=DAY.isoformat(), time_limit_s=3, engine="auto", network=gothenburg)
    bike_routes = [r for r in day.plan.routes if r.vehicle_id.startswith("bike")]
    assert bike_routes, [r.vehicle_id for r in day.plan.routes]
    model = day.model
    for route in bike_routes:
        k = next(i for i, v in enumerate(model.vehicles) if v.id == route.vehicle_id)
        nodes = [model.problem.vehicles[k].depot] + [model.stop_node(next(j for j, s in enumerate(model.stops)
                                                                          if s.id == v.stop_id)) for v in route.visits]
        nodes.append(nodes[0])
        metres = model.problem.profiles["cycle"].distance
        assert route.distance_m == sum(int(metres[a, b]) for a, b in zip(nodes, nodes[1:]))
    plan = json.loads(write_plan_files(day, gothenburg, tmp_path)["plan"].read_text())
    assert {v["profile"] for v in plan["vehicles"]} == {"drive", "cycle"}
    assert check_plan_file(plan, gothenburg) == []


def test_a_van_brings_the_returns_back_and_the_checker_holds_its_load_along_the_route(gothenburg, tmp_path):
    scenario = load_scenario("gothenburg")
    homes = [o for o in generate_day(scenario, DAY, n_orders=40) if o.pickup_point_id is None][:16]
    orders = [dataclasses.replace(o, kind="return" if k % 2 else "delivery", parcels=10, weight_kg=0.0, volume_l=0.0)
              for k, o in enumerate(homes)]
    day = plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=3, engine="auto", network=gothenburg)
    assert not day.plan.unserved
    assert day.scorecard.returns_collected == 8 and day.scorecard.parcels_collected == 80
    capacity = {v.id: v.capacity for v in scenario.vehicles()}
    for route in day.plan.routes:
        assert max([route.load] + [v.load_after for v in route.visits]) <= capacity[route.vehicle_id]
    plan = json.loads(write_plan_files(day, gothenburg, tmp_path)["plan"].read_text())
    assert check_plan_file(plan, gothenburg) == []
    tasks = {dict(zip(DRIVER_SHEET_COLUMNS, row))["task"] for r in plan["routes"] for row in sheet_rows(r)}
    assert tasks == {"deliver", "collect"}
    # the returns collected first, with every delivery still aboard: the van is fullest there
    van = next(r for r in plan["routes"] if any(s["kind"] == "return" for s in r["stops"])
               and any(s["kind"] == "delivery" for s in r["stops"]))
    van["stops"] = sorted(van["stops"], key=lambda s: s["kind"] != "return")
    loaded = sum(s["parcels"] for s in van["stops"] if s["kind"] == "delivery")
    collected = sum(s["parcels"] for s in van["stops"] if s["kind"] == "return")
    next(v for v in plan["vehicles"] if v["id"] == van["vehicle_id"])["capacity"] = loaded + collected - 1
    assert any(f"route {van['vehicle_id']} carries {loaded + collected} parcels" in p
               for p in check_plan_file(plan, gothenburg))
