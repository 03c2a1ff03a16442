"""Release times: a stop whose parcels reach the depot late holds back its van's departure."""

import numpy as np

from optimizer.checker import check_routes, check_solution
from optimizer.engine.ortools_solver import evaluate_in_ortools, solve_ortools
from optimizer.engine.portfolio import solve
from optimizer.engine.pyvrp_solver import solve_pyvrp
from optimizer.problem import RoutingProblem, VehicleSpec

MORNING, NOON = (8 * 3600, 9 * 3600), (12 * 3600, 13 * 3600)


def late_linehaul(*, ready=True, vehicles=2):
    """Stop 1 must be served 08:00-09:00; stop 2's parcels reach the depot at 12:00 and it is
    served 12:00-13:00. One van serves both only if it may leave before stop 2's parcels are in."""
    t = 900
    duration = np.array([[0, t, t], [t, 0, t], [t, t, 0]])
    spec = VehicleSpec(depot=0, capacity=10, shift_start=8 * 3600, shift_end=18 * 3600, cost_per_m=1, cost_per_s=1,
                       fixed_cost=100_000)
    return RoutingProblem(
        duration=duration, distance=duration.copy(), demand=np.array([0, 1, 1]), service=np.array([0, 120, 120]),
        tw_start=np.array([0, MORNING[0], NOON[0]]), tw_end=np.array([18 * 3600, MORNING[1], NOON[1]]),
        vehicles=[spec] * vehicles, depots=[0], penalty=np.array([0, 10**9, 10**9]),
        ready=np.array([0, 0, 12 * 3600]) if ready else None,
    )


def test_one_van_serves_both_only_while_the_parcels_are_ignored():
    both = solve_ortools(late_linehaul(ready=False), 1.0)
    assert check_solution(late_linehaul(ready=False), both).used_vehicles == 1  # the fixed cost makes it one van
    one_route = [r for r in both.routes if r]
    report = check_routes(late_linehaul(), one_route)
    assert not report.feasible and "window" in report.kinds()  # leaving after 12:00 misses 08:00-09:00
    assert evaluate_in_ortools(late_linehaul(), one_route)[0] is False


def test_every_engine_sends_the_late_parcels_on_a_van_that_leaves_after_they_arrive():
    problem = late_linehaul()
    for sol in (solve_ortools(problem, 1.0), solve_pyvrp(problem, 1.0, seed=1), solve(problem, 2.0, seed=1)):
        report = check_solution(problem, sol)
        assert report.feasible and not sol.dropped and report.used_vehicles == 2, sol.engine
        late_van = next(r for r in report.routes if 2 in r.stops)
        assert late_van.depart >= 12 * 3600


def test_the_departure_rule_never_leaves_before_the_parcels_are_in():
    problem = late_linehaul()
    assert problem.earliest_departure(0, [2]) == 12 * 3600 and problem.earliest_departure(0, [1]) == 8 * 3600
    assert problem.departure(0, [2]).depart_s >= 12 * 3600
