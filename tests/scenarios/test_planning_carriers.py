"""A Gothenburg day with overflow carriers: what the vans cannot or should not take goes to a
carrier when that is cheaper than leaving it out, and the scorecard prices it apart."""

import datetime as dt
import json

import pytest

from scenarios.dayorders import generate_day
from scenarios.export import write_plan_files
from scenarios.planning import plan_day
from scenarios.scenario import ScenarioError, load_scenario
from tests.scenarios.plan_checker import check_plan_file
from tests.scenarios.test_scenario import copy_scenario

DAY = dt.date(2026, 11, 24)


def scenario_with(tmp_path, carriers: str, fleet_count: int = 8, capacity: int = 80):
    def edit(text):
        text = text.replace("    count: 8\n", f"    count: {fleet_count}\n").replace("capacity: 80 ", f"capacity: {capacity} ")
        return text + "\ncarriers:\n" + carriers
    return load_scenario(copy_scenario(tmp_path, edit))


def test_a_full_van_hands_the_overflow_to_the_crowd_up_to_its_limit(tmp_path, gothenburg):
    scenario = scenario_with(tmp_path, '  - {id: crowd, kind: crowd, price_per_parcel: 45, daily_limit: 6}\n',
                             fleet_count=1, capacity=20)
    orders = generate_day(scenario, DAY, n_orders=40)
    day = plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=2, engine="ortools", network=gothenburg)
    plan, sc = day.plan, day.scorecard
    assert len(plan.carrier_orders) == 6 and all(c.carrier_id == "crowd" and c.kind == "crowd" for c in plan.carrier_orders)
    assert all(c.cost == 45 * c.parcels for c in plan.carrier_orders)
    handed = {c.order_id for c in plan.carrier_orders}
    assert not handed & plan.served_order_ids() and not handed & {u.order_id for u in plan.unserved}
    assert plan.unserved and all("daily limit" in u.detail for u in plan.unserved)
    assert sc.orders_to_carriers == 6 and sc.carrier_orders_by_kind == {"crowd": 6}
    assert sc.cost_carriers == pytest.approx(sum(c.cost for c in plan.carrier_orders))
    assert sc.cost_total == pytest.approx(sc.cost_transport + sc.cost_labour + sc.cost_fixed + sc.cost_carriers, abs=0.05)
    files = write_plan_files(day, gothenburg, tmp_path)
    written = json.loads(files["plan"].read_text())
    assert {c["order_id"] for c in written["carrier_orders"]} == handed
    assert check_plan_file(written, gothenburg) == []


def test_a_carrier_cheaper_than_any_van_takes_the_whole_day(tmp_path, gothenburg):
    # 1 SEK a parcel beats the van's 600 SEK a day and every kilometre: the fleet should not serve.
    scenario = scenario_with(tmp_path, '  - {id: net, kind: 3pl, price_per_parcel: 1}\n')
    orders = [o for o in generate_day(scenario, DAY, n_orders=15) if not o.skills]
    day = plan_day(scenario, orders, date=DAY.isoformat(), time_limit_s=2, engine="ortools", network=gothenburg)
    assert not any(r.visits for r in day.plan.routes) and day.plan.unserved == []
    assert day.scorecard.orders_to_carriers == len(orders) and day.scorecard.carrier_orders_by_kind == {"3pl": len(orders)}


def test_an_unknown_carrier_kind_is_refused_naming_the_field(tmp_path):
    with pytest.raises(ScenarioError, match=r"carriers\.0\.kind: .*unknown carrier kind 'drone'; use one of 3pl, crowd"):
        scenario_with(tmp_path, '  - {id: x, kind: drone, price_per_parcel: 5}\n')
