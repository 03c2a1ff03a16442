"""Multi-trip: a van back at its depot to reload serves more stops than it carries at once.

A reload is the vehicle's depot node inside its route (``[1, 2, 0, 3, 4]``); capacity holds per
trip, each trip leaves once its own parcels are in, and the reload takes the vehicle's loading
time at the depot.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from optimizer.checker import check_routes
from optimizer.engine.ortools_solver import evaluate_in_ortools
from optimizer.problem import RoutingProblem, VehicleSpec
from tests.optimizer.builders import ENGINES, checked_solve, make_problem, random_two_routes, random_two_van_problem

H = 3600


def one_small_van(*, max_reloads: int = 1, reload_s: int = 600, cost_per_s: int = 1) -> RoutingProblem:
    """Four stops of 5 parcels, two east and two north of the depot, and one van of 10 parcels.

    Without a reload the van serves two stops; with one it serves all four, going east, back to
    load, then north. Every stop may be dropped at 100,000.
    """
    van = VehicleSpec(depot=0, capacity=10, shift_start=8 * H, shift_end=18 * H, cost_per_m=1, cost_per_s=cost_per_s,
                      max_reloads=max_reloads, reload_s=reload_s)
    return make_problem([(0, 0), (1000, 0), (1100, 0), (0, 1000), (0, 1100)], vehicles=[van],
                        demand=[0, 5, 5, 5, 5], penalty=[0] + [100_000] * 4, windows=[(8 * H, 18 * H)] * 5)


def test_a_route_with_a_reload_holds_capacity_per_trip():
    problem = one_small_van()
    assert check_routes(problem, [[1, 2, 0, 3, 4]]).feasible
    report = check_routes(problem, [[1, 2, 3, 0, 4]])
    assert report.violations == ["capacity: vehicle 0 carries 15 parcels on one trip, capacity 10"]


def test_the_reload_takes_its_loading_time_at_the_depot():
    problem = one_small_van(reload_s=600)
    walk = problem.walk(0, [1, 2, 0, 3, 4])
    back_at_depot = walk.arrivals[2]
    assert back_at_depot == 8 * H + 1000 + 100 + 1100
    assert walk.arrivals[3] == back_at_depot + 600 + 1000  # loads 10 min, then drives to stop 3


def test_more_reloads_than_allowed_is_a_violation():
    problem = one_small_van(max_reloads=1)
    assert check_routes(problem, [[1, 0, 2, 0, 3, 4]]).kinds() == {"reload"}
    assert evaluate_in_ortools(problem, [[1, 0, 2, 0, 3, 4]])[0] is False


def test_a_vehicle_that_may_not_reload_cannot_have_its_depot_inside_the_route():
    problem = one_small_van(max_reloads=0)
    assert "node" in check_routes(problem, [[1, 2, 0, 3, 4]]).kinds()
    assert evaluate_in_ortools(problem, [[1, 2, 0, 3, 4]])[0] is False


def test_idle_reloads_are_tidied_away():
    problem = one_small_van(max_reloads=3)
    assert problem.without_idle_reloads(0, [0, 1, 2, 0, 0, 3, 4, 0]) == [1, 2, 0, 3, 4]


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_serves_all_four_stops_with_one_reload(engine):
    problem = one_small_van()
    solution = checked_solve(engine, problem)
    assert sorted(n for n in solution.routes[0] if n != 0) == [1, 2, 3, 4]
    assert problem.reloads_in(0, solution.routes[0]) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_without_reloads_the_small_van_serves_only_two_stops(engine):
    problem = one_small_van(max_reloads=0)
    solution = checked_solve(engine, problem)
    assert len(solution.dropped) == 2


def late_parcels_for_the_second_trip() -> RoutingProblem:
    """Stops 1 and 2 (east) must be served by 10:00; the parcels of stops 3 and 4 (north) reach
    the depot at 12:00. One van of 10 parcels may reload once. Only trips released one by one serve
    all four: leaving at 12:00 with everything (one release for the whole route) misses 1 and 2,
    and one trip cannot hold 20 parcels anyway."""
    problem = one_small_van()
    problem.tw_end = problem.tw_end.copy()
    problem.tw_end[1] = problem.tw_end[2] = 10 * H
    problem.ready = np.array([0, 0, 0, 12 * H, 12 * H], dtype=np.int64)
    return problem


def test_each_trip_leaves_once_its_own_parcels_are_in():
    problem = late_parcels_for_the_second_trip()
    report = check_routes(problem, [[1, 2, 0, 3, 4]])
    assert report.feasible, report.violations
    starts = report.routes[0].starts
    assert starts[1] <= 10 * H  # the first trip is not held back by the second trip's parcels
    assert starts[2] >= 12 * H  # loading starts when the late parcels are in
    assert not check_routes(problem, [[3, 4, 0, 1, 2]]).feasible  # the east stops would be served after 12:00
    assert evaluate_in_ortools(problem, [[3, 4, 0, 1, 2]])[0] is False
    assert evaluate_in_ortools(problem, [[1, 2, 0, 3, 4]])[0] is True


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_serves_the_late_parcels_on_a_second_trip(engine):
    problem = late_parcels_for_the_second_trip()
    solution = checked_solve(engine, problem)
    assert not solution.dropped
    trips = problem.trips(0, solution.routes[0])
    assert [sorted(t) for t in trips] == [[1, 2], [3, 4]]


def test_the_van_leaves_as_late_as_the_wait_for_the_second_trip_allows():
    """Labour is paid from leaving: the first trip leaves so as to be back when the parcels are in."""
    problem = late_parcels_for_the_second_trip()
    problem.tw_end = problem.tw_end.copy()
    problem.tw_end[1] = problem.tw_end[2] = 18 * H
    route = problem.departure(0, [1, 2, 0, 3, 4])
    walk = problem.walk(0, [1, 2, 0, 3, 4], route.depart_s)
    assert walk.arrivals[2] == 12 * H  # back exactly when the late parcels are in: no idle wait paid


def _random_reload_problem(rng: random.Random) -> RoutingProblem:
    spec = VehicleSpec(depot=0, capacity=rng.randint(5, 10), shift_start=0, shift_end=rng.randint(15_000, 40_000),
                       cost_per_m=1, cost_per_s=1, max_reloads=rng.randint(1, 2), reload_s=rng.choice([0, 300]))
    problem = random_two_van_problem(rng, spec)
    problem.ready = np.array([0] + [rng.choice([0, 0, 5000, 9000]) for _ in range(problem.n - 1)], dtype=np.int64)
    return problem


@pytest.mark.parametrize("seed", range(6))
def test_the_checker_and_ortools_agree_on_random_routes_with_reloads(seed):
    rng = random.Random(seed)
    problem = _random_reload_problem(rng)
    for routes in random_two_routes(problem, rng, 25):
        for route in routes:  # up to two reloads somewhere inside
            for _ in range(rng.randint(0, 2)):
                if len(route) >= 2:
                    route.insert(rng.randint(1, len(route) - 1), 0)
        report = check_routes(problem, routes)
        feasible, objective = evaluate_in_ortools(problem, routes)
        assert report.feasible == feasible, (routes, report.violations)
        if feasible:
            assert report.objective == objective, routes
