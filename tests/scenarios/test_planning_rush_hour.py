"""A Gothenburg morning in the rush hour: a van that must be at a far address at 08:45-08:47
leaves early enough only when the plan knows the peak; the independent plan-file checker, which
re-derives the peak from the network's speed factors, agrees."""

import dataclasses
import datetime as dt
import json

from optimizer.domain import Order, TimeWindow
from scenarios.export import write_plan_files
from scenarios.planning import plan_day
from scenarios.scenario import load_scenario
from tests.scenarios.plan_checker import check_plan_file

DAY = dt.date(2026, 11, 24)
H = 3600
FAR = Order(id="M1", lat=57.6992, lon=12.0565, window=TimeWindow(8 * H + 45 * 60, 8 * H + 47 * 60),
                address="Partille gränsen 1")  # the far east edge of the embedded map


def _plan(scenario, network, tmp_path):
    day = plan_day(scenario, [FAR], date=DAY.isoformat(), time_limit_s=1, engine="ortools", network=network)
    return day, json.loads(write_plan_files(day, network, tmp_path)["plan"].read_text())


def test_the_default_city_slows_its_vans_in_the_morning_and_afternoon_peaks():
    bands = load_scenario("gothenburg").traffic_bands()
    assert [(name, str(window)) for name, window, _ in bands] == [("morning", "07:00-09:00"),
                                                                   ("afternoon", "15:30-17:30")]
    assert all(0 < f < 1 for _, _, factors in bands for f in factors.values())


def test_the_van_leaves_early_enough_for_the_peak_only_when_the_plan_knows_it(gothenburg, tmp_path):
    city = load_scenario("gothenburg")
    vans = [f for f in city.spec.fleet if f.profile == "drive"]  # bikes are not slowed: the vans' case
    peak = dataclasses.replace(city, spec=city.spec.model_copy(update={"fleet": vans}))
    free = dataclasses.replace(city, spec=city.spec.model_copy(update={"fleet": vans, "traffic": []}))
    knows, knows_file = _plan(peak, gothenburg, tmp_path / "peak")
    blind, blind_file = _plan(free, gothenburg, tmp_path / "free")
    assert not knows.plan.unserved and not blind.plan.unserved
    (early,), (late,) = knows.plan.routes, blind.plan.routes
    assert early.start <= late.start - 3 * 60  # the peak costs minutes on the way out (916 s free, 1245 s in it)
    assert check_plan_file(knows_file, gothenburg) == []
    assert check_plan_file(blind_file, gothenburg) == []  # right on free-flow times ...
    blind_file["traffic"] = knows_file["traffic"]  # ... and late once the peak is driven
    assert any("order M1 delivered at" in p for p in check_plan_file(blind_file, gothenburg))
