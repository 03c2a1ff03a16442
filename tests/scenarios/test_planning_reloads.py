"""A Gothenburg day for two small vans that may come back to the hub to load another trip: more
parcels than the vans hold at once are all delivered, each trip within capacity, the driver sheet
says where the van reloads, and the independent plan-file checker replays every trip."""

import csv
import dataclasses
import datetime as dt
import json

import pytest

from scenarios.dayorders import generate_day
from scenarios.export import DRIVER_SHEET_COLUMNS, write_plan_files
from scenarios.planning import plan_day
from scenarios.scenario import ScenarioError, load_scenario
from tests.scenarios.plan_checker import check_plan_file
from tests.scenarios.test_scenario import copy_scenario, without_bikes

DAY = dt.date(2026, 11, 24)
CAPACITY = 6
RELOAD_MIN = 15


def small_vans(extra: str):
    def edit(text):
        text = without_bikes(text).replace("count: 8\n", "count: 2\n").replace(
            "capacity: 80            # parcels\n", f"capacity: {CAPACITY}\n" + extra)
        # no overflow contract: what the vans cannot carry at once must ride a second trip
        return "".join(line for line in text.splitlines(keepends=True) if "parcel-network" not in line).replace(
            "carriers:", "carriers: []  #")

    return edit


@pytest.fixture(scope="module")
def reload_day(tmp_path_factory, gothenburg):
    folder = copy_scenario(tmp_path_factory.mktemp("reloads"),
                           small_vans(f"    max_reloads: 3\n    reload_min: {RELOAD_MIN}\n"))
    scenario = load_scenario(folder)
    homes = [o for o in generate_day(scenario, DAY, n_orders=60) if o.pickup_point_id is None][:20]
    orders = [dataclasses.replace(o, parcels=1, weight_kg=0.0, volume_l=0.0) for o in homes]
    return plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=3, engine="auto", network=gothenburg)


def test_twenty_parcels_ride_two_six_parcel_vans_in_several_trips(reload_day):
    plan = reload_day.plan
    assert not plan.unserved, [(u.order_id, u.reason) for u in plan.unserved]
    assert sum(r.trips for r in plan.routes if r.visits) >= 4  # 20 parcels, 6 a trip
    for route in plan.routes:
        assert len(route.reloads) <= 3 and route.trips == len(route.reloads) + 1
        cuts = [0, *(x.after_stops for x in route.reloads), len(route.visits)]
        for a, b in zip(cuts, cuts[1:]):
            assert sum(v.parcels for v in route.visits[a:b]) <= CAPACITY
        for x in route.reloads:  # back at the hub, loading for the reload's time
            assert x.arrival <= x.start and x.end - x.start == RELOAD_MIN * 60
            before, after = route.visits[x.after_stops - 1], route.visits[x.after_stops]
            assert before.departure <= x.arrival and x.end <= after.arrival


def test_the_plan_file_replays_every_trip_and_the_driver_sheet_shows_the_reloads(reload_day, gothenburg, tmp_path):
    paths = write_plan_files(reload_day, gothenburg, tmp_path)
    plan = json.loads(paths["plan"].read_text())
    assert check_plan_file(plan, gothenburg) == []
    rows = [dict(zip(DRIVER_SHEET_COLUMNS, row)) for row in
            list(csv.reader(paths["driver_sheet"].read_text().splitlines()))[1:]]
    shown = [row["reload_before"] for row in rows if row["reload_before"]]
    assert len(shown) == sum(len(r.reloads) for r in reload_day.plan.routes)
    assert all(s.endswith(tuple(f"load {n}" for n in range(1, CAPACITY + 1))) for s in shown)
    # a route without its reloads would overload the van: the checker sees it
    route = next(r for r in plan["routes"] if r["reloads"])
    route["reloads"] = []
    assert any("parcels on a trip, capacity" in p for p in check_plan_file(plan, gothenburg))


def test_without_reloads_the_same_vans_leave_parcels_unserved(tmp_path, gothenburg):
    scenario = load_scenario(copy_scenario(tmp_path, small_vans("")))
    homes = [o for o in generate_day(scenario, DAY, n_orders=60) if o.pickup_point_id is None][:20]
    orders = [dataclasses.replace(o, parcels=1, weight_kg=0.0, volume_l=0.0) for o in homes]
    day = plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=2, engine="ortools", network=gothenburg)
    assert len(day.plan.unserved) >= 20 - 2 * CAPACITY


@pytest.mark.parametrize(("extra", "field"), [
    ("    max_reloads: -1\n", "fleet.0.max_reloads"),
    ("    max_reloads: 11\n", "fleet.0.max_reloads"),
    ("    reload_min: 300\n", "fleet.0.reload_min"),
    ("    reload_min: soon\n", "fleet.0.reload_min"),
])
def test_a_bad_reload_setting_is_refused_naming_the_field(tmp_path, extra, field):
    with pytest.raises(ScenarioError, match=rf"field {field.replace('.', r'[.]')}"):
        load_scenario(copy_scenario(tmp_path, small_vans(extra)))


def test_on_a_day_with_returns_the_vans_make_one_trip_and_the_plan_says_why(tmp_path, gothenburg):
    scenario = load_scenario(copy_scenario(tmp_path, small_vans("    max_reloads: 3\n")))
    homes = [o for o in generate_day(scenario, DAY, n_orders=40) if o.pickup_point_id is None][:8]
    orders = [dataclasses.replace(o, parcels=1, weight_kg=0.0, volume_l=0.0, kind="return" if k == 0 else "delivery")
              for k, o in enumerate(homes)]
    day = plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=2, engine="ortools", network=gothenburg)
    assert day.plan.meta["reloads_off"].startswith("the day has returns")
    assert all(not r.reloads for r in day.plan.routes)
