"""The capacity plan: seats from the forecast, vans and driver hours from routing a representative day."""

import datetime as dt

import pandas as pd
import pytest

from scenarios.capacity_plan import plan_capacity, representative_orders, with_vans, write_capacity_files
from scenarios.demand import scenario_forecast
from scenarios.history_gen import generate_history
from scenarios.scenario import load_scenario
from scheduling.forecast import ForecastSettings

BLACK_FRIDAY = dt.date(2026, 11, 27)
QUIET_DAY = dt.date(2026, 11, 24)  # an ordinary Tuesday


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("gothenburg")


def test_the_representative_day_books_zone_customers_in_the_planned_slots(scenario):
    zone = scenario.customers[0].zone
    demand = pd.DataFrame([{"zone": zone, "slot": "18:00-20:00", "orders": 12},
                           {"zone": zone, "slot": "pickup 08:00-12:00", "orders": 3}])
    orders = representative_orders(scenario, demand, QUIET_DAY)
    assert len(orders) == 15 and len({o.id for o in orders}) == 15
    assert all(o.zone == zone for o in orders)
    home = [o for o in orders if o.pickup_point_id is None]
    points = [o for o in orders if o.pickup_point_id is not None]
    assert len(home) == 12 and all(str(o.window) == "18:00-20:00" for o in home)
    assert len(points) == 3 and all(str(o.window) == "08:00-12:00" for o in points)
    assert representative_orders(scenario, demand, QUIET_DAY) == orders  # deterministic


def test_the_fleet_is_resized_with_the_scenarios_van(scenario):
    big = with_vans(scenario, 13)
    assert len(big.vehicles()) == 13
    assert big.vehicles()[0].capacity == scenario.vehicles()[0].capacity
    assert len(scenario.vehicles()) == 10  # the original (8 vans, 2 cargo bikes) is untouched
    assert {v.profile for v in big.vehicles()} == {"drive"}


@pytest.mark.slow
def test_a_promotion_day_gets_more_seats_and_vans_and_is_served_on_time(scenario, gothenburg, tmp_path):
    small = scenario.spec.model_copy(update={"demand": scenario.spec.demand.model_copy(update={"orders_per_day": 120})})
    small_scenario = type(scenario)(spec=small, folder=scenario.folder, customers=scenario.customers,
                                    pickup_points=scenario.pickup_points)
    history = generate_history(small_scenario, dt.date(2025, 11, 1), QUIET_DAY - dt.timedelta(days=1))
    fc = scenario_forecast(small_scenario, QUIET_DAY, history=history,
                           settings=ForecastSettings(horizon=7, backtest_origins=2))
    peak = plan_capacity(small_scenario, fc, BLACK_FRIDAY, time_limit_s=3, engine="ortools", network=gothenburg)
    quiet = plan_capacity(small_scenario, fc, QUIET_DAY, time_limit_s=3, engine="ortools", network=gothenburg)
    assert peak.seats > 1.2 * quiet.seats
    assert peak.orders > quiet.orders
    assert peak.vans > quiet.vans
    assert peak.on_time_all >= 0.95 and quiet.on_time_all >= 0.95
    assert peak.result.scorecard.vehicles_available == peak.vans
    paths = write_capacity_files(peak, tmp_path)
    assert paths["csv"].read_text().splitlines()[0] == "zone,date,slot,capacity,expected"


def test_the_seats_become_the_booking_apis_home_slot_capacities(database_url):
    from scenarios.capacity_plan import CapacityPlan, write_capacities
    from scheduling.capacity import SlotCapacity
    from scheduling.capacity_store import counters
    from scheduling.storage import open_database

    slots = [SlotCapacity("Z-1-1", QUIET_DAY, "08:00-10:00", 7, 5.2), SlotCapacity("Z-1-1", QUIET_DAY, "18:00-20:00", 12, 9.8)]
    plan = CapacityPlan(QUIET_DAY, 0.8, 15, 25, 2, 9.5, 1.0, 15, 80.0, 3000.0, slots)
    assert write_capacities(plan, database_url) == 2
    db = open_database(database_url)
    with db.session() as s:
        rows = counters(s, ["Z-1-1"], QUIET_DAY.isoformat())
        assert {slot: (c.capacity, c.capacity_source) for (_, slot), c in rows.items()} == {
            "home:08:00-10:00": (7, "capacity_plan"),
            "home:18:00-20:00": (12, "capacity_plan"),
        }
    db.engine.dispose()
