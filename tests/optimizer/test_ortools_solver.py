"""Specification of the OR-Tools model of record on tiny hand-built problems."""

from __future__ import annotations

from optimizer.checker import check_solution
from optimizer.engine.ortools_solver import evaluate_in_ortools, solve_ortools
from optimizer.problem import RoutingSolution, VehicleSpec

from tests.optimizer.builders import OPEN, make_problem, served, service_starts

LIMIT_S = 0.5


def vehicle(depot: int = 0, capacity: int = 100, **kw) -> VehicleSpec:
    return VehicleSpec(depot=depot, capacity=capacity, shift_start=OPEN[0], shift_end=OPEN[1], **kw)


def test_windows_force_the_far_stop_first_and_every_service_starts_inside_its_window():
    # Near stop (100 m) opens late, far stop (300 m) closes early: the van must go far first.
    problem = make_problem(
        [(0, 0), (100, 0), (300, 0)],
        windows=[OPEN, (600, 700), (0, 400)],
    )
    solution = solve_ortools(problem, LIMIT_S)
    assert solution.routes == [[2, 1]]
    assert solution.dropped == []
    for node, start in zip(solution.routes[0], service_starts(problem, 0, solution.routes[0])):
        assert problem.tw_start[node] <= start <= problem.tw_end[node]


def test_capacity_splits_the_stops_over_two_vehicles():
    problem = make_problem(
        [(0, 0), (10, 0), (20, 0), (0, 10), (0, 20)],
        vehicles=[vehicle(capacity=2), vehicle(capacity=2)],
    )
    solution = solve_ortools(problem, LIMIT_S)
    assert served(solution.routes) == [1, 2, 3, 4]
    for route in solution.routes:
        assert sum(problem.demand[n] for n in route) <= 2
    assert sorted(map(sorted, solution.routes)) == [[1, 2], [3, 4]]  # the cheap split by direction


def test_a_required_stop_whose_window_closes_before_it_is_reachable_is_dropped_not_raised():
    # Stop 2 is 500 m away but its window closes at 100 s: nobody can get there in time.
    problem = make_problem([(0, 0), (100, 0), (500, 0)], windows=[OPEN, OPEN, (0, 100)])
    solution = solve_ortools(problem, LIMIT_S)
    assert solution.routes == [[1]]
    assert solution.dropped == [2]
    assert solution.meta["dropped_required"] == [2]


def test_an_optional_stop_is_dropped_when_its_penalty_is_below_the_detour():
    # Detour to stop 2 costs 2 * 1000 m; its penalty is 50. Stop 1 is required (negative).
    problem = make_problem([(0, 0), (10, 0), (1000, 0)], penalty=[0, -1, 50])
    solution = solve_ortools(problem, LIMIT_S)
    assert solution.routes == [[1]]
    assert solution.dropped == [2]
    assert solution.objective == 20 + 50


def test_a_locked_stop_goes_to_its_vehicle_even_when_another_is_cheaper():
    # Two depots; stop 2 sits next to depot 1 but is locked to the vehicle of depot 0.
    problem = make_problem(
        [(0, 0), (1000, 0), (990, 0), (10, 0)],
        depots=[0, 1],
        allowed_vehicles={2: [0]},
    )
    solution = solve_ortools(problem, LIMIT_S)
    assert 2 in solution.routes[0]
    assert 3 in solution.routes[0]


def test_fixed_cost_makes_one_vehicle_serve_everything():
    coords = [(0, 0), (100, 0), (-100, 0)]
    cheap = make_problem(coords, vehicles=[vehicle(), vehicle()])
    fixed = make_problem(coords, vehicles=[vehicle(fixed_cost=10_000), vehicle(fixed_cost=10_000)])
    # Without a fixed cost both plans cost 400 m; with it, one van is the only sensible choice.
    assert solve_ortools(fixed, LIMIT_S).used_vehicles() == 1
    assert served(solve_ortools(cheap, LIMIT_S).routes) == [1, 2]


def test_multi_depot_each_vehicle_serves_the_stops_near_its_own_depot():
    problem = make_problem(
        [(0, 0), (10_000, 0), (50, 0), (-50, 0), (10_050, 0), (9_950, 0)],
        depots=[0, 1],
        windows=[(0, 100_000)] * 6,
        vehicles=[
            VehicleSpec(depot=0, capacity=10, shift_start=0, shift_end=100_000),
            VehicleSpec(depot=1, capacity=10, shift_start=0, shift_end=100_000),
        ],
    )
    solution = solve_ortools(problem, LIMIT_S)
    assert sorted(solution.routes[0]) == [2, 3]
    assert sorted(solution.routes[1]) == [4, 5]
    assert solution.objective == 4 * 50 * 2


def test_shift_bounds_departure_and_return():
    # Shift 1000..1300: stop 150 m away with service 10 fits (return at 1310? no: 1000+150+10+150).
    problem = make_problem(
        [(0, 0), (150, 0), (10, 0)],
        service=[0, 10, 0],
        vehicles=[VehicleSpec(depot=0, capacity=10, shift_start=1000, shift_end=1300)],
    )
    solution = solve_ortools(problem, LIMIT_S)
    assert solution.dropped == [1]  # 1000 + 150 + 10 + 150 = 1310 > 1300
    assert solution.routes == [[2]]


def test_labour_cost_counts_waiting_time_in_the_span():
    # One stop 100 m away whose window opens at 5000; the van may leave late, so span is 200 s.
    problem = make_problem(
        [(0, 0), (100, 0)],
        windows=[OPEN, (5000, 6000)],
        vehicles=[VehicleSpec(0, 10, 0, 10_000, cost_per_m=1, cost_per_s=3)],
    )
    solution = solve_ortools(problem, LIMIT_S)
    assert solution.objective == 200 + 3 * 200


def test_initial_routes_seed_the_search_and_bad_hints_fall_back():
    problem = make_problem([(0, 0), (10, 0), (20, 0)], vehicles=[vehicle(), vehicle()])
    seed = RoutingSolution(routes=[[1, 2], []], dropped=[], objective=0, engine="test", wall_s=0)
    assert solve_ortools(problem, LIMIT_S, initial=seed).meta["seeded"] is True
    problem.initial_routes = [[1, 1, 2]]  # invalid: node twice
    fallback = solve_ortools(problem, LIMIT_S)
    assert fallback.meta["seeded"] is False
    assert served(fallback.routes) == [1, 2]


def test_progress_reports_improving_objectives():
    problem = make_problem([(0, 0), (10, 0), (20, 0), (0, 10)])
    seen: list[tuple[float, int]] = []
    solution = solve_ortools(problem, 0.5, progress=lambda t, obj: seen.append((t, obj)))
    assert seen, "no progress reported"
    objectives = [obj for _, obj in seen]
    assert objectives == sorted(objectives, reverse=True)
    assert objectives[-1] == solution.objective


def test_evaluate_in_ortools_accepts_feasible_routes_and_rejects_broken_ones():
    problem = make_problem(
        [(0, 0), (100, 0), (300, 0)],
        windows=[OPEN, (600, 700), (0, 400)],
    )
    assert evaluate_in_ortools(problem, [[2, 1]]) == (True, 600)
    assert evaluate_in_ortools(problem, [[1, 2]])[0] is False  # stop 2 served too late
    feasible, objective = evaluate_in_ortools(problem, [[2]])  # stop 1 left out
    assert feasible is False and objective > 600


def test_ortools_objective_equals_the_checker_price_on_random_problems():
    import numpy as np

    from optimizer.checker import check_solution

    rng = np.random.default_rng(7)
    for _ in range(3):
        n = 9
        coords = [tuple(p) for p in rng.integers(0, 1000, size=(n, 2))]
        starts = rng.integers(0, 3000, size=n)
        windows = [OPEN] + [(int(s), int(s) + 1500) for s in starts[1:]]
        vans = [VehicleSpec(0, 4, 0, 8000, cost_per_m=3, cost_per_s=2, fixed_cost=500)] * 3
        problem = make_problem(coords, vehicles=vans, windows=windows, service=[0] + [60] * (n - 1))
        solution = solve_ortools(problem, 0.3)
        report = check_solution(problem, solution)
        assert report.feasible, report.violations
        assert report.objective == solution.objective


def test_evaluate_in_ortools_rejects_a_locked_stop_on_the_wrong_vehicle():
    problem = make_problem([(0, 0), (10, 0), (20, 0)], vehicles=[vehicle(), vehicle()], allowed_vehicles={2: [1]})
    assert evaluate_in_ortools(problem, [[1], [2]]) == (True, 20 + 40)
    assert evaluate_in_ortools(problem, [[1, 2], []])[0] is False


def test_a_depot_without_vehicles_is_never_visited_and_does_not_block_the_model():
    problem = make_problem(
        [(0, 0), (100, 0), (10, 0)], depots=[0, 1], vehicles=[VehicleSpec(0, 10, 0, 10_000)]
    )
    solution = solve_ortools(problem, LIMIT_S)
    assert solution.routes == [[2]]
    assert solution.dropped == []
    assert evaluate_in_ortools(problem, [[2]]) == (True, 20)


def test_large_problems_switch_off_the_insertion_lns_operators_that_ignore_the_time_limit():
    from optimizer.engine.ortools_solver import LARGE_PROBLEM_NODES, search_parameters

    small = search_parameters(1.0, n_nodes=LARGE_PROBLEM_NODES).local_search_operators
    large = search_parameters(1.0, n_nodes=LARGE_PROBLEM_NODES + 1).local_search_operators
    assert small.use_global_cheapest_insertion_path_lns != large.use_global_cheapest_insertion_path_lns
    assert large.use_relocate_path_global_cheapest_insertion_insert_unperformed == 2  # BOOL_FALSE


def heavy_day(capacities):
    """One van of 100 parcels; three optional 300 kg stops worth serving, one light stop."""
    van = vehicle(capacities=capacities)
    return make_problem([(0, 0), (10, 0), (20, 0), (30, 0), (40, 0)], vehicles=[van],
                        weight_kg=[0, 300, 300, 300, 5], penalty=[0, 10_000, 10_000, 10_000, 10_000])


def test_a_van_full_by_weight_but_not_by_parcels_takes_no_more_heavy_orders():
    problem = heavy_day((750_000,))
    solution = solve_ortools(problem, 1.0)
    heavy = [n for n in solution.routes[0] if n in (1, 2, 3)]
    assert len(heavy) == 2 and 4 in solution.routes[0]
    assert len(solution.dropped) == 1
    assert check_solution(problem, solution).feasible


def test_a_van_without_a_weight_capacity_takes_every_heavy_order():
    solution = solve_ortools(heavy_day((None,)), 1.0)
    assert served(solution.routes) == [1, 2, 3, 4]


def test_evaluate_in_ortools_rejects_an_overweight_route():
    feasible, _ = evaluate_in_ortools(heavy_day((750_000,)), [[1, 2, 3]])
    assert not feasible


def test_a_stop_no_vehicle_may_serve_is_dropped():
    problem = make_problem([(0, 0), (10, 0), (20, 0)], vehicles=[vehicle(), vehicle()], allowed_vehicles={2: []},
                           penalty=[0, 10_000, 10_000])
    solution = solve_ortools(problem, 0.5)
    assert solution.dropped == [2]


# Several and soft windows in the model of record ---------------------------------------------

from optimizer.engine.ortools_solver import read_in_ortools  # noqa: E402
from tests.optimizer.builders import H, second_window_only, ten_minutes_late  # noqa: E402


def test_a_stop_whose_first_window_cannot_be_reached_is_served_in_its_second():
    p = second_window_only()
    solution = solve_ortools(p, 1.0)
    report = check_solution(p, solution)
    assert report.feasible and solution.dropped == []
    assert solution.routes == [[2, 3, 1]]
    assert report.routes[0].starts[-1] >= 17 * H  # the evening window, not 09:00 in the gap
    assert solution.objective == report.objective  # OR-Tools and the checker price it alike


def test_the_gaps_between_windows_are_not_in_the_model():
    p = second_window_only()
    assert read_in_ortools(p, [[1, 2, 3]]) is None  # stop 1 in the gap at 09:00: rejected
    assert read_in_ortools(p, [[2, 3, 1]]) == check_solution(p, RoutingSolution([[2, 3, 1]], [], 0, "", 0)).objective


def test_a_stop_ten_minutes_late_at_a_small_cost_is_served_rather_than_dropped():
    p = ten_minutes_late()
    solution = solve_ortools(p, 1.0)
    report = check_solution(p, solution)
    assert report.feasible and solution.routes == [[1, 2]]
    assert report.late == [(1, 600, 1200)]
    assert solution.objective == report.objective == 8600 + 8600 + 1200
    hard = ten_minutes_late(late_allowed_s=0)
    assert solve_ortools(hard, 1.0).dropped == [1]  # a hard window: only dropping is left


def test_the_lateness_cost_decides_between_late_and_dropped():
    p = ten_minutes_late(late_cost_per_s=200)  # 600 s late would cost 120,000 > the 100,000 penalty
    solution = solve_ortools(p, 1.0)
    assert solution.dropped == [1]
    assert check_solution(p, solution).objective == solution.objective


def test_a_stop_with_two_windows_is_two_ortools_nodes_of_which_at_most_one_is_visited():
    from optimizer.engine.ortools_solver import window_copies

    p = second_window_only()
    p.windows[1] = [(9 * H, 9 * H + 1800), (17 * H, 19 * H)]  # both reachable now
    assert window_copies(p) == ([0, 1, 2, 3, 1], {1: [1, 4]})
    solution = solve_ortools(p, 1.0)
    report = check_solution(p, solution)
    assert report.feasible and sorted(n for r in solution.routes for n in r) == [1, 2, 3]  # once, in one window
    assert report.routes[0].starts[solution.routes[0].index(1)] < 10 * H  # the morning now fits on the way


def test_a_plan_seeded_with_a_stop_in_its_second_window_is_read_as_that_windows_copy():
    p = second_window_only()
    seeded = solve_ortools(p, 0.5, initial=RoutingSolution([[2, 3, 1]], [], 0, "hint", 0.0))
    assert seeded.meta["seeded"] and seeded.routes == [[2, 3, 1]]
