"""Tiny hand-built routing problems for the engine tests.

Coordinates are in metres on a plane; travel at 1 m/s, so a metre of distance is a second of
travel. Node 0 (and any extra depot) comes first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optimizer.problem import Quantity, RoutingProblem, VehicleSpec

OPEN = (0, 10_000)


def make_problem(
    coords: Sequence[tuple[float, float]],
    *,
    depots: Sequence[int] = (0,),
    vehicles: Sequence[VehicleSpec] | None = None,
    demand: Sequence[int] | None = None,
    service: Sequence[int] | None = None,
    windows: Sequence[tuple[int, int]] | None = None,
    penalty: Sequence[int] | None = None,
    allowed_vehicles: dict[int, list[int]] | None = None,
    weight_kg: Sequence[float] | None = None,
) -> RoutingProblem:
    """A problem with euclidean integer matrices (metres = seconds).

    Defaults: one vehicle of capacity 100 per depot, shift ``OPEN``, cost 1 per metre, unit
    demand and zero service at stops, open windows, every stop required. ``weight_kg`` per node
    adds a weight quantity (grams in the engines; capacities in ``VehicleSpec.capacities``).
    """
    pts = np.asarray(coords, dtype=float)
    n = len(pts)
    matrix = np.rint(np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=2)).astype(np.int64)
    depot_set = set(depots)
    if demand is None:
        demand = [0 if i in depot_set else 1 for i in range(n)]
    if service is None:
        service = [0] * n
    if windows is None:
        windows = [OPEN] * n
    if vehicles is None:
        vehicles = [VehicleSpec(depot=d, capacity=100, shift_start=OPEN[0], shift_end=OPEN[1]) for d in depots]
    return RoutingProblem(
        duration=matrix.copy(),
        distance=matrix,
        demand=np.asarray(demand, dtype=np.int64),
        service=np.asarray(service, dtype=np.int64),
        tw_start=np.asarray([w[0] for w in windows], dtype=np.int64),
        tw_end=np.asarray([w[1] for w in windows], dtype=np.int64),
        vehicles=list(vehicles),
        depots=list(depots),
        penalty=None if penalty is None else np.asarray(penalty, dtype=np.int64),
        allowed_vehicles=dict(allowed_vehicles or {}),
        quantities=[] if weight_kg is None else [weight(weight_kg)],
    )


def weight(kg: Sequence[float]) -> Quantity:
    """A weight quantity in grams from kilograms per node."""
    return Quantity("weight", "kg", 1000, np.asarray([round(w * 1000) for w in kg], dtype=np.int64))


def service_starts(problem: RoutingProblem, vehicle: int, route: Sequence[int]) -> list[int]:
    """Earliest service start (s) at each stop of ``route``, leaving at shift start."""
    spec = problem.vehicles[vehicle]
    t, prev, starts = spec.shift_start, spec.depot, []
    for node in route:
        t = max(t + int(problem.service[prev]) + int(problem.duration[prev, node]), int(problem.tw_start[node]))
        starts.append(t)
        prev = node
    return starts


def served(routes: Sequence[Sequence[int]]) -> list[int]:
    return sorted(node for route in routes for node in route)


H, M = 3600, 60


def second_window_only() -> RoutingProblem:
    """A day where stop 1 can only be served in its second window.

    One van, shift 08:00-20:00, cost 1 per metre and per second. Stop 1 is an hour out and its
    customer is home 08:00-08:30 *or* 17:00-19:00: the van cannot be there before 09:00, so only
    the evening window is reachable. Stop 2 is next to it, 09:00-10:00; stop 3 elsewhere,
    11:00-12:00. Every stop may be dropped at 50,000. Read as the hull 08:00-19:00 (one window),
    stop 1 would be served at 09:00 on the way to stop 2: a plan that is wrong, since at 09:00
    the customer is out. The best plan serves 2, 3, then 1 at 17:00.
    """
    vans = [VehicleSpec(depot=0, capacity=10, shift_start=8 * H, shift_end=20 * H, cost_per_m=1, cost_per_s=1)]
    p = make_problem([(0, 0), (3600, 0), (3600, 100), (0, 3000)], vehicles=vans,
                     windows=[(8 * H, 20 * H), (8 * H, 19 * H), (9 * H, 10 * H), (11 * H, 12 * H)],
                     penalty=[0, 50_000, 50_000, 50_000])
    p.windows = {1: [(8 * H, 8 * H + 30 * M), (17 * H, 19 * H)]}
    return p


def ten_minutes_late(*, late_allowed_s: int = 15 * M, late_cost_per_s: int = 2) -> RoutingProblem:
    """A day where stop 1 can only be reached ten minutes after its window closes.

    One van, shift 08:00-12:00, cost 1 per metre and per second. Stop 1 is 4200 s out, window
    08:00-09:00: the van arrives at 09:10 at the earliest. Stop 2 is next to it, open all
    morning. Both may be dropped at 100,000. With a soft window (``late_allowed_s`` after 09:00
    at ``late_cost_per_s`` per second) serving stop 1 ten minutes late costs 1,200 and beats
    dropping it; with a hard window it is dropped.
    """
    vans = [VehicleSpec(depot=0, capacity=10, shift_start=8 * H, shift_end=12 * H, cost_per_m=1, cost_per_s=1)]
    p = make_problem([(0, 0), (4200, 0), (4300, 0)], vehicles=vans,
                     windows=[(8 * H, 20 * H), (8 * H, 9 * H), (8 * H, 12 * H)], penalty=[0, 100_000, 100_000])
    p.late_allowed = np.array([0, late_allowed_s, 0], dtype=np.int64)
    p.late_cost = np.array([0, late_cost_per_s, 0], dtype=np.int64)
    return p


ENGINES = ("ortools", "pyvrp", "auto")


def solve_with(engine: str, problem: RoutingProblem):
    """``problem`` solved by one engine alone (1 s, seed 1) or by the ``auto`` portfolio (2 s)."""
    from optimizer.engine.ortools_solver import solve_ortools
    from optimizer.engine.portfolio import solve
    from optimizer.engine.pyvrp_solver import solve_pyvrp

    if engine == "ortools":
        return solve_ortools(problem, 1.0)
    if engine == "pyvrp":
        return solve_pyvrp(problem, 1.0, seed=1)
    return solve(problem, 2.0, seed=1)


def random_two_routes(problem: RoutingProblem, rng, count: int):
    """``count`` random two-route splits of ``problem``'s stops (shuffled, cut anywhere)."""
    for _ in range(count):
        stops = problem.stop_nodes()
        rng.shuffle(stops)
        cut = rng.randint(0, len(stops))
        yield [stops[:cut], stops[cut:]]


def checked_solve(engine: str, problem: RoutingProblem):
    """:func:`solve_with`, asserting the checker finds the plan feasible; returns the solution."""
    from optimizer.checker import check_routes

    solution = solve_with(engine, problem)
    report = check_routes(problem, solution.routes, solution.dropped)
    assert report.feasible, report.violations
    return solution


def random_two_van_problem(rng, van: VehicleSpec) -> RoutingProblem:
    """5-9 nodes scattered up to 3 km around the depot (node 0), 1-5 parcels a stop, two vans of
    ``van``, every stop droppable at 50,000."""
    n = rng.randint(5, 9)
    coords = [(0, 0)] + [(rng.randint(-3000, 3000), rng.randint(-3000, 3000)) for _ in range(n - 1)]
    return make_problem(coords, demand=[0] + [rng.randint(1, 5) for _ in range(n - 1)], vehicles=[van] * 2,
                        penalty=[0] + [50_000] * (n - 1))
