"""A Gothenburg day with a late linehaul: parcels that reach the depot at noon leave on a van
that departs after noon, and one that arrives after its slot is reported, not planned."""

import dataclasses
import datetime as dt
import json

from optimizer.domain import TimeWindow, UnservedReason
from scenarios.dayorders import generate_day
from scenarios.export import write_plan_files
from scenarios.planning import plan_day
from scenarios.scenario import load_scenario
from tests.scenarios.plan_checker import check_plan_file

DAY = dt.date(2026, 11, 24)


def test_late_parcels_ride_a_van_that_leaves_after_they_arrive(gothenburg, tmp_path):
    scenario = load_scenario("gothenburg")
    homes = [o for o in generate_day(scenario, DAY, n_orders=30) if o.pickup_point_id is None][:12]
    noon = dataclasses.replace(homes[0], window=TimeWindow(14 * 3600, 16 * 3600), ready_s=12 * 3600)
    too_late = dataclasses.replace(homes[1], window=TimeWindow(8 * 3600, 10 * 3600), ready_s=17 * 3600)
    day = plan_day(scenario, [noon, too_late] + homes[2:], date=DAY.isoformat(), time_limit_s=2, engine="ortools",
                   network=gothenburg)
    route = next(r for r in day.plan.routes if any(noon.id in v.order_ids for v in r.visits))
    assert route.start >= 12 * 3600
    (unserved,) = day.plan.unserved
    assert unserved.order_id == too_late.id and unserved.reason is UnservedReason.READY_TOO_LATE
    assert "reach the depot at 17:00" in unserved.detail
    plan = json.loads(write_plan_files(day, gothenburg, tmp_path)["plan"].read_text())
    assert check_plan_file(plan, gothenburg) == []
    early = next(r for r in plan["routes"] if any(noon.id in s["order_ids"] for s in r["stops"]))
    early["start_s"] = 11 * 3600  # a tampered departure before the parcels are in
    assert any("before its parcels reach the depot" in p for p in check_plan_file(plan, gothenburg))
