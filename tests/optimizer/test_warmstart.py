"""The first plan of a booked day: stops inserted in booking order, each at its cheapest feasible place."""

from __future__ import annotations

import numpy as np

from optimizer.checker import check_solution
from optimizer.problem import RoutingProblem, RoutingSolution, VehicleSpec
from optimizer.warmstart import insertion_routes


def line_problem(n_stops: int, *, windows=None, capacity: int = 10) -> RoutingProblem:
    """A depot at 0 and stops along a line, 60 s apart."""
    n = n_stops + 1
    pos = np.arange(n)
    duration = np.abs(pos[:, None] - pos[None, :]) * 60
    tw = windows or [(0, 10 * 3600)] * n_stops
    return RoutingProblem(
        duration=duration, distance=duration * 10, demand=np.array([0] + [1] * n_stops), service=np.array([0] + [30] * n_stops),
        tw_start=np.array([0] + [a for a, _ in tw]), tw_end=np.array([10 * 3600] + [b for _, b in tw]),
        vehicles=[VehicleSpec(0, capacity, 0, 10 * 3600, 1, 1, 100), VehicleSpec(0, capacity, 0, 10 * 3600, 1, 1, 100)],
        depots=[0],
    )


def test_every_stop_that_fits_is_inserted_and_the_routes_pass_the_checker():
    p = line_problem(6)
    routes = insertion_routes(p, [3, 1, 6, 2, 5, 4])
    assert sorted(n for r in routes for n in r) == [1, 2, 3, 4, 5, 6]
    assert check_solution(p, RoutingSolution(routes, [], 0, "insertion", 0.0)).feasible


def test_a_stop_that_fits_nowhere_is_left_off():
    # Stop 2 must be served in the first 30 s, but it is 120 s from the depot.
    p = line_problem(3, windows=[(0, 3600), (0, 30), (0, 3600)])
    routes = insertion_routes(p, [1, 2, 3])
    assert 2 not in {n for r in routes for n in r} and {1, 3} <= {n for r in routes for n in r}


def test_a_pickup_point_named_twice_is_inserted_once():
    p = line_problem(2)
    routes = insertion_routes(p, [1, 1, 2])
    assert sorted(n for r in routes for n in r) == [1, 2]


def test_a_locked_stop_goes_on_its_vehicle():
    p = line_problem(2)
    p.allowed_vehicles = {1: [1]}
    routes = insertion_routes(p, [1, 2])
    assert 1 in routes[1]
