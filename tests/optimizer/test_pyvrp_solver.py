"""PyVRP engine: same model as OR-Tools, priced the same way, and honest about what it cannot do."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.checker import check_solution
from optimizer.engine.pyvrp_solver import NotSupported, solve_pyvrp
from optimizer.problem import RoutingSolution, VehicleSpec

from tests.optimizer.builders import OPEN, make_problem

LIMIT_S = 0.3


def test_windows_force_the_far_stop_first():
    problem = make_problem([(0, 0), (100, 0), (300, 0)], windows=[OPEN, (600, 700), (0, 400)])
    solution = solve_pyvrp(problem, LIMIT_S)
    assert solution.routes == [[2, 1]]
    assert solution.meta["feasible"]


def test_optional_stop_dropped_when_penalty_below_detour_and_priced_like_the_checker():
    problem = make_problem([(0, 0), (10, 0), (1000, 0)], penalty=[0, -1, 50])
    solution = solve_pyvrp(problem, LIMIT_S)
    assert solution.routes == [[1]]
    assert solution.dropped == [2]
    assert solution.objective == check_solution(problem, solution).objective == 20 + 50


def test_a_stop_nobody_can_reach_in_time_is_screened_out_and_dropped():
    problem = make_problem([(0, 0), (100, 0), (500, 0)], windows=[OPEN, OPEN, (0, 100)])
    solution = solve_pyvrp(problem, LIMIT_S)
    assert solution.routes == [[1]]
    assert solution.dropped == [2]
    assert solution.meta["unservable"] == [2]


def test_locks_are_not_supported():
    problem = make_problem([(0, 0), (10, 0), (20, 0)], allowed_vehicles={1: [0]})
    with pytest.raises(NotSupported, match="allowed_vehicles"):
        solve_pyvrp(problem, LIMIT_S)


def test_multi_depot_vehicles_are_mapped_back_to_their_own_index():
    problem = make_problem(
        [(0, 0), (10_000, 0), (50, 0), (-50, 0), (10_050, 0), (9_950, 0)],
        depots=[0, 1],
        windows=[(0, 100_000)] * 6,
        vehicles=[
            VehicleSpec(depot=1, capacity=10, shift_start=0, shift_end=100_000),
            VehicleSpec(depot=0, capacity=10, shift_start=0, shift_end=100_000),
        ],
    )
    solution = solve_pyvrp(problem, LIMIT_S)
    assert sorted(solution.routes[0]) == [4, 5]
    assert sorted(solution.routes[1]) == [2, 3]


def test_labour_and_fixed_costs_are_priced_exactly_like_the_checker_on_random_problems():
    rng = np.random.default_rng(11)
    for _ in range(3):
        n = 12
        coords = [tuple(p) for p in rng.integers(0, 1000, size=(n, 2))]
        starts = rng.integers(0, 3000, size=n)
        windows = [OPEN] + [(int(s), int(s) + 1200) for s in starts[1:]]
        vans = [VehicleSpec(0, 4, 0, 8000, cost_per_m=3, cost_per_s=2, fixed_cost=500)] * 4
        penalty = [0] + [int(p) for p in rng.integers(500, 5000, size=n - 1)]
        problem = make_problem(coords, vehicles=vans, windows=windows, service=[0] + [60] * (n - 1), penalty=penalty)
        solution = solve_pyvrp(problem, LIMIT_S)
        report = check_solution(problem, solution)
        assert report.feasible, report.violations
        assert report.objective == solution.objective


def test_initial_routes_warm_start_the_search():
    problem = make_problem([(0, 0), (10, 0), (20, 0)])
    seed = RoutingSolution(routes=[[1, 2]], dropped=[], objective=0, engine="test", wall_s=0)
    solution = solve_pyvrp(problem, LIMIT_S, initial=seed)
    assert solution.meta["seeded"] is True
    assert solution.objective == 40


def test_share_hands_out_a_snapshot_of_the_best_plan_while_searching():
    problem = make_problem([(0, 0), (10, 0), (20, 0), (0, 10)])
    asked, replies = [False], []

    def wanted() -> bool:
        if asked[0]:
            return False
        asked[0] = True
        return True

    solution = solve_pyvrp(problem, LIMIT_S, share=(wanted, replies.append))
    [snapshot] = replies
    assert snapshot is not None
    assert sorted(n for r in snapshot.routes for n in r) == [1, 2, 3]
    assert snapshot.objective >= solution.objective
    assert check_solution(problem, RoutingSolution(snapshot.routes, snapshot.dropped, 0, "t", 0)).objective == snapshot.objective


def test_the_time_limit_covers_the_whole_call_not_just_the_search():
    import time

    rng = np.random.default_rng(3)
    coords = [(500, 500)] + [tuple(p) for p in rng.integers(0, 1000, size=(60, 2))]
    problem = make_problem(coords, vehicles=[VehicleSpec(0, 10, 0, 100_000)] * 8, windows=[(0, 100_000)] * 61)
    t0 = time.perf_counter()
    solution = solve_pyvrp(problem, 0.5)
    assert time.perf_counter() - t0 < 0.5 + 0.3
    assert check_solution(problem, solution).feasible


def test_shift_end_bounds_the_return_not_just_the_departure():
    # Shift 1000..1300. Each stop alone is a 200 s round trip; both take 400 s (back at 1400).
    problem = make_problem(
        [(0, 0), (100, 0), (-100, 0)],
        penalty=[0, 10_000, 20_000],
        vehicles=[VehicleSpec(depot=0, capacity=10, shift_start=1000, shift_end=1300)],
    )
    solution = solve_pyvrp(problem, LIMIT_S)
    assert solution.meta["unservable"] == []  # the screening does not decide this one
    assert solution.routes == [[2]]  # keeps the dearer stop
    assert solution.dropped == [1]
    assert check_solution(problem, solution).feasible


def test_a_finer_cost_scale_searches_exactly_like_the_reference_scale():
    """Costs 1000x finer (cost_scale 10**6 instead of the reference 10**3) with PyVRP's penalty
    bounds and waiting weight scaled alike: the same search, move for move."""
    import pyvrp
    from pyvrp.stop import MaxIterations

    from optimizer.cost_scale import CostScale
    from optimizer.engine.pyvrp_solver import build_data, read_solution, search_factor, solve_params

    rng = np.random.default_rng(3)
    coords = [(0, 0)] + [tuple(rng.uniform(0, 3000, 2)) for _ in range(30)]
    windows = [(0, 20_000)] + [(int(a), int(a) + 1800) for a in rng.uniform(0, 12_000, 30)]

    def day(k: int, units_per_currency: int):
        vans = [VehicleSpec(0, 8, 0, 20_000, cost_per_m=4 * k, cost_per_s=83 * k, fixed_cost=600_000 * k)] * 6
        problem = make_problem(coords, vehicles=vans, windows=windows, service=[0] + [120] * 30,
                               penalty=[0] + [2_000_000 * k] * 30)
        problem.cost_scale = CostScale(units_per_currency)
        return problem

    runs = []
    for problem in (day(1, 1000), day(1000, 10**6)):
        model = build_data(problem)
        result = pyvrp.solve(model.data, MaxIterations(400), seed=1, collect_stats=False, params=solve_params(problem))
        runs.append((read_solution(model, problem, result.best), result.cost() / search_factor(problem)))
    assert search_factor(day(1000, 10**6)) == 1000.0
    assert runs[0] == runs[1]
