"""The scorecard: on-time rate from re-simulated times, cost split, preference match."""

import pytest

from optimizer.domain import Order, Plan, Route, TimeWindow, Unserved, UnservedReason, Vehicle, Visit
from optimizer.scorecard import build_scorecard

H = 3600


def visit(oid, start, window=(8, 10)):
    return Visit(
        stop_id=oid, order_ids=(oid,), lat=0, lon=0, arrival=start, start=start, departure=start + 120,
        load_after=0, window=TimeWindow(window[0] * H, window[1] * H), parcels=1,
    )


def test_scorecard_counts_late_orders_costs_and_first_choices():
    vehicles = [Vehicle("v1", "d", 10, TimeWindow(8 * H, 20 * H), cost_per_km=4, cost_per_hour=300, fixed_cost=500),
                Vehicle("v2", "d", 10, TimeWindow(8 * H, 20 * H))]
    orders = [
        Order("a", 0, 0, TimeWindow(8 * H, 10 * H), first_choice="08:00-10:00"),
        Order("b", 0, 0, TimeWindow(8 * H, 10 * H), first_choice="10:00-12:00"),
        Order("c", 0, 0, TimeWindow(8 * H, 10 * H)),
    ]
    route = Route("v1", "d", (visit("a", 9 * H), visit("b", 10 * H + 60)), start=8 * H, end=10 * H, distance_m=25_000, load=2)
    plan = Plan("2026-11-24", [route], [Unserved("c", "c", UnservedReason.FLEET_FULL)])
    sc = build_scorecard(plan, orders, vehicles)
    assert sc.orders_served == 2 and sc.orders_unserved == 1
    assert sc.on_time_rate == pytest.approx(0.5)  # b starts one minute after its window
    assert sc.late_orders == 1
    assert sc.km == pytest.approx(25.0)
    assert sc.driver_hours == pytest.approx(2.0)
    assert sc.cost_transport == pytest.approx(100.0)
    assert sc.cost_labour == pytest.approx(600.0)
    assert sc.cost_fixed == pytest.approx(500.0)
    assert sc.cost_total == pytest.approx(1200.0)
    assert sc.cost_per_order == pytest.approx(600.0)
    assert sc.vehicles_used == 1 and sc.vehicles_available == 2
    assert sc.vehicle_utilization == pytest.approx(0.2)
    assert sc.preference_match_rate == pytest.approx(0.5)  # b did not get 10:00-12:00
    assert sc.unserved_by_reason == {"fleet_full": 1}
    assert sc.stops_per_driver_hour == pytest.approx(1.0)


def test_empty_plan_has_zero_rates_not_errors():
    sc = build_scorecard(Plan("2026-11-24", [], []), [], [])
    assert sc.on_time_rate == 0.0 and sc.cost_per_order == 0.0


def test_weight_and_volume_utilization_count_only_vehicles_with_such_a_capacity():
    vehicles = [Vehicle("v1", "d", 10, TimeWindow(8 * H, 20 * H), weight_capacity_kg=750),
                Vehicle("v2", "d", 10, TimeWindow(8 * H, 20 * H))]
    orders = [Order("a", 0, 0, TimeWindow(8 * H, 10 * H), weight_kg=300), Order("b", 0, 0, TimeWindow(8 * H, 10 * H))]
    routes = [Route("v1", "d", (visit("a", 9 * H),), start=8 * H, end=10 * H, distance_m=1000, load=1, weight_kg=300),
              Route("v2", "d", (visit("b", 9 * H),), start=8 * H, end=10 * H, distance_m=1000, load=1, weight_kg=200)]
    sc = build_scorecard(Plan("2026-11-24", routes, []), orders, vehicles)
    assert sc.weight_kg == 500
    assert sc.weight_utilization == pytest.approx(0.4)  # 300 of 750 kg; v2 is unlimited
    assert sc.volume_utilization is None
    assert sc.per_vehicle[0]["weight_kg"] == 300 and sc.per_vehicle[0]["weight_capacity_kg"] == 750


def test_unserved_orders_that_are_too_heavy_or_need_a_missing_skill_are_counted_by_reason():
    vehicles = [Vehicle("v1", "d", 10, TimeWindow(8 * H, 20 * H))]
    orders = [Order("a", 0, 0, TimeWindow(8 * H, 10 * H)), Order("b", 0, 0, TimeWindow(8 * H, 10 * H))]
    plan = Plan("2026-11-24", [], [Unserved("a", "a", UnservedReason.TOO_HEAVY),
                                   Unserved("b", "b", UnservedReason.SKILL_MISSING, "needs cold_chain")])
    assert build_scorecard(plan, orders, vehicles).unserved_by_reason == {"skill_missing": 1, "too_heavy": 1}


def test_a_soft_late_order_is_not_on_time_and_its_minutes_and_cost_are_reported_on_their_own():
    from optimizer.domain import parse_windows

    vehicles = [Vehicle("v1", "d", 10, TimeWindow(8 * H, 20 * H), cost_per_km=4, cost_per_hour=300, fixed_cost=500)]
    evening = parse_windows("08:00-08:30|17:00-19:00")
    orders = [
        Order("on-time", 0, 0, TimeWindow(8 * H, 10 * H)),
        Order("evening", 0, 0, TimeWindow(8 * H, 19 * H), windows=evening),
        Order("late-ok", 0, 0, TimeWindow(8 * H, 10 * H), max_late_s=900, late_cost_per_min=2.0),
    ]
    late = Visit(stop_id="late-ok", order_ids=("late-ok",), lat=0, lon=0, arrival=10 * H + 600, start=10 * H + 600,
                 departure=10 * H + 720, load_after=0, window=TimeWindow(8 * H, 10 * H), parcels=1,
                 window_used=TimeWindow(8 * H, 10 * H), late_s=600, late_cost=20.0)
    served_evening = Visit(stop_id="evening", order_ids=("evening",), lat=0, lon=0, arrival=9 * H, start=17 * H,
                           departure=17 * H + 120, load_after=0, window=TimeWindow(8 * H, 19 * H), parcels=1,
                           windows=evening, window_used=evening[1])
    route = Route("v1", "d", (visit("on-time", 9 * H), late, served_evening), start=8 * H, end=10 * H,
                  distance_m=25_000, load=3)
    sc = build_scorecard(Plan("2026-11-24", [route], []), orders, vehicles)
    # On time means inside the promised window: the evening stop is, the soft-late one is not.
    assert sc.on_time_rate == pytest.approx(2 / 3, abs=1e-4) and sc.late_orders == 1
    assert (sc.soft_late_orders, sc.minutes_late, sc.cost_lateness) == (1, 10.0, 20.0)
    assert sc.cost_total == pytest.approx(100.0 + 600.0 + 500.0 + 20.0)
    assert sc.per_vehicle[0]["cost_lateness"] == 20.0


def test_a_stop_served_in_the_gap_between_its_windows_is_late():
    from optimizer.domain import parse_windows

    vehicles = [Vehicle("v1", "d", 10, TimeWindow(8 * H, 20 * H))]
    wins = parse_windows("08:00-08:30|17:00-19:00")
    orders = [Order("gap", 0, 0, TimeWindow(8 * H, 19 * H), windows=wins)]
    route = Route("v1", "d", (visit("gap", 9 * H, window=(8, 19)),), start=8 * H, end=10 * H, distance_m=1000, load=1)
    sc = build_scorecard(Plan("2026-11-24", [route], []), orders, vehicles)
    assert sc.on_time_rate == 0.0 and sc.late_orders == 1 and sc.soft_late_orders == 0
