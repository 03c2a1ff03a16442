"""Pickup-and-delivery pairs: parcels picked up on the route (at a shop) and handed over further
on (at the customer), by the same van, the pickup first; capacity holds along the route.

``RoutingProblem.pairs`` maps the pickup node to its delivery node; the pickup collects its
load (``collects``), the delivery hands it over, and neither is loaded at the depot.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from optimizer.checker import check_routes
from optimizer.engine.ortools_solver import evaluate_in_ortools
from optimizer.engine.pyvrp_solver import relaxed
from optimizer.engine.repair import repair_windows
from optimizer.problem import RoutingProblem, VehicleSpec
from tests.optimizer.builders import ENGINES, make_problem, random_two_routes, random_two_van_problem, solve_with

H = 3600
SHOP, CUSTOMER, HOME = 1, 2, 3


def a_shop_job(*, vans: int = 1, pair_parcels: int = 8) -> RoutingProblem:
    """A van of 10 parcels leaves with 5 for a home north of the depot (node 3) and takes a job of
    8 parcels from a shop east of it (node 1) to a customer further east (node 2).

    Loaded at the depot the job would not fit (5 + 8 > 10); picked up after the home delivery it
    does. The pickup's drop penalty is 0 and the delivery's carries the job's worth, as the day
    planner prices a pair (neither end is served without the other).
    """
    fleet = [VehicleSpec(depot=0, capacity=10, shift_start=8 * H, shift_end=18 * H, cost_per_m=1) for _ in range(vans)]
    problem = make_problem([(0, 0), (1000, 0), (2000, 0), (0, 1000)], vehicles=fleet,
                           demand=[0, pair_parcels, pair_parcels, 5], penalty=[0, 0, 100_000, 100_000],
                           windows=[(8 * H, 18 * H)] * 4)
    problem.collects = np.array([False, True, False, False])
    problem.pairs = {SHOP: CUSTOMER}
    return problem


def test_the_job_fits_once_the_home_delivery_is_off_the_van():
    problem = a_shop_job()
    assert problem.loaded_at_depot(HOME) and not problem.loaded_at_depot(CUSTOMER)
    assert check_routes(problem, [[HOME, SHOP, CUSTOMER]]).feasible
    assert evaluate_in_ortools(problem, [[HOME, SHOP, CUSTOMER]])[0] is True
    early = check_routes(problem, [[SHOP, CUSTOMER, HOME]])
    assert early.kinds() == {"capacity"}  # 5 aboard when the 8 come on
    assert evaluate_in_ortools(problem, [[SHOP, CUSTOMER, HOME]])[0] is False


def test_a_delivery_before_its_pickup_is_a_pair_violation():
    problem = a_shop_job(pair_parcels=2)
    report = check_routes(problem, [[HOME, CUSTOMER, SHOP]])
    assert "pair" in report.kinds()
    assert any("delivered before its pickup" in v for v in report.violations)
    assert evaluate_in_ortools(problem, [[HOME, CUSTOMER, SHOP]])[0] is False


def test_a_pair_split_between_two_vans_or_served_by_half_is_a_pair_violation():
    problem = a_shop_job(vans=2, pair_parcels=2)
    split = check_routes(problem, [[HOME, SHOP], [CUSTOMER]])
    assert any(v.startswith("pair: node 2: picked up on route 0, delivered by route 1") for v in split.violations)
    assert evaluate_in_ortools(problem, [[HOME, SHOP], [CUSTOMER]])[0] is False
    half = check_routes(problem, [[HOME, SHOP], []])
    assert any("its pair's other end is not served" in v for v in half.violations)
    whole_off = check_routes(problem, [[HOME], []])
    assert whole_off.feasible and whole_off.dropped_optional == [SHOP, CUSTOMER]


@pytest.mark.parametrize("engine", ["ortools", "auto"])
def test_the_engine_of_record_and_the_portfolio_serve_the_job_after_the_home(engine):
    problem = a_shop_job()
    solution = solve_with(engine, problem)
    report = check_routes(problem, solution.routes, solution.dropped)
    assert report.feasible, report.violations
    assert solution.routes[0] == [HOME, SHOP, CUSTOMER]


def test_pyvrp_serves_a_pair_as_a_shipment():
    problem = a_shop_job(pair_parcels=2)
    solution = solve_with("pyvrp", problem)
    assert check_routes(problem, solution.routes, solution.dropped).feasible
    assert not solution.dropped
    route = solution.routes[0]
    assert route.index(SHOP) < route.index(CUSTOMER)


def test_pyvrp_relaxes_pairs_so_the_portfolio_polishes_them():
    """PyVRP 0.14.1 never puts in an optional shipment that fits only after a delivery made room
    (the 8-parcel job here): the portfolio's OR-Tools polish does (see the auto case above)."""
    problem = a_shop_job()
    assert relaxed(problem)
    solution = solve_with("pyvrp", problem)
    assert check_routes(problem, solution.routes, solution.dropped).feasible


def test_the_repair_takes_a_pair_off_whole():
    problem = a_shop_job(pair_parcels=2)
    problem.tw_end[CUSTOMER] = 8 * H + 2000  # in time only straight from the shop, not after the home
    routes, left = repair_windows(problem, [[HOME, SHOP, CUSTOMER]])
    assert routes == [[HOME]] and sorted(left) == [SHOP, CUSTOMER]  # not the shop alone, not put back alone
    assert check_routes(problem, routes, left).feasible


@pytest.mark.parametrize("engine", ENGINES)
def test_without_pairs_nothing_changes(engine):
    problem = a_shop_job()
    problem.pairs, problem.collects = {}, None
    solution = solve_with(engine, problem)
    assert check_routes(problem, solution.routes, solution.dropped).feasible


def _random_pairs_problem(rng) -> RoutingProblem:
    """Two vans, some stops delivered from the depot, some returns, and two pickup-and-delivery pairs."""
    problem = random_two_van_problem(rng, VehicleSpec(depot=0, capacity=rng.randint(6, 12), shift_start=0,
                                                      shift_end=100_000, cost_per_m=1))
    stops = problem.stop_nodes()
    rng.shuffle(stops)
    pairs = {stops[0]: stops[1], stops[2]: stops[3]}
    collects = np.zeros(problem.n, dtype=bool)
    for node in stops[4:]:
        collects[node] = rng.random() < 0.3
    for pickup, delivery in pairs.items():
        collects[pickup] = True
        problem.demand[delivery] = problem.demand[pickup]
    problem.collects, problem.pairs = collects, pairs
    problem.tw_end[:] = 100_000  # open all day: the routes are judged on their loads and pairs
    return problem


def _mostly_paired(problem: RoutingProblem, routes: list[list[int]], rng) -> list[list[int]]:
    """``routes`` with each pair, most of the time, put on one route, the pickup first."""
    for pickup, delivery in problem.pairs.items():
        if rng.random() < 0.75:
            routes = [[n for n in r if n not in (pickup, delivery)] for r in routes]
            route = rng.choice(routes)
            at = rng.randint(0, len(route))
            route.insert(at, pickup)
            route.insert(rng.randint(at + 1, len(route)), delivery)
    return routes


@pytest.mark.parametrize("seed", range(6))
def test_the_checker_and_ortools_agree_on_random_routes_with_pairs(seed):
    rng = random.Random(seed)
    problem = _random_pairs_problem(rng)
    for routes in random_two_routes(problem, rng, 40):
        routes = _mostly_paired(problem, routes, rng)
        if rng.random() < 0.3:  # leave a whole pair or one end out
            off = rng.choice([list(problem.pairs.items())[0], (list(problem.pairs)[1],)])
            routes = [[n for n in r if n not in off] for r in routes]
        report = check_routes(problem, routes)
        feasible, objective = evaluate_in_ortools(problem, routes)
        assert report.feasible == feasible, (routes, report.violations)
        if feasible:
            assert report.objective == objective, routes
