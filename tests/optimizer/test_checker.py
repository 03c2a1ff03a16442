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
