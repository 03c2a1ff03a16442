"""Returns: a stop may collect its load and carry it back to the depot; capacity holds along the
route, at the point the vehicle is fullest, not only in the route's total."""

import random

import numpy as np
import pytest

from optimizer.checker import check_routes, check_solution
from optimizer.engine.ortools_solver import evaluate_in_ortools, solve_ortools
from optimizer.engine.portfolio import solve
from optimizer.engine.pyvrp_solver import solve_pyvrp
from optimizer.engine.repair import reinsert_stops
from optimizer.problem import RoutingProblem, VehicleSpec, peak_load
from tests.optimizer.builders import make_problem, random_two_routes, random_two_van_problem, weight

# On a line from the depot (x = 0): return 1 at 1 km, delivery 2 at 2 km, return 3 at 3 km,
# delivery 4 at 4 km; five parcels each, one van of ten.
LINE = [(0, 0), (1000, 0), (2000, 0), (3000, 0), (4000, 0)]
RETURNS = [1, 3]


def returns_day(*, collects=True, vehicles=1, fixed_cost=0) -> RoutingProblem:
    spec = VehicleSpec(depot=0, capacity=10, shift_start=0, shift_end=100_000, fixed_cost=fixed_cost)
    problem = make_problem(LINE, demand=[0, 5, 5, 5, 5], vehicles=[spec] * vehicles,
                           penalty=[0] + [10**7] * 4)
    if collects:
        problem.collects = np.array([i in RETURNS for i in range(len(LINE))])
    return problem


def test_the_load_on_board_peaks_where_deliveries_and_collections_meet():
    collects = np.array([False, True, False, True, False])
    amount = np.array([0, 5, 5, 5, 5])
    assert peak_load([2, 4, 3, 1], amount, collects) == 10  # delivers both, then collects both
    assert peak_load([1, 2, 3, 4], amount, collects) == 15  # collects 1 with both deliveries aboard
    assert peak_load([1, 2, 3, 4], amount, None) == 20  # all deliveries: the route's total


def test_one_van_serves_two_deliveries_and_two_returns_only_when_the_returns_are_known():
    as_deliveries = returns_day(collects=False)
    sol = solve_ortools(as_deliveries, 1.0)
    assert len(sol.dropped) == 2  # 20 parcels "delivered" cannot fit a van of 10
    problem = returns_day()
    for sol in (solve_ortools(problem, 1.0), solve_pyvrp(problem, 1.0, seed=1), solve(problem, 2.0, seed=1)):
        report = check_solution(problem, sol)
        assert report.feasible and not sol.dropped, sol.engine
        route = next(r for r in sol.routes if r)
        assert peak_load(route, problem.demand, problem.collects) <= 10
        # out to the far end delivering, back collecting: the line driven once each way
        assert report.routes[0].distance == 8000, sol.engine


def test_the_checker_refuses_a_route_that_collects_before_it_has_room():
    problem = returns_day()
    report = check_routes(problem, [[1, 2, 3, 4]])
    assert not report.feasible and "capacity" in report.kinds()
    assert any("15 parcels at its fullest" in v for v in report.violations)
    assert evaluate_in_ortools(problem, [[1, 2, 3, 4]])[0] is False
    assert check_routes(problem, [[2, 4, 3, 1]]).feasible
    assert evaluate_in_ortools(problem, [[2, 4, 3, 1]])[0] is True


def test_weight_holds_along_the_route_too():
    spec = VehicleSpec(depot=0, capacity=100, shift_start=0, shift_end=100_000, capacities=(10_000,))
    problem = make_problem(LINE, vehicles=[spec], weight_kg=[0, 6, 6, 6, 6], penalty=[0] + [10**6] * 4)
    problem.collects = np.array([i in RETURNS for i in range(len(LINE))])
    report = check_routes(problem, [[1, 2, 3, 4]])
    assert any("kg at its fullest" in v for v in report.violations)
    assert check_routes(problem, [[2, 4, 3, 1]]).feasible is False  # 12 kg out, 12 kg back: 10 kg van
    sol = solve_ortools(problem, 1.0)
    assert len(sol.dropped) == 2 and check_solution(problem, sol).feasible  # one delivery and one return


def test_repair_puts_a_return_back_only_where_it_fits():
    problem = returns_day()
    routes, left = reinsert_stops(problem, [[2, 4, 3]], [1])
    assert not left and check_routes(problem, routes).feasible
    assert routes[0].index(1) > routes[0].index(2)  # collected after the delivery made room


def _random_returns_problem(rng: random.Random) -> RoutingProblem:
    problem = random_two_van_problem(rng, VehicleSpec(depot=0, capacity=rng.randint(6, 12), shift_start=0,
                                                      shift_end=100_000))
    problem.collects = np.array([False] + [rng.random() < 0.5 for _ in range(problem.n - 1)])
    return problem


@pytest.mark.parametrize("seed", range(6))
def test_the_checker_and_ortools_agree_on_random_routes_with_returns(seed):
    rng = random.Random(seed)
    problem = _random_returns_problem(rng)
    for routes in random_two_routes(problem, rng, 20):
        assert check_routes(problem, routes).feasible == evaluate_in_ortools(problem, routes)[0], routes
