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
