"""The checker names what is wrong with deliberately broken plans, and prices sound ones."""

from __future__ import annotations

from optimizer.checker import check_routes, check_solution
from optimizer.problem import RoutingSolution, VehicleSpec

from tests.optimizer.builders import OPEN, make_problem


def two_vans(**kw):
    """Depot 0; stops 1, 2 east at 100 m and 200 m, stop 3 west at 100 m; two vans of capacity 2."""
    vans = [VehicleSpec(0, 2, 0, 2000, cost_per_m=2, cost_per_s=1, fixed_cost=100)] * 2
    return make_problem([(0, 0), (100, 0), (200, 0), (-100, 0)], vehicles=vans, **kw)


def solution(routes, dropped=()):
    return RoutingSolution(routes=routes, dropped=list(dropped), objective=0, engine="test", wall_s=0.0)


def test_a_sound_plan_is_feasible_and_priced_with_distance_labour_and_fixed_cost():
    report = check_solution(two_vans(service=[0, 10, 10, 10]), solution([[1, 2], [3]]))
    assert report.feasible, report.violations
    assert report.distance == 400 + 200
    # spans: 400 m + 2 services = 420 s; 200 m + 1 service = 210 s
    assert report.duration_total == 630
    assert report.objective == 2 * 600 + 630 + 2 * 100
    assert report.used_vehicles == 2


def test_late_service_is_a_window_violation():
    problem = two_vans(windows=[OPEN, OPEN, (0, 150), OPEN])
    report = check_solution(problem, solution([[1, 2], [3]]))  # reaches 2 at 200 s
    assert not report.feasible
    assert report.kinds() == {"window"}
    assert "node 2" in report.violations[0]


def test_waiting_for_a_window_is_allowed_and_shortens_the_span_by_leaving_late():
    problem = two_vans(windows=[OPEN, (1000, 1100), OPEN, OPEN])
    report = check_routes(problem, [[1], [2, 3]])
    assert report.feasible, report.violations
    assert report.routes[0].earliest_starts == (1000,)
    assert report.routes[0].span == 200  # leaves at 900, not at 0


def test_overload_is_a_capacity_violation():
    report = check_solution(two_vans(), solution([[1, 2, 3], []]))
    assert report.kinds() == {"capacity"}


def test_returning_after_the_shift_is_a_shift_violation():
    vans = [VehicleSpec(0, 10, 0, 300)]
    problem = make_problem([(0, 0), (100, 0), (200, 0)], vehicles=vans)
    report = check_routes(problem, [[1, 2]])  # back at 400 s
    assert report.kinds() == {"shift"}


def test_missing_required_stop_is_unserved_but_missing_optional_stop_costs_its_penalty():
    required = check_routes(two_vans(), [[1, 2], []])
    assert required.kinds() == {"unserved"}
    assert required.dropped_required == [3]

    optional = check_routes(two_vans(penalty=[0, -1, -1, 70]), [[1, 2], []])
    assert optional.feasible
    assert optional.dropped_optional == [3]
    assert optional.objective == 2 * 400 + 400 + 100 + 70


def test_a_stop_served_twice_is_a_duplicate():
    assert "duplicate" in check_routes(two_vans(), [[1, 2], [1, 3]]).kinds()


def test_a_depot_or_unknown_node_in_a_route_is_named():
    report = check_routes(two_vans(), [[1, 2, 0], [3, 9]])
    assert report.kinds() == {"node"}
    assert len(report.violations) == 2


def test_a_locked_stop_on_the_wrong_vehicle_is_named():
    report = check_routes(two_vans(allowed_vehicles={3: [0]}), [[1, 2], [3]])
    assert report.kinds() == {"locked"}


def test_more_routes_than_vehicles_and_dropped_but_routed_are_named():
    report = check_solution(two_vans(), solution([[1], [2], [3]], dropped=[1]))
    assert {"routes", "dropped"} <= report.kinds()


def test_an_overweight_route_is_a_capacity_violation_in_kilograms():
    vans = [VehicleSpec(0, 10, 0, 2000, capacities=(750_000,)), VehicleSpec(0, 10, 0, 2000, capacities=(None,))]
    problem = make_problem([(0, 0), (100, 0), (200, 0)], vehicles=vans, weight_kg=[0, 412, 400])
    report = check_routes(problem, [[1, 2], []])
    assert report.kinds() == {"capacity"}
    assert report.violations == ["capacity: vehicle 0 carries 812 kg, capacity 750 kg"]


def test_a_vehicle_without_a_weight_capacity_carries_any_weight():
    vans = [VehicleSpec(0, 10, 0, 2000, capacities=(750_000,)), VehicleSpec(0, 10, 0, 2000, capacities=(None,))]
    problem = make_problem([(0, 0), (100, 0), (200, 0)], vehicles=vans, weight_kg=[0, 412, 400])
    assert check_routes(problem, [[], [1, 2]]).feasible


def test_a_stop_no_vehicle_may_serve_is_a_locked_violation_on_any_route():
    report = check_routes(two_vans(allowed_vehicles={3: []}), [[1, 2], [3]])
    assert report.kinds() == {"locked"}


# Several and soft windows ---------------------------------------------------------------------

from optimizer.checker import gap_violations  # noqa: E402
from tests.optimizer.builders import H, M, second_window_only, ten_minutes_late  # noqa: E402


def test_a_stop_with_two_windows_is_served_in_the_second_when_only_that_one_is_reachable():
    p = second_window_only()
    report = check_routes(p, [[2, 3, 1]])
    assert report.feasible, report.violations
    (route,) = report.routes
    assert route.starts[2] == 17 * H  # arrives in the gap, waits for the evening window
    assert report.late == []


def test_a_plan_that_needs_a_stop_served_in_the_gap_between_its_windows_is_rejected():
    p = second_window_only()
    # Read as one window 08:00-19:00 this route serves stop 1 at 09:00 and stop 2 right after;
    # but at 09:00 stop 1's customer is out, so the van waits until 17:00 and misses stop 2.
    report = check_routes(p, [[1, 2, 3]])
    assert not report.feasible
    assert any(v.startswith("window: vehicle 0 reaches node 2") for v in report.violations)
    assert report.routes[0].earliest_starts[0] == 17 * H
    # A timed plan that starts stop 1 at 09:00 (in the gap) is named as such.
    assert gap_violations(p, 0, [1, 2], [9 * H, 9 * H + 100]) == [
        "window: vehicle 0 starts node 1 at 32400 s, in the gap between its windows [28800, 30600] | [61200, 68400]"]
    assert gap_violations(p, 0, [1], [17 * H]) == []


def test_arriving_after_the_last_window_closes_is_a_window_violation_naming_every_window():
    p = second_window_only()
    p.windows[1] = [(8 * H, 8 * H + 30 * M), (8 * H + 40 * M, 8 * H + 50 * M)]
    p.tw_end[1] = 8 * H + 50 * M
    (violation,) = check_routes(p, [[1], ]).violations
    assert violation == ("window: vehicle 0 reaches node 1 at 32400 s, after its windows "
                         "[28800, 30600] | [31200, 31800] closes")


def test_lateness_within_the_allowance_is_no_violation_but_is_reported_and_priced():
    p = ten_minutes_late()
    report = check_routes(p, [[1, 2]])
    assert report.feasible, report.violations
    assert report.late == [(1, 10 * M, 1200)]
    assert report.late_minutes == 10 and report.lateness_cost == 1200
    # distance 4300 + 4300 back, span 8600 (no waiting), plus the lateness
    assert report.objective == 8600 + 8600 + 1200


def test_lateness_past_the_allowance_is_a_window_violation():
    p = ten_minutes_late(late_allowed_s=5 * M)
    (violation,) = check_routes(p, [[1, 2]]).violations
    assert violation == ("window: vehicle 0 reaches node 1 at 33000 s, after its window [28800, 32400] "
                         "and its 300 s allowed lateness closes")


def test_a_van_does_not_leave_later_when_that_would_make_a_soft_window_stop_late():
    # Stop 2 opens at 10:00 (the van would wait there), stop 1 closes at 09:15, allowed 30 min late.
    vans = [VehicleSpec(depot=0, capacity=10, shift_start=8 * H, shift_end=14 * H, cost_per_m=1, cost_per_s=1)]
    p = make_problem([(0, 0), (3600, 0), (3700, 0)], vehicles=vans,
                     windows=[OPEN, (8 * H, 9 * H + 15 * M), (10 * H, 12 * H)])
    import numpy as np
    p.late_allowed, p.late_cost = np.array([0, 30 * M, 0]), np.array([0, 5, 0])
    (route,) = check_routes(p, [[1, 2]]).routes
    # Leaving 15 min later than 08:00 keeps stop 1 on time and shortens the wait: the rule leaves
    # at 08:15; leaving later would cost 5 per second late to save 1 per second of labour.
    assert route.depart == 8 * H + 15 * M
    assert route.late == (0, 0)
