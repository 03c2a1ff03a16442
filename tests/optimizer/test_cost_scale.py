"""The cost scale: every price keeps its digits as an integer, and no plan can overflow."""

from __future__ import annotations

import pytest

from optimizer.cost_scale import (
    MAX_PLAN_UNITS,
    MIN_SIGNIFICANT_DIGITS,
    CostScale,
    CostScaleError,
    choose_cost_scale,
    fleet_plan_bound,
    fleet_prices,
)
from optimizer.domain import TimeWindow, Vehicle

H = 3600


def digits(units: int) -> int:
    return len(str(abs(units)))


@pytest.mark.parametrize(
    "prices",
    [
        {"per metre": 0.35 / 1000, "per second": 32 / 3600, "fixed": 60.0, "drop": 200.0},  # EUR
        {"per metre": 4 / 1000, "per second": 320 / 3600, "fixed": 600.0, "drop": 2000.0},  # SEK
        {"per metre": 2.5 / 1000},  # the 2.5/km that used to become 2 units per metre
        {"per metre": 0.0001 / 1000, "per second": 0.01 / 3600},  # a thousandth of a cent per km
        {"per metre": 40.0, "per second": 5_000.0, "fixed": 1e7},  # a currency of small units
    ],
)
def test_every_price_keeps_at_least_three_significant_digits(prices):
    scale = choose_cost_scale(prices)
    assert MIN_SIGNIFICANT_DIGITS >= 3
    for name, price in prices.items():
        units = scale.units(price)
        assert digits(units) >= 3, name
        assert scale.currency(units) == pytest.approx(price, rel=5e-4), name  # 4 digits: at most 0.05 % off


def test_the_scale_is_the_smallest_power_of_ten_that_does_it():
    assert choose_cost_scale({"per metre": 0.35 / 1000}).units_per_currency == 10**7  # 3500 units
    assert choose_cost_scale({"per metre": 4 / 1000}).units_per_currency == 10**6  # 4000 units
    assert choose_cost_scale({"per metre": 0.001}).units_per_currency == 10**6  # exactly 1000 units
    assert choose_cost_scale({"fixed": 5_000.0}).units_per_currency == 1  # never below one unit per currency


def test_zero_prices_need_no_digits_and_no_prices_give_scale_one():
    assert choose_cost_scale({"per metre": 0.0, "fixed": 6000.0}).units_per_currency == 1
    assert choose_cost_scale({}).units_per_currency == 1


def test_a_large_plan_stays_within_the_safe_integer_range():
    # 1000 stops at 10 000 each to drop, 100 vans: about 10**7 currency; 4 digits for 0.35/km.
    bound = 1000 * 10_000.0 + 100 * (600 + 12 * 320)
    scale = choose_cost_scale({"per metre": 0.35 / 1000, "drop": 10_000.0}, plan_bound=bound)
    assert bound * scale.units_per_currency <= MAX_PLAN_UNITS < 2**63 // 1000


def test_prices_too_far_apart_for_int64_are_refused_naming_both():
    with pytest.raises(CostScaleError) as err:
        choose_cost_scale({"vehicle v cost_per_km (per metre)": 1e-12, "drop_penalty of tier gold": 1e9},
                          plan_bound=1e12)
    text = str(err.value)
    assert "vehicle v cost_per_km (per metre) = 1e-12" in text
    assert "raise vehicle v cost_per_km (per metre) or lower drop_penalty of tier gold" in text


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_negative_or_non_finite_price_is_refused_by_name(bad):
    with pytest.raises(CostScaleError, match=r"^fixed_cost: .* give a finite number >= 0"):
        choose_cost_scale({"fixed_cost": bad})


def test_units_and_currency_are_inverse():
    scale = CostScale(10**6)
    assert scale.units(0.35 / 1000) == 350
    assert scale.currency(350) == pytest.approx(0.00035)
    with pytest.raises(ValueError, match="units_per_currency"):
        CostScale(0)


def test_fleet_prices_are_per_metre_per_second_and_per_day_by_vehicle_and_field():
    van = Vehicle("van-1", "d", 10, TimeWindow(8 * H, 18 * H), cost_per_km=4.0, cost_per_hour=360.0, fixed_cost=600.0)
    assert fleet_prices([van]) == {
        "vehicle van-1 cost_per_km (per metre)": pytest.approx(0.004),
        "vehicle van-1 cost_per_hour (per second)": pytest.approx(0.1),
        "vehicle van-1 fixed_cost": 600.0,
    }
    # a whole 10-hour shift of labour plus the fixed cost, plus 3 arcs of 2 km at 4/km
    assert fleet_plan_bound([van], arcs=3, longest_arc_m=2000) == pytest.approx(600 + 3600 + 24)


# -- the acceptance: a day priced in EUR, engine against scorecard ---------------------------


def eur_day(n_orders: int = 24, seed: int = 7):
    """A day of ``n_orders`` home deliveries around one depot, priced in EUR (0.35 EUR/km, 32 EUR/h,
    60 EUR per van-day); travel at 8 m/s with a one-way penalty, so the matrices are asymmetric."""
    import numpy as np

    from optimizer.dayplan import build_day_model, consolidate_stops
    from optimizer.domain import Depot, Order

    rng = np.random.default_rng(seed)
    pts = np.vstack([[0.0, 0.0], rng.uniform(-6000, 6000, size=(n_orders, 2))])
    distance = np.rint(np.linalg.norm(pts[:, None] - pts[None, :], axis=2) * 1.3).astype(np.int64)
    distance += np.triu(np.full_like(distance, 150), 1)  # one way is a little longer
    duration = np.rint(distance / 8.0).astype(np.int64) + 30 * (distance > 0)
    orders = [
        Order(f"o{i}", 0.0, 0.0, TimeWindow((8 + 2 * (i % 4)) * H, (10 + 2 * (i % 4)) * H), service_s=180)
        for i in range(n_orders)
    ]
    vans = [Vehicle(f"van-{k}", "d", 12, TimeWindow(8 * H, 18 * H), cost_per_km=0.35, cost_per_hour=32.0, fixed_cost=60.0)
            for k in range(4)]
    stops = consolidate_stops(orders, max_parcels=12)
    model = build_day_model(orders, stops, vans, [Depot("d", "Depot", 0.0, 0.0)], duration, distance,
                            drop_penalty={"ordinary": 200.0})
    return model, orders, vans


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_on_a_eur_day_the_engine_objective_and_the_scorecard_cost_agree_within_a_tenth_of_a_percent(engine):
    from optimizer.checker import check_solution
    from optimizer.dayplan import plan_from_solution
    from optimizer.engine.ortools_solver import solve_ortools
    from optimizer.engine.pyvrp_solver import solve_pyvrp
    from optimizer.scorecard import build_scorecard

    model, orders, vans = eur_day()
    assert model.problem.vehicles[0].cost_per_m > 0  # distance is not free to the engine
    solve = solve_ortools if engine == "ortools" else solve_pyvrp
    solution = solve(model.problem, 1.0)
    assert solution.dropped == []
    assert check_solution(model.problem, solution).objective == solution.objective  # the engine's own price
    plan = plan_from_solution(model, solution, date="2026-11-24")
    card = build_scorecard(plan, orders, vans, currency="EUR")
    assert card.orders_served == len(orders) and card.cost_transport > 0
    assert plan.objective == pytest.approx(card.cost_total, rel=1e-3)
