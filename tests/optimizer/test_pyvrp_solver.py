"""PyVRP engine: same model as OR-Tools (locks included), priced the same way, and honest about what it cannot do."""

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


def two_depots(allowed_vehicles: dict[int, list[int]]):
    """Van 0 at depot 0 (x=0), van 1 at depot 1 (x=10 km); stops 2, 3 next to depot 0, stops 4, 5
    next to depot 1. Unlocked, each van serves the two stops at its own depot."""
    return make_problem(
        [(0, 0), (10_000, 0), (50, 0), (-50, 0), (10_050, 0), (9_950, 0)],
        depots=[0, 1],
        windows=[(0, 100_000)] * 6,
        vehicles=[VehicleSpec(depot=0, capacity=10, shift_start=0, shift_end=100_000),
                  VehicleSpec(depot=1, capacity=10, shift_start=0, shift_end=100_000)],
        allowed_vehicles=allowed_vehicles,
    )


def test_a_locked_stop_is_served_by_its_van_even_across_the_city():
    problem = two_depots({2: [1], 4: [0]})  # each locked to the van at the other depot
    solution = solve_pyvrp(problem, LIMIT_S)
    assert 2 in solution.routes[1] and 4 in solution.routes[0]
    report = check_solution(problem, solution)
    assert report.feasible, report.violations
    assert solution.meta["feasible"] and solution.meta["lock_violations"] == []
    assert solution.objective == report.objective


def three_vans(seed: int, allowed_vehicles: dict[int, list[int]]):
    """Three depots on a line (0, 5 km, 10 km), one van each, 9 stops scattered around them."""
    rng = np.random.default_rng(seed)
    depots = [(0, 0), (5_000, 0), (10_000, 0)]
    stops = [(int(x), int(y)) for x, y in rng.integers(-500, 500, size=(9, 2)) + np.repeat(depots, 3, axis=0)]
    return make_problem(
        depots + stops,
        depots=[0, 1, 2],
        windows=[(0, 200_000)] * 12,
        vehicles=[VehicleSpec(depot=d, capacity=20, shift_start=0, shift_end=200_000) for d in range(3)],
        allowed_vehicles=allowed_vehicles,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_stop_allowed_on_two_of_three_vans_never_ends_up_on_the_third(seed):
    # Stops 9, 10, 11 sit next to van 2's depot but only vans 0 and 1 may serve them.
    problem = three_vans(seed, {9: [0, 1], 10: [0, 1], 11: [1, 0]})
    solution = solve_pyvrp(problem, LIMIT_S, seed=seed)
    assert not {9, 10, 11} & set(solution.routes[2])
    assert sorted(n for r in solution.routes for n in r) == list(range(3, 12))
    report = check_solution(problem, solution)
    assert report.feasible, report.violations


def test_vehicles_with_the_same_spec_and_lock_signature_share_one_vehicle_type_and_profile():
    from optimizer.engine.pyvrp_solver import build_data

    vans = [VehicleSpec(0, 10, 0, 10_000)] * 4
    problem = make_problem([(0, 0), (10, 0), (20, 0), (30, 0), (40, 0)], vehicles=vans,
                           allowed_vehicles={1: [0], 2: [0], 3: [1]})
    model = build_data(problem)
    # Van 0 may not serve 3; van 1 not 1, 2; vans 2 and 3 none of them. Stop 4 is free.
    assert model.profiles == [("", frozenset({3})), ("", frozenset({1, 2})), ("", frozenset({1, 2, 3}))]
    assert model.type_vehicles == [[0], [1], [2, 3]]
    assert model.data.num_profiles == 3
    assert [model.data.vehicle_type(t).profile for t in range(3)] == [0, 1, 2]


def test_an_unlocked_problem_keeps_a_single_plain_profile():
    from optimizer.engine.pyvrp_solver import build_data

    model = build_data(make_problem([(0, 0), (10, 0), (20, 0)], vehicles=[VehicleSpec(0, 10, 0, 10_000)] * 3))
    assert model.profiles == [("", frozenset())]
    assert model.data.num_profiles == 1


def test_a_prohibitive_edge_is_time_warp_to_pyvrp_and_a_lock_violation_to_the_checker():
    """Forced by hand onto the wrong van, a locked stop makes PyVRP's solution infeasible, and
    the plan read back from it is refused by the checker: never taken silently."""
    import pyvrp

    from optimizer.engine.pyvrp_solver import build_data, lock_violations, prohibitive_edges, read_solution

    problem = two_depots({2: [1]})
    model = build_data(problem)
    client = model.client_nodes.index(2)
    van0_type = next(t for t, members in enumerate(model.type_vehicles) if members == [0])
    wrong = pyvrp.Solution(model.data, [pyvrp.Route(model.data, [pyvrp.Activity(pyvrp.ActivityType.CLIENT, client)],
                                                    van0_type)])
    far, long = prohibitive_edges(problem)
    assert not wrong.is_feasible()
    assert wrong.time_warp() >= long - 100_000  # at least a whole horizon late
    assert wrong.distance() >= far
    routes, dropped = read_solution(model, problem, wrong)
    assert routes[0] == [2]
    assert lock_violations(problem, routes) == [2]
    report = check_solution(problem, RoutingSolution(routes, dropped, 0, "pyvrp", 0.0))
    assert "locked" in report.kinds()
    assert any("node 2 is locked to vehicles [1], not 0" in v for v in report.violations)


def test_prohibitive_edges_stay_within_pyvrp_and_plan_bounds():
    from pyvrp.constants import MAX_VALUE

    from optimizer.cost_scale import MAX_PLAN_UNITS
    from optimizer.engine.pyvrp_solver import prohibitive_edges

    problem = two_depots({2: [1]})
    far, long = prohibitive_edges(problem)
    assert long == 2 * 100_000 + 1
    assert far == 6 * int(problem.distance.max()) + 1  # n times the longest arc, plus one
    dear = make_problem([(0, 0), (10, 0)], vehicles=[VehicleSpec(0, 10, 0, 100, cost_per_m=2**50)])
    far, _ = prohibitive_edges(dear)
    assert 1 <= far * 2**50 * dear.n <= MAX_PLAN_UNITS and far <= MAX_VALUE


def test_locks_beyond_the_profile_memory_limit_are_not_supported(monkeypatch):
    from optimizer.engine import pyvrp_solver

    monkeypatch.setattr(pyvrp_solver, "PROFILE_BYTES_LIMIT", 2 * 2 * 6 * 6 * 8 - 1)  # under two profiles of 6x6
    problem = two_depots({2: [1], 4: [0]})
    assert "2 routing profiles of 6x6" in pyvrp_solver.unsupported_reason(problem)
    with pytest.raises(NotSupported, match="routing profiles"):
        solve_pyvrp(problem, LIMIT_S)
    assert pyvrp_solver.unsupported_reason(two_depots({})) is None  # one plain profile fits


def test_a_virtual_depot_leaving_from_the_vans_position_is_accepted():
    """A re-plan's van starts where it is (its depot row) and returns home (its depot column), so
    the depot's own matrix entry is a real trip; PyVRP wants a zero diagonal and gets one."""
    problem = make_problem([(0, 0), (100, 0), (200, 0)], allowed_vehicles={1: [0]})
    problem.duration[0, 0] = problem.distance[0, 0] = 300  # from the position to home
    solution = solve_pyvrp(problem, LIMIT_S)
    assert solution.meta["feasible"]
    assert check_solution(problem, solution).feasible


def test_mixed_locked_and_unlocked_stops_on_a_windowed_day_are_feasible_and_priced_like_the_checker():
    rng = np.random.default_rng(5)
    n = 25
    coords = [(500, 500)] + [tuple(p) for p in rng.integers(0, 1000, size=(n, 2))]
    windows = [(0, 5 * 3600)] + [(int(o), int(o) + 3600) for o in rng.integers(0, 3 * 3600, size=n)]
    vans = [VehicleSpec(0, 8, 0, 5 * 3600, cost_per_m=4, cost_per_s=1, fixed_cost=2000)] * 5
    locks = {int(s): [int(rng.integers(0, 5))] for s in rng.choice(range(1, n + 1), size=5, replace=False)}
    locks[int(next(s for s in range(1, n + 1) if s not in locks))] = [1, 3]
    problem = make_problem(coords, vehicles=vans, windows=windows, service=[0] + [120] * n,
                           penalty=[0] + [20_000] * n, allowed_vehicles=locks)
    solution = solve_pyvrp(problem, 1.0)
    report = check_solution(problem, solution)
    assert report.feasible, report.violations
    assert solution.objective == report.objective
    for node, allowed in locks.items():
        assert any(node in solution.routes[v] for v in allowed) or node in solution.dropped


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


def heavy_day(capacities):
    """One van of 100 parcels; three optional 300 kg stops worth serving, one light stop."""
    van = VehicleSpec(0, 100, *OPEN, capacities=capacities)
    return make_problem([(0, 0), (10, 0), (20, 0), (30, 0), (40, 0)], vehicles=[van],
                        weight_kg=[0, 300, 300, 300, 5], penalty=[0, 10_000, 10_000, 10_000, 10_000])


def test_a_van_full_by_weight_but_not_by_parcels_takes_no_more_heavy_orders():
    problem = heavy_day((750_000,))
    solution = solve_pyvrp(problem, 0.5)
    assert solution.meta["feasible"]
    assert len([n for n in solution.routes[0] if n in (1, 2, 3)]) == 2 and 4 in solution.routes[0]
    report = check_solution(problem, solution)
    assert report.feasible, report.violations
    assert report.objective == solution.objective


def test_weight_is_a_second_load_dimension_and_an_unlimited_capacity_the_days_total():
    from optimizer.engine.pyvrp_solver import build_data

    data = build_data(heavy_day((None,))).data
    assert list(data.vehicle_type(0).capacity) == [100, 905_000]
    assert [list(c.delivery) for c in data.clients()] == [[1, 300_000], [1, 300_000], [1, 300_000], [1, 5_000]]
    assert sorted(n for r in solve_pyvrp(heavy_day((None,)), 0.3).routes for n in r) == [1, 2, 3, 4]


def test_a_stop_heavier_than_every_van_is_screened_out():
    problem = heavy_day((250_000,))
    solution = solve_pyvrp(problem, 0.3)
    assert sorted(solution.meta["unservable"]) == [1, 2, 3]
    assert solution.routes[0] == [4]


def test_a_stop_no_vehicle_may_serve_is_screened_out_and_dropped():
    problem = make_problem([(0, 0), (10, 0), (20, 0)], vehicles=[VehicleSpec(0, 10, *OPEN)] * 2,
                           allowed_vehicles={2: []}, penalty=[0, 10_000, 10_000])
    solution = solve_pyvrp(problem, 0.3)
    assert solution.meta["unservable"] == [2] and solution.dropped == [2]


# Several windows: one client per window in a mutually exclusive group; soft windows relaxed ------

from optimizer.engine.pyvrp_solver import build_data  # noqa: E402
from tests.optimizer.builders import H, M, second_window_only, ten_minutes_late  # noqa: E402


def test_a_stop_with_two_windows_is_two_clients_of_which_pyvrp_may_visit_one():
    p = second_window_only()
    p.windows[1] = [(9 * H, 9 * H + 30 * M), (17 * H, 19 * H)]  # both reachable (the van is there at 09:00)
    model = build_data(p)
    assert model.client_nodes[:2] == [1, 1]
    first, second = model.data.clients()[:2]
    assert [(first.tw_early, first.tw_late), (second.tw_early, second.tw_late)] == [(9 * H, 9 * H + 30 * M), (17 * H, 19 * H)]
    (group,) = model.data.groups()
    assert list(group.clients) == [0, 1] and group.mutually_exclusive and not group.required  # optional stop


def test_a_window_no_vehicle_can_reach_in_time_is_no_client():
    (stop1, stop2, stop3) = build_data(second_window_only()).data.clients()  # 08:00-08:30 closes before 09:00
    assert (stop1.tw_early, stop1.tw_late) == (17 * H, 19 * H) and build_data(second_window_only()).data.num_groups == 0


def test_pyvrp_serves_a_stop_in_its_second_window_when_only_that_one_is_reachable():
    p = second_window_only()
    solution = solve_pyvrp(p, 0.5)
    assert solution.meta["relaxed"] is False
    report = check_solution(p, solution)
    assert report.feasible and solution.routes == [[2, 3, 1]]


def test_a_soft_window_is_widened_by_its_allowance_and_says_pyvrp_searched_a_relaxation():
    p = ten_minutes_late()
    assert build_data(p).data.clients()[0].tw_late == 9 * H + 15 * M
    solution = solve_pyvrp(p, 0.5)
    assert solution.meta["relaxed"] is True
    assert check_solution(p, solution).late == [(1, 600, 1200)]  # the checker prices what PyVRP did not


def test_a_required_stop_with_two_windows_is_a_required_group_and_is_served():
    p = second_window_only()
    p.penalty = None  # every stop required
    p.windows[1] = [(9 * H, 9 * H + 30 * M), (17 * H, 19 * H)]
    (group,) = build_data(p).data.groups()
    assert group.required
    solution = solve_pyvrp(p, 0.5)
    report = check_solution(p, solution)
    assert report.feasible and sorted(n for r in solution.routes for n in r) == [1, 2, 3]
