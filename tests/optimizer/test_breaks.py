"""Drivers' breaks, maximum route duration and overtime: the walk, the checker and both engines.

The walk places a break where it delays the route least; a brute force over every leg and every
start second says what that is.
"""

import random

import numpy as np
import pytest

from optimizer.checker import check_routes, check_solution
from optimizer.departure import BreakRule, WorkRules, service_start, walk_route
from optimizer.engine.ortools_solver import evaluate_in_ortools, solve_ortools
from optimizer.engine.portfolio import solve as solve_portfolio
from optimizer.engine.pyvrp_solver import _working_time, relaxed
from optimizer.problem import RoutingProblem, VehicleSpec


def _brute_force_return(stops, depart, duration, service, tw_start, tw_end, rule):
    """Earliest return over every placement of one break (before leaving, on any leg at any
    second, after the return), among the placements that keep every window; None if none does."""
    best = None

    def walk(leg_with_break, s):
        t, prev = depart + int(service[0]), 0
        for k, node in enumerate(stops + [0]):
            travel = int(duration[prev, node])
            if k == leg_with_break and s < t:
                return None  # a break cannot start during the service before the leg
            arrive = t + travel if k != leg_with_break else max(t + travel, s) + rule.duration
            if node == 0:
                return arrive
            begin = max(arrive, int(tw_start[node]))
            if begin > int(tw_end[node]):
                return None
            t, prev = begin + int(service[node]), node
        return None

    plain = walk(-1, 0)
    if plain is not None and (rule.earliest + rule.duration <= depart or max(plain, rule.earliest) <= rule.latest_start):
        best = plain  # the break before leaving or after the return
    for leg in range(len(stops) + 1):
        for s in range(rule.earliest, rule.latest_start + 1):
            back = walk(leg, s)
            if back is not None and (best is None or back < best):
                best = back
    return best


def _random_case(rng):
    n = rng.randint(2, 5)
    duration = np.array([[0 if i == j else rng.randint(1, 30) for j in range(n)] for i in range(n)])
    service = np.array([rng.randint(0, 5)] + [rng.randint(0, 10) for _ in range(n - 1)])
    tw_start = np.array([0] + [rng.randint(0, 120) for _ in range(n - 1)])
    tw_end = np.array([10**6] + [int(s) + rng.randint(0, 60) for s in tw_start[1:]])
    stops = rng.sample(range(1, n), rng.randint(1, n - 1))
    earliest = rng.randint(0, 120)
    length = rng.randint(5, 40)
    rule = BreakRule(earliest, earliest + length + rng.randint(0, 40), length)
    return duration, service, tw_start, tw_end, stops, rule, rng.randint(0, 40)


@pytest.mark.parametrize("seed", range(3))
def test_the_walk_takes_the_break_where_the_route_is_back_earliest(seed):
    rng = random.Random(seed)
    for _ in range(150):
        duration, service, tw_start, tw_end, stops, rule, depart = _random_case(rng)
        w = walk_route(stops, 0, depart, duration, service, tw_start, tw_end, breaks=[rule])
        expected = _brute_force_return(stops, depart, duration, service, tw_start, tw_end, rule)
        if expected is None:
            assert not w.sound
        else:
            assert w.sound and w.return_s == expected
            for after, start, end in w.breaks:  # a listed break lies in its window and in the route
                assert rule.earliest <= start and end <= rule.latest and end - start == rule.duration


def test_a_break_waits_out_a_window_opening_instead_of_delaying_the_route():
    # Arrive at 11:00 for a stop that opens at 11:30: the 30 min break fits in the wait.
    duration = np.array([[0, 3600], [3600, 0]])
    service, tw_start, tw_end = np.array([0, 300]), np.array([0, 41_400]), np.array([10**6, 43_200])
    w = walk_route([1], 0, 36_000, duration, service, tw_start, tw_end, breaks=[BreakRule(39_600, 50_400, 1800)])
    assert w.starts == (41_400,) and w.breaks == ((0, 39_600, 41_400),)


def test_a_route_back_before_the_break_window_takes_no_break():
    duration = np.array([[0, 600], [600, 0]])
    service, tw_start, tw_end = np.array([0, 120]), np.array([0, 0]), np.array([10**6, 10**6])
    w = walk_route([1], 0, 28_800, duration, service, tw_start, tw_end, breaks=[BreakRule(39_600, 50_400, 1800)])
    assert w.sound and w.breaks == () and w.return_s == 28_800 + 1320


def test_two_breaks_are_taken_in_order():
    duration = np.array([[0, 7200, 7200], [7200, 0, 7200], [7200, 7200, 0]])
    service, tw_start, tw_end = np.zeros(3, dtype=int), np.zeros(3, dtype=int), np.full(3, 10**6)
    rules = [BreakRule(36_000, 39_600, 900), BreakRule(43_200, 46_800, 1800)]
    w = walk_route([1, 2], 0, 28_800, duration, service, tw_start, tw_end, breaks=rules)
    (_, s1, e1), (_, s2, e2) = w.breaks
    assert (s1, e1) == (36_000, 36_900) and e1 <= s2 and 43_200 <= s2 and e2 - s2 == 1800 and e2 <= 46_800
    assert w.return_s == 28_800 + 3 * 7200 + 900 + 1800


# --- The model: a break that must be taken changes the plan -------------------------------------

def _lunch_problem(*, breaks=True, normal=None, overtime=0, max_span=None, vehicles=1):
    """A depot and three stops 20 min apart; the driver's day runs 10:00-14:00 with a 60 min
    break inside 11:00-12:30. Stop 2's window (11:50-12:10) and stop 3's (12:30-12:50) can both be
    served by one van only if the break is ignored."""
    t = 1200
    duration = np.array([[0, t, t, t], [t, 0, t, t], [t, t, 0, t], [t, t, t, 0]])
    rules = WorkRules(breaks=(BreakRule(39_600, 45_000, 3600),) if breaks else (), max_span=max_span,
                      normal_span=normal, overtime_cost_per_s=overtime)
    spec = VehicleSpec(depot=0, capacity=10, shift_start=36_000, shift_end=50_400, cost_per_m=1, cost_per_s=1,
                       work=rules)
    return RoutingProblem(
        duration=duration, distance=duration.copy(), demand=np.array([0, 1, 1, 1]),
        service=np.array([0, 300, 300, 300]),
        tw_start=np.array([0, 39_000, 42_600, 45_000]), tw_end=np.array([50_400, 40_200, 43_800, 46_200]),
        vehicles=[spec] * vehicles, depots=[0], penalty=np.array([0, 100_000, 100_000, 100_000]),
    )


def test_the_route_that_ignores_the_break_is_refused_by_the_checker_and_or_tools():
    without = solve_ortools(_lunch_problem(breaks=False), 1.0)
    assert sorted(n for r in without.routes for n in r) == [1, 2, 3]  # one van serves all three
    with_break = _lunch_problem()
    report = check_routes(with_break, without.routes)
    assert not report.feasible and report.kinds() & {"break", "window"}
    assert evaluate_in_ortools(with_break, without.routes)[0] is False


def test_or_tools_plans_the_break_and_the_checker_agrees():
    problem = _lunch_problem(vehicles=2)
    sol = solve_ortools(problem, 2.0)
    report = check_solution(problem, sol)
    assert report.feasible and not sol.dropped
    assert report.used_vehicles == 2  # the break leaves no room for stops 2 and 3 on one route
    assert all(rule_fits for rule_fits in (problem.walk(v, r).sound for v, r in enumerate(sol.routes)))


def test_overtime_is_priced_after_the_normal_duration_and_capped_at_the_maximum():
    problem = _lunch_problem(breaks=False, normal=3600, overtime=5, max_span=3 * 3600)
    sol = solve_ortools(problem, 1.0)
    report = check_solution(problem, sol)
    assert report.feasible
    route = next(r for r in report.routes if r.stops)
    assert route.overtime == route.span - 3600 > 0 and route.overtime_cost == 5 * route.overtime
    ok, objective = evaluate_in_ortools(problem, sol.routes)
    assert ok and objective == report.objective  # both price overtime alike

    tight = _lunch_problem(breaks=False, max_span=3600)
    report = check_routes(tight, [sol.routes[0]])
    assert "duration" in report.kinds()


def test_repair_moves_the_stop_the_break_pushes_out_of_its_window_to_another_van():
    from optimizer.engine.repair import repair_windows

    problem = _lunch_problem(vehicles=2)
    assert not check_routes(problem, [[1, 2, 3], []]).feasible  # planned as if there were no break
    routes, left = repair_windows(problem, [[1, 2, 3], []])
    assert left == [] and sorted(n for r in routes for n in r) == [1, 2, 3]
    assert check_routes(problem, routes).feasible


def test_pyvrp_gets_the_duration_rules_exactly_and_the_breaks_as_a_relaxation():
    spec = _lunch_problem(breaks=False, normal=3600, overtime=5, max_span=3 * 3600).vehicles[0]
    assert _working_time(spec) == dict(shift_duration=3600, max_overtime=7200, unit_overtime_cost=5)
    assert not relaxed(_lunch_problem(breaks=False, normal=3600, overtime=5))
    assert relaxed(_lunch_problem())


def test_the_portfolio_plan_takes_its_breaks():
    problem = _lunch_problem(vehicles=2)
    sol = solve_portfolio(problem, 3.0, seed=1)
    report = check_solution(problem, sol)
    assert report.feasible and not sol.dropped


def _random_day_route(rng):
    """A one-van route of 1-3 stops with one or two breaks, sometimes a maximum duration, soft
    windows or a stop whose parcels come in late (seconds)."""
    n = rng.randint(2, 4)
    duration = np.array([[0 if i == j else rng.randint(5, 40) for j in range(n)] for i in range(n)])
    service = np.array([0] + [rng.randint(0, 10) for _ in range(n - 1)])
    tw_start = np.array([0] + [rng.randint(0, 150) for _ in range(n - 1)])
    tw_end = np.array([400] + [int(s) + rng.randint(0, 40) for s in tw_start[1:]])
    rules = []
    for _ in range(rng.randint(1, 2)):
        earliest = rng.randint(0, 150) if not rules else rules[-1].earliest + rules[-1].duration + rng.randint(0, 60)
        length = rng.randint(5, 30)
        rules.append(BreakRule(earliest, earliest + length + rng.randint(0, 40), length))
    ready = np.array([0] + [rng.choice([0, 0, rng.randint(0, 120)]) for _ in range(n - 1)])
    spec = VehicleSpec(depot=0, capacity=100, shift_start=rng.randint(0, 30), shift_end=400, cost_per_m=0, cost_per_s=1,
                       work=WorkRules(breaks=tuple(rules), max_span=rng.choice([None, rng.randint(60, 250)])))
    soft = rng.random() < 0.5
    late_allowed = np.array([0] + [rng.randint(0, 40) for _ in range(n - 1)]) if soft else None
    late_cost = np.array([0] + [rng.randint(1, 5) for _ in range(n - 1)]) if soft else None
    problem = RoutingProblem(duration=duration, distance=np.zeros((n, n), dtype=int), demand=np.array([0] + [1] * (n - 1)),
                             service=service, tw_start=tw_start, tw_end=tw_end, vehicles=[spec], depots=[0],
                             penalty=np.array([0] + [10**6] * (n - 1)), ready=ready if ready.any() else None,
                             late_allowed=late_allowed, late_cost=late_cost)
    return problem, rng.sample(range(1, n), n - 1)


@pytest.mark.parametrize("seed", range(2))
def test_the_checker_and_or_tools_agree_on_which_routes_take_their_breaks_and_on_their_price(seed):
    # soft windows included: the walk weighs lateness against the return when placing a break
    rng = random.Random(seed)
    for _ in range(150):
        problem, route = _random_day_route(rng)
        report = check_routes(problem, [route])
        accepted, objective = evaluate_in_ortools(problem, [route])
        assert report.feasible == accepted, (problem.vehicles[0].work, route, report.violations)
        if accepted:
            assert report.objective == objective
