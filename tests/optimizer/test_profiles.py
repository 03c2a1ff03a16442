"""Street profiles: a cargo bike travels by its own matrices (cycle paths, no motorways, slower),
in both engines and in the checker."""

import numpy as np
import pytest

from optimizer.checker import check_routes, check_solution
from optimizer.engine.ortools_solver import evaluate_in_ortools, solve_ortools
from optimizer.engine.pyvrp_solver import build_data
from optimizer.problem import RoutingProblem, TravelProfile, VehicleSpec
from tests.optimizer.builders import ENGINES, solve_with

# Node 0 the depot; 1 the old town behind a pedestrian bridge (the van drives round in 1800 s,
# the bike crosses in 300 s); 2 out along the motorway (the van 600 s, the bike 2400 s).
VAN = np.array([[0, 1800, 600], [1800, 0, 2400], [600, 2400, 0]])
VAN_M = np.array([[0, 9000, 12000], [9000, 0, 21000], [12000, 21000, 0]])
BIKE = np.array([[0, 300, 2400], [300, 0, 2700], [2400, 2700, 0]])
BIKE_M = np.array([[0, 1200, 8000], [1200, 0, 9200], [8000, 9200, 0]])


def city(*, bike_profile=True) -> RoutingProblem:
    """Stop 1 opens 08:00-08:10 (only the bike, over the bridge, is there in time from 08:00);
    stop 2 opens 08:00-08:15 (only the van, on the motorway, is)."""
    van = VehicleSpec(depot=0, capacity=100, shift_start=8 * 3600, shift_end=12 * 3600, cost_per_m=1)
    bike = VehicleSpec(depot=0, capacity=10, shift_start=8 * 3600, shift_end=12 * 3600, cost_per_m=1,
                       profile="cycle" if bike_profile else "")
    return RoutingProblem(
        duration=VAN.copy(), distance=VAN_M.copy(), demand=np.array([0, 1, 1]), service=np.array([0, 60, 60]),
        tw_start=np.array([8 * 3600, 8 * 3600, 8 * 3600]),
        tw_end=np.array([12 * 3600, 8 * 3600 + 600, 8 * 3600 + 900]),
        vehicles=[van, bike], depots=[0], penalty=np.array([0, 10**7, 10**7]),
        profiles={"cycle": TravelProfile("cycle", BIKE.copy(), BIKE_M.copy())} if bike_profile else {},
    )


def test_a_vehicle_reads_its_own_street_profile():
    problem = city()
    assert problem.duration_of(1) is problem.profiles["cycle"].duration and problem.duration_of(0) is problem.duration
    assert problem.longest_arc() == 21000


def test_without_its_profile_the_bike_cannot_reach_the_old_town_in_time():
    sol = solve_ortools(city(bike_profile=False), 1.0)
    assert sol.dropped == [1]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_bike_takes_the_bridge_and_the_van_the_motorway(engine):
    problem = city()
    sol = solve_with(engine, problem)
    report = check_solution(problem, sol)
    assert report.feasible and not sol.dropped, (sol.engine, report.violations)
    assert sol.routes == [[2], [1]]
    assert report.routes[1].distance == 2 * 1200  # the bike's metres, not the van's


def test_the_checker_and_ortools_walk_a_bike_route_by_the_bike_matrices():
    problem = city()
    assert not check_routes(problem, [[1], [2]]).feasible  # the van misses 1, the bike misses 2
    assert evaluate_in_ortools(problem, [[1], [2]])[0] is False
    assert check_routes(problem, [[2], [1]]).feasible and evaluate_in_ortools(problem, [[2], [1]])[0] is True


def test_pyvrp_gets_one_routing_profile_per_street_profile_and_lock_signature():
    problem = city()
    problem.allowed_vehicles = {2: [0]}
    model = build_data(problem)
    assert model.profiles == [("", frozenset()), ("cycle", frozenset({2}))]
    assert model.data.num_profiles == 2
    assert [model.data.vehicle_type(t).profile for t in range(2)] == [0, 1]
