"""A Gothenburg day with a lunch break the drivers must take and overtime after four hours."""

import csv
import datetime as dt
import json

import pytest

from scenarios.dayorders import generate_day
from scenarios.export import DRIVER_SHEET_COLUMNS, write_plan_files
from scenarios.planning import plan_day
from scenarios.scenario import load_scenario
from tests.scenarios.plan_checker import check_plan_file
from tests.scenarios.test_scenario import copy_scenario, without_bikes, without_default_breaks

DAY = dt.date(2026, 11, 24)
LUNCH = (12 * 3600, 13 * 3600)


@pytest.fixture(scope="module")
def lunch_day(tmp_path_factory, gothenburg):
    def edit(text):
        lunch = '    breaks: [{duration_min: 30, within: "12:00-13:00"}]\n'
        return without_default_breaks(without_bikes(text)).replace(
            'shift: "08:00-20:00"\n', 'shift: "10:00-18:00"\n' + lunch +
            '    normal_route_h: 4\n    max_route_h: 7.5\n    overtime_cost_per_hour: 150\n')

    folder = copy_scenario(tmp_path_factory.mktemp("lunch"), edit)
    scenario = load_scenario(folder)
    orders = [o for o in generate_day(scenario, DAY, n_orders=60) if 10 * 3600 <= o.window.start < 18 * 3600]
    return plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=3, engine="ortools", network=gothenburg)


def test_every_route_that_covers_the_lunch_window_takes_its_break_and_the_plan_file_replays(lunch_day, gothenburg,
                                                                                           tmp_path):
    routes = [r for r in lunch_day.plan.routes if r.visits]
    covering = [r for r in routes if r.start < LUNCH[0] and r.end > LUNCH[1]]
    assert covering, "the day should have a route across lunch"
    for r in covering:
        (brk,) = r.breaks
        assert LUNCH[0] <= brk.start and brk.end <= LUNCH[1] and brk.end - brk.start == 1800
        # never during a service
        assert not any(v.start < brk.end and brk.start < v.departure for v in r.visits)
    paths = write_plan_files(lunch_day, gothenburg, tmp_path)
    plan = json.loads(paths["plan"].read_text())
    assert check_plan_file(plan, gothenburg) == []
    rows = [dict(zip(DRIVER_SHEET_COLUMNS, row)) for row in list(csv.reader(paths["driver_sheet"].read_text().splitlines()))[1:]]
    shown = [row["break_before"] or row["break_after"] for row in rows if row["break_before"] or row["break_after"]]
    assert len(shown) == sum(len(r.breaks) for r in routes)


def test_the_scorecard_counts_breaks_and_prices_overtime_after_four_hours(lunch_day):
    sc = lunch_day.scorecard
    routes = [r for r in lunch_day.plan.routes if r.visits]
    overtime_h = sum(max(0, r.duration_s - 4 * 3600) for r in routes) / 3600
    assert sc.breaks == sum(len(r.breaks) for r in routes)
    assert sc.overtime_hours == pytest.approx(overtime_h, abs=1e-3)
    assert sc.cost_overtime == pytest.approx(150 * overtime_h, abs=0.05)
    assert all(r.duration_s <= 7.5 * 3600 for r in routes)
    labour = sum(r.duration_s for r in routes) / 3600 * 320
    assert sc.cost_total == pytest.approx(sc.cost_transport + labour + sc.cost_fixed + sc.cost_overtime, abs=0.1)


def test_a_plan_file_whose_route_skips_its_break_is_caught(lunch_day, gothenburg, tmp_path):
    plan = json.loads(write_plan_files(lunch_day, gothenburg, tmp_path)["plan"].read_text())
    route = next(r for r in plan["routes"] if r["breaks"])
    route["breaks"] = []
    assert any("breaks" in p for p in check_plan_file(plan, gothenburg))


def test_a_booked_day_starts_from_its_booked_routes_sound_under_the_lunch_break(lunch_day):
    from optimizer.checker import check_routes
    from scenarios.planning import _insertion_start

    start = _insertion_start(lunch_day.model, lunch_day.orders)
    assert start is not None and check_routes(lunch_day.model.problem, start.routes).kinds() <= {"unserved"}
    assert sum(map(len, start.routes)) == len(lunch_day.model.stops) - len(start.dropped)
