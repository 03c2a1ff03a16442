"""Cheap pre-checks shared by the engines."""

from __future__ import annotations

import numpy as np

from optimizer.problem import RoutingProblem


def servable_alone(problem: RoutingProblem) -> np.ndarray:
    """Boolean per node: can some allowed vehicle serve this stop on a route of its own?

    A stop fails when its demand (parcels, or any further quantity) exceeds every allowed
    vehicle's capacity, when no vehicle is allowed at all (a skill nobody has), when no vehicle can
    reach it (leaving at shift start) before its window closes, or when serving it makes the
    vehicle return after its shift end. Depots are ``False``. A stop that fails can never be
    on any route, by any engine.
    """
    n = problem.n
    ok = np.zeros(n, dtype=bool)
    per_vehicle: dict[tuple, np.ndarray] = {}
    service = np.asarray(problem.service, dtype=np.int64)
    # Latest service start: the (last) window's end plus any allowed lateness. With several
    # windows the hull is used: a stop that fits it may still miss its windows on a route, never
    # the other way round, so nothing servable is left out.
    hard_end = problem.tw_end + (0 if problem.late_allowed is None else np.clip(problem.late_allowed, 0, None))
    for v_idx, v in enumerate(problem.vehicles):
        caps = tuple(problem.capacity(v_idx, k) for k in range(len(problem.quantities)))
        key = (v.depot, v.capacity, v.shift_start, v.shift_end, caps, v.profile)
        if key not in per_vehicle:
            d = v.depot
            duration = problem.duration_of(v_idx)
            arrival = v.shift_start + service[d] + duration[d, :]
            start = np.maximum(arrival, problem.tw_start)
            back = start + service + duration[:, d]
            per_vehicle[key] = (
                (problem.demand <= v.capacity)
                & (start <= hard_end)
                & (problem.tw_start <= hard_end)
                & (back <= v.shift_end)
            )
            for q, cap in zip(problem.quantities, caps):
                per_vehicle[key] &= q.demand <= cap
        fits = per_vehicle[key]
        locked = [node for node, allowed in problem.allowed_vehicles.items() if v_idx not in allowed]
        if locked:
            fits = fits.copy()
            fits[locked] = False
        ok |= fits
    ok[list(problem.depots)] = False
    return ok
